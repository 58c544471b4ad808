"""Unit files as text: read a unit's file with its drop-ins, and tell from the text
which container or pod the unit runs (Podhouse's marker, a Quadlet SourcePath=,
podman's own `--name`, PODMAN_SYSTEMD_UNIT).  Framework-free: no Django import."""
from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ContainerLink:
    """The container or pod a unit runs, as read from its unit file."""

    kind: str  # "container" or "pod"
    name: str
    how: str   # what gave it away: quadlet, podman-generated, PODMAN_SYSTEMD_UNIT, marker


def _quadlet_link(source_path: str) -> ContainerLink | None:
    source = Path(source_path)
    kind = {".container": "container", ".pod": "pod"}.get(source.suffix)
    if kind is None:
        return None
    name_key = "ContainerName" if kind == "container" else "PodName"
    name = f"systemd-{source.stem}"  # Quadlet's default name
    with contextlib.suppress(OSError):
        for line in source.read_text().splitlines():
            key, _, value = line.strip().partition("=")
            if key.strip() == name_key and value.strip():
                name = value.strip()
    return ContainerLink(kind, name, "quadlet")


def _podman_command_link(command: str) -> ContainerLink | None:
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or Path(words[0].lstrip("-@+!:")).name != "podman":
        return None
    kind = "pod" if len(words) > 1 and words[1] == "pod" else "container"
    for i, word in enumerate(words):
        if word == "--name" and i + 1 < len(words):
            return ContainerLink(kind, words[i + 1], "podman-generated")
        if word.startswith("--name="):
            return ContainerLink(kind, word.partition("=")[2], "podman-generated")
    if len(words) >= 3 and words[1] == "start" and not words[2].startswith("-"):
        return ContainerLink("container", words[2], "podman-generated")
    return None


def container_link(unit_text: str) -> ContainerLink | None:
    """Whether a unit file (with its drop-ins appended) runs a container or a pod,
    and which.  Markers checked: X-Podhouse-Container=/X-Podhouse-Pod=, a Quadlet
    SourcePath=, podman's own `--name` in ExecStart/ExecStartPre, and the
    PODMAN_SYSTEMD_UNIT variable podman-generated units set."""
    lines = [line.strip() for line in unit_text.splitlines()]
    values: dict[str, list[str]] = {}
    for line in lines:
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    for key, kind in (("X-Podhouse-Container", "container"), ("X-Podhouse-Pod", "pod")):
        if values.get(key):
            return ContainerLink(kind, values[key][-1], "marker")
    for source in values.get("SourcePath", []):
        link = _quadlet_link(source)
        if link:
            return link
    commands = values.get("ExecStartPre", []) + values.get("ExecStart", [])
    for command in commands:
        link = _podman_command_link(command)
        if link and link.kind == "pod":
            return link
    for command in commands:
        link = _podman_command_link(command)
        if link:
            return link
    if any("PODMAN_SYSTEMD_UNIT=" in v for v in values.get("Environment", [])):
        return ContainerLink("container", "", "PODMAN_SYSTEMD_UNIT")
    return None


@dataclass
class UnitFile:
    """A unit's file text with its path, and each drop-in with its own."""

    path: str
    text: str
    dropins: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""

    def combined(self) -> str:
        return "\n".join([self.text, *(text for _path, text in self.dropins)])


def read_unit_file(fragment_path: str, dropin_paths: list[str] | tuple = ()) -> UnitFile:
    def read(path: str) -> tuple[str, str]:
        try:
            return Path(path).read_text(errors="replace"), ""
        except OSError as error:
            return "", f"{path}: {error.strerror}"

    text, error = read(fragment_path) if fragment_path else ("", "")
    dropins = [(path, read(path)[0]) for path in dropin_paths]
    return UnitFile(fragment_path, text, dropins, error)
