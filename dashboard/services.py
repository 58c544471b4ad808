"""Turning a container or pod into a systemd service: the flow behind the dialog.

preview(): inspect -> spec -> generated files (+ Quadlet's own -dryrun output) ->
what writing them would change.  generate_and_enable(): the same, then write ->
daemon-reload -> enable -> start -> the job's result, with journal lines on failure.
podhouse_services() lists what Podhouse made in a scope; remove() undoes one.
Framework-free (no Django import): the views and the benchmark call it.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from dashboard.host import hoststack, journal
from dashboard.host.podman_clients import client_for
from dashboard.host.quadlet_provision import QUADLET
from dashboard.host.scopes import Scope
from dashboard.host.systemd import SystemdError, manager_for
from engine.podman.errors import PodmanError
from engine.units import formats, install, schedule
from engine.units.generated import MARKER, GeneratedUnits, marker_state
from engine.units.options import options_from_form
from engine.podman.container_spec import read_container_spec, read_pod_spec
from engine.units.spec import ContainerSpec

JOURNAL_LINES = 30
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


async def _container_spec(client, name: str, pod_name: str = "") -> ContainerSpec:
    return await read_container_spec(client, name, pod_name)


@dataclass
class Preview:
    units: GeneratedUnits
    planned: list[install.PlannedFile]
    dryrun: str = ""
    replaces: str = ""  # set when the container runs outside systemd today
    notes: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)  # what the service runs

    @property
    def needs_confirmation(self) -> bool:
        return any(p.needs_confirmation for p in self.planned)


async def build(scope: Scope, kind: str, name: str, form: Mapping[str, str]) -> Preview:
    """Generate the files for container or pod `name` with the dialog's `form`.
    Raises InvalidOptions, FormatUnavailable, SpecError or podman's errors."""
    client = client_for(scope.name)
    version = await _podman_version(client)
    options = options_from_form(form, default_name=name, user_scope=scope.is_user, podman_version=version)
    if kind == "pod":
        pod = await read_pod_spec(client, name)
        members = list(await asyncio.gather(*(_container_spec(client, m, pod.name) for m in pod.members)))
        units = formats.for_pod(pod, members, options, quadlet_available())
        outside = pod.created_by_systemd == "" and not any(m.created_by_systemd for m in members)
        containers = [m.name for m in members]
    else:
        container = await client.inspect_container(name)
        if container.get("Pod"):
            raise formats.FormatUnavailable(
                f"{name} is a member of a pod: run the pod as a service, which brings its containers along")
        spec = await _container_spec(client, name)
        units = formats.for_container(spec, options, quadlet_available())
        outside = not spec.created_by_systemd
        containers = [spec.name]
    preview = Preview(units, install.plan(units.files, directories(scope)), notes=list(units.notes),
                      containers=containers)
    if outside:
        preview.replaces = (f"The {kind} {name} was created outside systemd: when the service starts, "
                            f"it is replaced by a new {kind} of the same name that systemd runs.")
    if units.format == "quadlet":
        preview.dryrun = await quadlet_dryrun(units, scope)
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


async def generate_and_enable(scope: Scope, kind: str, name: str, form: Mapping[str, str],
                              confirmed: bool = False) -> Outcome:
    preview = await build(scope, kind, name, form)
    return await enable_preview(scope, preview, confirmed)


async def enable_preview(scope: Scope, preview: Preview, confirmed: bool = False) -> Outcome:
    units = preview.units
    written = install.install(preview.planned, confirmed=confirmed)  # NeedsConfirmation: nothing written
    install.uninstall(_stale_other_format(units, scope))
    service = units.main_service
    async with manager_for(scope) as manager:
        await manager.daemon_reload()
        if units.format == "classic":
            # Generated (Quadlet) units cannot be enabled: their [Install] section is
            # turned into links by the generator itself.
            enabled = await manager.enable(service)
            if not enabled.ok:
                return Outcome(False, service, "inactive", enabled.message, written)
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
        return Outcome(True, service, state, job.message, written)
    message = job.message if not job.ok else f"{service} started, but its container ended at once ({state})."
    return Outcome(False, service, state, message, written, await journal_lines(scope, service))


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
