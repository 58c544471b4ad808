"""Writing unit files into a scope's folders, and taking them away again.

Every write is atomic (a temporary file in the same folder, fsync, rename), so
systemd or Quadlet never read half a file: a write that fails (a full disk) leaves the
previous file as it was and raises UnitWriteError, and a writer killed half way leaves
at most its temporary file, which `leftovers` finds on the next start.  A file Podhouse did not write (no
marker) or that was edited by hand since is overwritten only after the caller has
shown the diff and got a confirmation; the previous version is kept beside it as
NAME.podhouse-backup (a suffix neither systemd nor Quadlet reads).
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from engine.units.generated import UnitFile, marker_state

BACKUP_SUFFIX = ".podhouse-backup"
TEMPORARY_SUFFIX = ".podhouse-tmp"


@dataclass
class PlannedFile:
    path: Path
    text: str
    old_text: str | None
    state: str  # new, same, ours, edited, foreign

    @property
    def needs_confirmation(self) -> bool:
        return self.state in ("edited", "foreign")

    @property
    def diff(self) -> str:
        return "".join(difflib.unified_diff((self.old_text or "").splitlines(True), self.text.splitlines(True),
                                            f"{self.path} (now)", f"{self.path} (new)"))


class NeedsConfirmation(Exception):
    """Some file would overwrite one Podhouse did not write (or that was hand-edited)."""

    def __init__(self, planned: list[PlannedFile]):
        self.planned = [p for p in planned if p.needs_confirmation]
        super().__init__("would overwrite files Podhouse did not write: "
                         + ", ".join(str(p.path) for p in self.planned))


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def plan(files: list[UnitFile], directories: dict[str, Path]) -> list[PlannedFile]:
    planned = []
    for unit_file in files:
        path = Path(directories[unit_file.directory]) / unit_file.filename
        old = _read(path)
        if old is None:
            state = "new"
        elif old == unit_file.text:
            state = "same"
        else:
            state = marker_state(old)
        planned.append(PlannedFile(path, unit_file.text, old, state))
    return planned


class UnitWriteError(OSError):
    """A unit file could not be written; the file that was there is unchanged."""

    def __str__(self) -> str:
        return self.strerror


def _temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMPORARY_SUFFIX}")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_path(path)
    try:
        with open(temporary, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as error:
        # Most often ENOSPC (or EDQUOT): the rename never happened, so the old file
        # is whole; take the half-written temporary away.
        try:
            temporary.unlink()
        except FileNotFoundError:
            pass
        reason = error.strerror or str(error)
        raise UnitWriteError(error.errno, f"could not write {path}: {reason}; "
                                          f"the file that was there is unchanged") from error
    # The rename is durable only once the folder's entry is on disk.
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def leftovers(directories) -> list[Path]:
    """Temporary files of writes that never finished (the writer was killed between
    its write and its rename); the unit files beside them are whole."""
    found: list[Path] = []
    for directory in directories:
        try:
            found += sorted(Path(directory).glob(f".*{TEMPORARY_SUFFIX}"))
        except OSError:
            continue
    return found


def install(planned: list[PlannedFile], confirmed: bool = False) -> list[Path]:
    """Write the planned files; raise NeedsConfirmation (writing nothing) when one
    would replace a foreign or hand-edited file and `confirmed` is False."""
    if not confirmed and any(p.needs_confirmation for p in planned):
        raise NeedsConfirmation(planned)
    written = []
    for item in planned:
        if item.state == "same":
            continue
        if item.old_text is not None:
            write_atomically(item.path.with_name(item.path.name + BACKUP_SUFFIX), item.old_text)
        write_atomically(item.path, item.text)
        written.append(item.path)
    return written


class NotOurs(Exception):
    pass


def uninstall(paths: list[Path], force: bool = False) -> list[Path]:
    """Remove the files (and their backups); refuse files Podhouse did not write unless forced."""
    existing = [(Path(p), _read(Path(p))) for p in paths]
    foreign = [str(p) for p, text in existing if text is not None and marker_state(text) == "foreign"]
    if foreign and not force:
        raise NotOurs("not written by Podhouse, left in place: " + ", ".join(foreign))
    removed = []
    for path, text in existing:
        for candidate in (path, path.with_name(path.name + BACKUP_SUFFIX)):
            try:
                candidate.unlink()
                removed.append(candidate)
            except FileNotFoundError:
                pass
    return removed
