"""Turning a container or pod into a systemd service: the flow behind the dialog.

build(): inspect -> spec -> generated files (+ Quadlet's own -dryrun output) ->
what writing them would change, the inspect fields Podhouse does not carry (unknown
fields), and the shadow verification (engine.units.verify: a container made from
the unit's own words, compared with the original as asked: its spec with what the
dialog adds on purpose, the auto-update label).
enable_preview() refuses a shadow that differs (DifferencesNotConfirmed) and unknown
fields (UnknownFieldsNotConfirmed) unless the user confirmed each after reading it.
generate_and_enable(): the same, then write -> set the original aside (a container
made outside systemd is stopped and renamed NAME-podhouse-previous) ->
daemon-reload -> enable -> start.  If the service does not run, everything is
undone: the files written are removed (or given back their previous text), the
original is renamed back and started again if it was running, and the outcome
says so with the unit's journal lines.  podhouse_services() lists what Podhouse
made in a scope; remove() undoes one.
Framework-free (no Django import): the views and the benchmark call it.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from dashboard.host import hoststack, journal
from dashboard.host.podman_clients import client_for
from dashboard.host.quadlet_provision import QUADLET
from dashboard.host.scopes import Scope
from dashboard.host.systemd import SystemdError, manager_for
from engine.podman.errors import PodmanError
from engine.podman.errors import NotFound
from engine.units import formats, install, schedule, verify
from engine.units.arguments import uncarried
from engine.units.generated import MARKER, GeneratedUnits, marker_state
from engine.units.options import options_from_form
from engine.podman.container_spec import read_container, read_container_spec, read_pod
from engine.units.spec import ContainerSpec, PodSpec

JOURNAL_LINES = 30
PREVIOUS_SUFFIX = "-podhouse-previous"
DRYRUN_TIMEOUT = 10.0
SETTLE_TIMEOUT = 10.0  # how long a container that ended at once may take to fail its unit


class ServiceError(RuntimeError):
    """A step of the flow failed; the message says which and why."""


def quadlet_available() -> bool:
    return os.access(QUADLET, os.X_OK)


def directories(scope: Scope) -> dict[str, Path]:
    return {"quadlet": scope.quadlet_dir, "unit": scope.unit_dir}


async def _podman_version(client) -> tuple[int, ...]:
    version = await client.version()
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


def runtime_dir(scope: Scope) -> str:
    """What %t means to the scope's service manager."""
    return scope.child_env().get("XDG_RUNTIME_DIR", "/run/user/0") if scope.is_user else "/run"


@dataclass
class Preview:
    units: GeneratedUnits
    planned: list[install.PlannedFile]
    dryrun: str = ""
    replaces: str = ""  # set when the container runs outside systemd today
    notes: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)  # what the service runs
    kind: str = "container"
    name: str = ""
    outside: bool = False  # created outside systemd: set aside while the service starts
    verification: verify.Verification | None = None
    # Inspect fields holding settings Podhouse does not carry ("unknown field
    # Config.Timeout (--timeout): ..."; a pod's members prefixed "NAME: "): the
    # service's container would not have them, so enabling needs a confirmation.
    unknown: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # what the dialog's options add on purpose

    @property
    def needs_confirmation(self) -> bool:
        return any(p.needs_confirmation for p in self.planned)

    @property
    def differs(self) -> bool:
        """The shadow is not the original (or could not be made): enabling needs a confirmation."""
        return self.verification is not None and not self.verification.identical

    @property
    def previous_name(self) -> str:
        return f"{self.name}{PREVIOUS_SUFFIX}"


async def build(scope: Scope, kind: str, name: str, form: Mapping[str, str], verified: bool = True,
                for_enable: bool = False) -> Preview:
    """Generate the files for container or pod `name` with the dialog's `form`, and
    (unless `verified` is False) verify them with a shadow.  `for_enable`: the
    shadow's removal goes on while enable_preview() works (which awaits it).
    Raises InvalidOptions, FormatUnavailable, SpecError or podman's errors."""
    client = client_for(scope.name)
    version, record = await asyncio.gather(
        _podman_version(client), client.inspect_pod(name) if kind == "pod" else client.inspect_container(name))
    options = options_from_form(form, default_name=name, user_scope=scope.is_user, podman_version=version)
    members: list[ContainerSpec] = []
    original: ContainerSpec | PodSpec
    if kind == "pod":
        infra = await client.inspect_container(record["InfraContainerID"]) if record.get("InfraContainerID") else None
        original = read_pod(record, infra)
        members = list(await asyncio.gather(*(read_container_spec(client, m, original.name)
                                              for m in original.members)))
        units = formats.for_pod(original, members, options, quadlet_available())
        outside = original.created_by_systemd == "" and not any(m.created_by_systemd for m in members)
        containers = [m.name for m in members]
    else:
        if record.get("Pod"):
            raise formats.FormatUnavailable(
                f"{name} is a member of a pod: run the pod as a service, which brings its containers along")
        image = await client.inspect_image(record.get("Image") or record.get("ImageName"))
        original = read_container(record, image)
        units = formats.for_container(original, options, quadlet_available())
        outside = not original.created_by_systemd
        containers = [original.name]
    preview = Preview(units, install.plan(units.files, directories(scope)), notes=list(units.notes),
                      containers=containers, kind=kind, name=name, outside=outside)
    if outside and kind == "pod":
        preview.replaces = (f"The pod {name} was created outside systemd: when the service starts, it is replaced "
                            "by a new pod of the same name that systemd runs. Podman cannot rename a pod, so if "
                            "the service does not start, Podhouse makes the pod and its containers again from the "
                            "verified settings (volumes are kept; changes inside the containers' own files are not).")
    elif outside:
        preview.replaces = (f"The container {name} was created outside systemd: while the service starts it is "
                            f"stopped and renamed {preview.previous_name}; if the service does not start, it is "
                            "renamed back (and started again if it was running).")
    if units.format == "quadlet":
        preview.dryrun = await quadlet_dryrun(units, scope)
    # What the format cannot carry as a key is named among the warnings; what Podhouse
    # does not carry at all (unknown fields) apart, as it needs a confirmation.
    notes = uncarried(original, units.format) + [
        replace(note, label=f"{member.name}: {note.label}")
        for member in members for note in uncarried(member, units.format)]
    preview.unknown = [str(n) for n in notes if n.kind == "unknown"]
    # The shadow is compared with the original as asked: the options' own additions
    # (the auto-update label) are what the user chose, not differences.
    if kind == "pod":
        asked_members = [options.for_member(m.name).as_asked(m) for m in members]
        asked: ContainerSpec | PodSpec = original
        preview.asked = sorted({change for m in members for change in options.for_member(m.name).asked_changes(m)})
    else:
        asked, asked_members = options.as_asked(original), []
        preview.asked = options.asked_changes(original)
    if verified:
        preview.verification = await verify.verify(client, scope.child_env(), runtime_dir(scope), units,
                                                   preview.dryrun, asked, asked_members,
                                                   warnings=[str(n) for n in notes if n.kind != "unknown"],
                                                   wait_for_removal=not for_enable)
    return preview


async def quadlet_dryrun(units: GeneratedUnits, scope: Scope) -> str:
    """The services Quadlet makes of these files, from `quadlet -dryrun` on a
    private folder (nothing is installed)."""
    with tempfile.TemporaryDirectory(prefix="podhouse-quadlet-") as folder:
        for unit_file in units.files:
            Path(folder, unit_file.filename).write_text(unit_file.text)
        proc = await asyncio.create_subprocess_exec(
            str(QUADLET), *(["-user"] if scope.is_user else []), "-dryrun",
            env={**scope.child_env(), "QUADLET_UNIT_DIRS": folder},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), DRYRUN_TIMEOUT)
    if proc.returncode != 0:
        raise ServiceError(f"quadlet -dryrun refused the files: {err.decode(errors='replace').strip()}")
    return out.decode(errors="replace")


@dataclass
class Outcome:
    ok: bool
    service: str
    state: str = ""
    message: str = ""
    written: list[Path] = field(default_factory=list)
    journal: list[str] = field(default_factory=list)


def _stale_other_format(units: GeneratedUnits, scope: Scope) -> list[Path]:
    """Our files of the other format for the same services: a classic unit in the unit
    folder would hide the Quadlet one (and the other way round), so they go."""
    if units.format == "quadlet":
        candidates = [scope.unit_dir / service for service in units.services]
    else:
        candidates = [scope.quadlet_dir / f"{service.removesuffix('.service')}.container"
                      for service in units.services]
        candidates += [scope.quadlet_dir / f"{service.removesuffix('-pod.service')}.pod"
                       for service in units.services if service.endswith("-pod.service")]
    return [path for path in candidates if path.exists() and marker_state(path.read_text()) != "foreign"]


class DifferencesNotConfirmed(ServiceError):
    """The shadow differs from the original (or could not be made) and the user has
    not confirmed the differences: nothing was written."""

    def __init__(self, verification: verify.Verification):
        self.verification = verification
        named = "; ".join(f"{d.label}: {d.original} -> {d.shadow}" for d in verification.differences[:5])
        super().__init__(f"the service would not run the same container ({verification.summary}"
                         f"{': ' + named if named else ''}): confirm the differences to enable it anyway")


class UnknownFieldsNotConfirmed(ServiceError):
    """The original holds settings Podhouse does not carry (unknown inspect fields) and
    the user has not confirmed them: nothing was written."""

    def __init__(self, fields: list[str]):
        self.fields = list(fields)
        named = "; ".join(f.partition(": Podhouse")[0] for f in self.fields[:8])
        more = f" and {len(self.fields) - 8} more" if len(self.fields) > 8 else ""
        super().__init__(f"the service's container would lack settings Podhouse does not carry ({named}{more}): "
                         "confirm the unknown fields to enable it anyway")


async def generate_and_enable(scope: Scope, kind: str, name: str, form: Mapping[str, str],
                              confirmed: bool = False, accept_differences: bool = False,
                              keep_previous: bool = False, accept_unknown: bool = False) -> Outcome:
    preview = await build(scope, kind, name, form, for_enable=True)
    return await enable_preview(scope, preview, confirmed, accept_differences, keep_previous, accept_unknown)


@dataclass
class SetAside:
    """The original container (or pod) while its service starts."""

    kind: str
    name: str
    previous: str           # the container's name meanwhile ("" for a pod: podman cannot rename one)
    was_running: bool
    id: str = ""


async def _record(client, preview: Preview) -> SetAside:
    """What the original is before anything happens to it."""
    if preview.kind == "pod":
        record = await client.inspect_pod(preview.name)
        # Left in place: the pod service's `pod create --replace` takes its name.
        return SetAside("pod", preview.name, "", (record.get("State") or "") in ("Running", "Degraded"),
                        record.get("Id") or "")
    record = await client.inspect_container(preview.name)
    return SetAside("container", preview.name, preview.previous_name,
                    bool((record.get("State") or {}).get("Running")), record.get("Id") or "")


async def _set_aside(client, aside: SetAside) -> None:
    if aside.kind == "container":
        if aside.was_running:
            await client.stop_container(aside.name)
        await client.rename_container(aside.name, aside.previous)


async def _bring_back(client, scope: Scope, preview: Preview, aside: SetAside) -> str:
    """Put the original back under its name, running if it was; what happened, in words."""
    if aside.kind == "container":
        try:
            current = (await client.inspect_container(aside.name)).get("Id")
        except NotFound:
            current = None
        if current != aside.id:
            if current is not None:  # what the failed unit left under the name
                await client.remove_container(aside.name, force=True)
            await client.rename_container(aside.previous, aside.name)
            what = "was renamed back"
        else:
            what = "was never moved"
        if aside.was_running and not (await client.inspect_container(aside.name)).get("State", {}).get("Running"):
            await client.start_container(aside.name)
        return (f"The container {aside.name} {what}"
                + (" and started again." if aside.was_running else " (it was not running)."))
    try:
        still = (await client.inspect_pod(aside.name)).get("Id") == aside.id
    except NotFound:
        still = False
    if not still:
        with contextlib.suppress(NotFound):
            await client.remove_pod(aside.name, force=True)
        await verify.recreate(client, scope.child_env(), runtime_dir(scope), preview.units, preview.dryrun,
                              preview.name, preview.containers)
    if aside.was_running:
        await client.start_pod(aside.name)
    what = "was left untouched" if still else "was made again from its verified settings"
    return f"The pod {aside.name} {what}" + (" and started again." if aside.was_running else ".")


def _undo_files(planned: list[install.PlannedFile], written: list[Path], stale: dict[Path, str]) -> None:
    """Give every file written its previous text (or remove it), and put back the
    other format's files that were taken away."""
    for item in planned:
        if item.path not in written:
            continue
        if item.old_text is None:
            item.path.unlink(missing_ok=True)
            item.path.with_name(item.path.name + install.BACKUP_SUFFIX).unlink(missing_ok=True)
        else:
            install.write_atomically(item.path, item.old_text)
    for path, text in stale.items():
        install.write_atomically(path, text)


async def enable_preview(scope: Scope, preview: Preview, confirmed: bool = False,
                         accept_differences: bool = False, keep_previous: bool = False,
                         accept_unknown: bool = False) -> Outcome:
    """Write, set the original aside, start; undo everything if the service does not run.
    Raises DifferencesNotConfirmed (unless `accept_differences`), UnknownFieldsNotConfirmed
    (unless `accept_unknown`) or install.NeedsConfirmation before changing anything.
    The shadow's removal (still under way after build(for_enable=True)) is awaited
    before this returns, whatever happens."""
    try:
        return await _enable(scope, preview, confirmed, accept_differences, keep_previous, accept_unknown)
    finally:
        if preview.verification is not None:
            await preview.verification.removed()


async def _enable(scope: Scope, preview: Preview, confirmed: bool, accept_differences: bool,
                  keep_previous: bool, accept_unknown: bool) -> Outcome:
    if preview.differs and not accept_differences:
        raise DifferencesNotConfirmed(preview.verification)
    if preview.unknown and not accept_unknown:
        raise UnknownFieldsNotConfirmed(preview.unknown)
    units = preview.units
    client = client_for(scope.name)
    if preview.outside and preview.kind == "container" and await client.container_exists(preview.previous_name):
        raise ServiceError(f"a container named {preview.previous_name} exists (kept from an earlier service?): "
                           "remove or rename it first; nothing was written")
    written = install.install(preview.planned, confirmed=confirmed)  # NeedsConfirmation: nothing written
    stale_paths = _stale_other_format(units, scope)
    stale = {path: path.read_text() for path in stale_paths}
    install.uninstall(stale_paths)
    service = units.main_service
    aside: SetAside | None = None
    job = None
    state = "inactive"
    before = "unknown"
    try:
        if preview.outside:
            aside = await _record(client, preview)
        async with manager_for(scope) as manager:
            async def load() -> None:
                await manager.daemon_reload()
                if units.format == "classic":
                    # Generated (Quadlet) units cannot be enabled: their [Install] section is
                    # turned into links by the generator itself.
                    enabled = await manager.enable(service)
                    if not enabled.ok:
                        raise ServiceError(enabled.message)
            # Stopping the original (its own stop timeout) and systemd's reload do not
            # depend on each other: both are done before the start.
            results = await asyncio.gather(load(), _set_aside(client, aside) if aside else asyncio.sleep(0),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            before = await _state(manager, service)
            if before == "failed":
                await manager.reset_failed(service)  # a failed unit would not start again
            # A running service (regenerated, or switched format) restarts on the new files.
            job = await (manager.restart(service) if before in ("active", "activating", "reloading")
                         else manager.start(service))
            state = await manager.active_state(service)
            if job.ok and state == "active" and not await containers_running(scope, preview.containers):
                # conmon said ready, but the container has already ended: systemd is
                # about to notice; wait for that (a signal, not a poll) and tell why.
                state = await wait_while_active(manager, service)
        if job.ok and state == "active":
            message = job.message
            if aside and aside.kind == "container":
                if keep_previous:
                    message += f" The previous container is kept, stopped, as {aside.previous}."
                else:
                    try:
                        await client.remove_container(aside.previous, force=True)  # its named volumes stay
                        message += " The previous container was removed (its volumes are kept)."
                    except PodmanError as error:  # the service runs: that stands
                        message += f" The previous container {aside.previous} could not be removed: {error}."
            return Outcome(True, service, state, message, written)
        message = (job.message if not job.ok
                   else f"{service} started, but its container ended at once ({state}).")
    except (SystemdError, PodmanError, ServiceError, OSError) as error:
        message = f"{service} could not be started: {error}"
    journal_text = await journal_lines(scope, service)
    undone = await _undo(scope, preview, written, stale, aside, before)
    return Outcome(False, service, state, f"{message} {undone}", [], journal_text)


async def _undo(scope: Scope, preview: Preview, written: list[Path], stale: dict[Path, str],
                aside: SetAside | None, before: str) -> str:
    """Everything enable_preview did, taken back; what was done, in words."""
    units = preview.units
    words = []
    try:
        async with manager_for(scope) as manager:
            for service in units.services:
                if await _state(manager, service) not in ("inactive", "unknown"):
                    await manager.stop(service)
            new = [item for item in preview.planned if item.path in written and item.old_text is None]
            if units.format == "classic" and any(item.path.name == units.main_service for item in new):
                await manager.disable(units.main_service)
            _undo_files(preview.planned, written, stale)
            await manager.daemon_reload()
            for service in units.services:
                if await _state(manager, service) == "failed":
                    await manager.reset_failed(service)
            words.append("Podhouse removed what it wrote" + (" and put the previous unit files back." if any(
                item.old_text is not None for item in preview.planned if item.path in written) else "."))
            if before in ("active", "activating", "reloading"):  # the previous service ran: it runs again
                again = await manager.start(units.main_service)
                words.append(f"The previous {units.main_service} was started again ({again.message}).")
    except (SystemdError, OSError) as error:
        words.append(f"Undoing the unit files failed: {error}.")
    if aside is not None:
        try:
            words.append(await _bring_back(client_for(scope.name), scope, preview, aside))
        except (PodmanError, verify.VerifyError) as error:
            where = f" It is kept as {aside.previous}." if aside.previous else ""
            words.append(f"Bringing the original {aside.kind} back failed: {error}.{where}")
    return " ".join(words)


async def containers_running(scope: Scope, names: list[str]) -> bool:
    client = client_for(scope.name)
    for name in names:
        try:
            data = await client.inspect_container(name)
        except PodmanError:
            return False
        if not (data.get("State") or {}).get("Running"):
            return False
    return True


async def wait_while_active(manager, service: str, timeout: float = SETTLE_TIMEOUT) -> str:
    """The unit's ActiveState once it leaves active/deactivating, from its
    PropertiesChanged signals (or the state at `timeout`)."""
    path = await manager.load_unit(service)
    left = asyncio.Event()

    def on_message(message):
        if message.member == "PropertiesChanged" and message.path == path:
            changed = message.body[1] if len(message.body) > 1 else {}
            state = changed.get("ActiveState")
            if state is not None and state.value not in ("active", "deactivating"):
                left.set()

    manager.bus.add_message_handler(on_message)
    try:
        await manager.add_match(f"type='signal',sender='org.freedesktop.systemd1',path='{path}',"
                                "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'")
        if await manager.active_state(service) in ("active", "deactivating"):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(left.wait(), timeout)
    finally:
        manager.bus.remove_message_handler(on_message)
    return await manager.active_state(service)


async def _state(manager, service: str) -> str:
    try:
        return await manager.active_state(service)
    except SystemdError:
        return "unknown"


async def journal_lines(scope: Scope, service: str, lines: int = JOURNAL_LINES) -> list[str]:
    state = hoststack.load_state()
    query = journal.LogQuery(terms=journal.unit_terms(service, user=scope.is_user,
                                                      embedded=bool(state and state.embedded)))
    try:
        entries = await journal.read_entries(query, scope.child_env(), lines=lines)
    except journal.JournalError as error:
        return [f"(journal unavailable: {error})"]
    return [journal.format_text(entry) for entry in entries]


@dataclass
class MadeService:
    """A service Podhouse generated, from the files in the scope's folders."""

    service: str
    format: str
    source: str         # "container NAME" or "pod NAME"
    paths: list[Path]
    edited: bool = False


def _service_of(path: Path) -> str:
    if path.suffix == ".container":
        return f"{path.stem}.service"
    if path.suffix == ".pod":
        return f"{path.stem}-pod.service"
    return path.name


def _main_of(text: str) -> str:
    first = text.partition("\n")[0]
    return first.split(" for ", 1)[1].split(" ", 1)[0] if " for " in first else ""


def podhouse_services(scope: Scope) -> dict[str, MadeService]:
    """main service -> what Podhouse made for it (members of a pod grouped with it)."""
    made: dict[str, MadeService] = {}
    for fmt, folder, patterns in (("quadlet", scope.quadlet_dir, ("*.container", "*.pod")),
                                  ("classic", scope.unit_dir, ("*.service",))):
        for pattern in patterns:
            for path in sorted(Path(folder).glob(pattern)):
                try:
                    text = path.read_text()
                except OSError:
                    continue
                if not text.startswith(MARKER):
                    continue
                source = text.partition(" from ")[2].split(" for ")[0].split(" (")[0]
                if source == schedule.SOURCE:
                    continue  # the auto-update timer's service: not a container's
                main = _main_of(text) or _service_of(path)
                entry = made.setdefault(main, MadeService(main, fmt, source, []))
                entry.paths.append(path)
                entry.edited |= marker_state(text) == "edited"
                if _service_of(path) == main:
                    entry.source = source
    return made


def _made(scope: Scope, service: str) -> MadeService:
    made = podhouse_services(scope).get(service)
    if made is None:
        raise ServiceError(f"{service} is not a service Podhouse made in the {scope.name} scope")
    return made


async def remove(scope: Scope, service: str) -> Outcome:
    """Stop, disable, remove the files, daemon-reload: nothing of the service is left."""
    made = _made(scope, service)
    async with manager_for(scope) as manager:
        job = await manager.stop(service)
        if made.format == "classic":
            await manager.disable(service)
        removed = install.uninstall(made.paths)
        await manager.daemon_reload()
        for unit in {_service_of(p) for p in made.paths}:
            if await _state(manager, unit) == "failed":
                await manager.reset_failed(unit)
    return Outcome(True, service, "removed", f"{job.message} Removed {len(removed)} file(s).", removed)


async def disable(scope: Scope, service: str) -> Outcome:
    """Stop and no longer start at boot; the files stay so it can be enabled again."""
    made = _made(scope, service)
    async with manager_for(scope) as manager:
        job = await manager.stop(service)
        if made.format == "classic":
            outcome = await manager.disable(service)
            message = f"{job.message} {outcome.message}"
        else:
            message = (f"{job.message} A Quadlet service follows its file's [Install] section: "
                       "remove the service to keep it from starting at boot.")
        state = await manager.active_state(service)
    return Outcome(True, service, state, message)
