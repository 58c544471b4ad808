"""The app's D-Bus client for systemd's manager (org.freedesktop.systemd1), on asyncio
with dbus-fast.  One SystemdManager holds one bus connection of one scope:

    async with manager_for(scope) as manager:
        outcome = await manager.start("web.service")   # waits for the job's JobRemoved
        if not outcome.ok: print(outcome.message)       # systemd's words

Reads (ListUnits, ListUnitFiles, GetAll) answer plain Python values; actions answer
the job's real result.  Errors from systemd keep their D-Bus name and message.
Framework-free: no Django import, so the services area and the watcher share it.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from dashboard.host.scopes import Scope
from dashboard.host.unit_files import ContainerLink

SERVICE = "org.freedesktop.systemd1"
MANAGER_PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"
UNIT = "org.freedesktop.systemd1.Unit"
PROPERTIES = "org.freedesktop.DBus.Properties"
NO_SUCH_UNIT = "org.freedesktop.systemd1.NoSuchUnit"
# The unit types whose own interface carries properties worth showing.
TYPE_INTERFACES = {
    "service": "org.freedesktop.systemd1.Service",
    "socket": "org.freedesktop.systemd1.Socket",
    "timer": "org.freedesktop.systemd1.Timer",
    "path": "org.freedesktop.systemd1.Path",
    "mount": "org.freedesktop.systemd1.Mount",
}
JOB_TIMEOUT = 120.0  # longer than systemd's default start timeout (90 s)


class SystemdError(Exception):
    """An error answered by systemd (or the bus), with its D-Bus name and message."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


class NoSuchUnit(SystemdError):
    pass


@dataclass
class UnitRow:
    """One line of the units list: what ListUnits and ListUnitFiles say of a unit."""

    name: str
    description: str = ""
    load_state: str = ""
    active_state: str = "inactive"
    sub_state: str = "dead"
    object_path: str = ""
    job_type: str = ""
    file_state: str = ""  # enabled, disabled, static, masked, generated, ... ("" if no file)
    file_path: str = ""
    container: ContainerLink | None = None  # filled by the watcher from the unit file

    @property
    def kind(self) -> str:
        return self.name.rpartition(".")[2]

    def state_key(self) -> tuple:
        return (self.description, self.load_state, self.active_state, self.sub_state,
                self.file_state, self.container)


@dataclass(frozen=True)
class JobOutcome:
    """The end of a job: systemd's result word (done, failed, canceled, timeout,
    dependency, skipped, invalid, assert, unsupported, collected, once) and a sentence."""

    action: str
    unit: str
    result: str
    message: str
    job_path: str = ""

    @property
    def ok(self) -> bool:
        return self.result in ("done", "skipped")


@dataclass(frozen=True)
class FileChange:
    kind: str  # symlink, unlink, masked, ...
    path: str
    destination: str


@dataclass(frozen=True)
class FilesOutcome:
    """The answer of Enable/Disable/Mask/UnmaskUnitFiles (already followed by a daemon-reload)."""

    action: str
    unit: str
    changes: tuple[FileChange, ...]
    message: str
    ok: bool = True
    result: str = "done"


def plain(value: Any) -> Any:
    """D-Bus values without their Variant wrappers, recursively."""
    if isinstance(value, Variant):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# Why a failed service job failed, from the service's Result property; worded as
# systemctl words it so that people recognise it.
SERVICE_RESULT_REASONS = {
    "exit-code": "the control process exited with error code",
    "signal": "a fatal signal was delivered to the control process",
    "core-dump": "a fatal signal was delivered causing the control process to dump core",
    "timeout": "a timeout was exceeded",
    "resources": "of unavailable resources or another system error",
    "start-limit-hit": "start of the service was attempted too often",
    "oom-kill": "the control process was killed by the OOM killer",
    "exec-condition": "an ExecCondition= command failed",
    "protocol": "the service did not take the steps required by its unit configuration",
}


def job_message(unit: str, result: str, service_result: str = "", exit_status: int | None = None) -> str:
    """A sentence for a job's result, in systemd's words."""
    if result == "done":
        return f"Job for {unit} done."
    if result == "skipped":
        return f"Job for {unit} skipped: the unit's state already matched."
    if result == "failed":
        reason = SERVICE_RESULT_REASONS.get(service_result)
        text = f"Job for {unit} failed because {reason}." if reason else f"Job for {unit} failed."
        if exit_status:
            text += f" (exit status {exit_status})"
        return text
    return {
        "canceled": f"Job for {unit} canceled.",
        "timeout": f"Job for {unit} timed out.",
        "dependency": f"A dependency job for {unit} failed.",
        "invalid": f"{unit} is not active, cannot reload.",
        "assert": f"Assertion failed on job for {unit}.",
        "unsupported": f"Operation on or unit type of {unit} not supported on this system.",
        "collected": f"Queued job for {unit} was garbage collected.",
        "once": f"Unit {unit} was started already once and can't be queued again.",
    }.get(result, f"Job for {unit} ended with result {result!r}.")


def unit_path_name(object_path: str) -> str:
    """systemd's bus label back to a unit name: /org/.../unit/web_2eservice -> web.service."""
    label = object_path.rpartition("/")[2]
    out, i = [], 0
    while i < len(label):
        if label[i] == "_" and i + 2 < len(label):
            out.append(chr(int(label[i + 1:i + 3], 16)))
            i += 3
        else:
            out.append(label[i])
            i += 1
    return "".join(out)


async def open_bus(scope: Scope) -> MessageBus:
    """The bus of a scope's manager: the system bus, or the user bus at its address."""
    if scope.bus_address == "system":
        return await MessageBus(bus_type=BusType.SYSTEM).connect()
    return await MessageBus(bus_address=scope.bus_address).connect()


class SystemdManager:
    """systemd's manager of one scope over one bus connection."""

    def __init__(self, bus, scope: Scope | None = None):
        self.bus = bus
        self.scope = scope
        self._waiting: dict[str, asyncio.Future] = {}
        self._finished: dict[str, str] = {}  # JobRemoved that came before we asked
        self._jobs_matched = False
        bus.add_message_handler(self._on_message)

    @classmethod
    async def connect(cls, scope: Scope) -> "SystemdManager":
        return cls(await open_bus(scope), scope)

    def close(self) -> None:
        self.bus.disconnect()

    # -- plumbing ---------------------------------------------------------
    async def call(self, member: str, signature: str = "", body: list | None = None, *,
                   path: str = MANAGER_PATH, interface: str = MANAGER,
                   destination: str = SERVICE) -> list:
        reply = await self.bus.call(Message(destination=destination, path=path, interface=interface,
                                            member=member, signature=signature, body=body or []))
        if reply.message_type == MessageType.ERROR:
            text = " ".join(map(str, reply.body)) or reply.error_name
            error_class = NoSuchUnit if reply.error_name == NO_SUCH_UNIT else SystemdError
            raise error_class(reply.error_name, text)
        return reply.body

    def _on_message(self, message: Message):
        if (message.message_type == MessageType.SIGNAL and message.member == "JobRemoved"
                and message.interface == MANAGER):
            _job_id, job_path, _unit, result = message.body
            future = self._waiting.pop(job_path, None)
            if future is not None and not future.done():
                future.set_result(result)
            elif future is None:
                # Other clients' jobs arrive here too once anyone subscribed: keep few.
                self._finished[job_path] = result
                if len(self._finished) > 256:
                    self._finished.pop(next(iter(self._finished)))
        return None

    async def add_match(self, rule: str) -> None:
        await self.call("AddMatch", "s", [rule], path="/org/freedesktop/DBus",
                        interface="org.freedesktop.DBus", destination="org.freedesktop.DBus")

    async def subscribe(self) -> None:
        """Ask systemd to send its signals (no error if this connection already did)."""
        try:
            await self.call("Subscribe")
        except SystemdError as error:
            if not error.name.endswith("AlreadySubscribed"):
                raise

    async def _watch_jobs(self) -> None:
        if not self._jobs_matched:
            # systemd sends JobRemoved to the client that queued the job even when
            # that client never subscribed; the match only lets the bus deliver it.
            await self.add_match(f"type='signal',sender='{SERVICE}',path='{MANAGER_PATH}',"
                                 f"interface='{MANAGER}',member='JobRemoved'")
            self._jobs_matched = True

    # -- reads ------------------------------------------------------------
    async def list_units(self) -> list[UnitRow]:
        (rows,) = await self.call("ListUnits")
        return [UnitRow(name=r[0], description=r[1], load_state=r[2], active_state=r[3],
                        sub_state=r[4], object_path=r[6], job_type=r[8]) for r in rows]

    async def list_unit_files(self) -> dict[str, tuple[str, str]]:
        """unit name -> (file path, file state)."""
        (rows,) = await self.call("ListUnitFiles")
        return {Path(path).name: (path, state) for path, state in rows}

    async def list_all(self) -> dict[str, UnitRow]:
        """Loaded units and installed unit files together, as Cockpit's list does:
        a stopped unit that systemd has unloaded still has its file."""
        units, files = await asyncio.gather(self.list_units(), self.list_unit_files())
        rows = {row.name: row for row in units}
        for name, (path, state) in files.items():
            if name.endswith("@." + name.rpartition(".")[2]):
                continue  # templates are not units
            row = rows.setdefault(name, UnitRow(name=name, load_state="not-loaded"))
            row.file_path, row.file_state = path, state
        return rows

    async def get_unit(self, name: str) -> str:
        (path,) = await self.call("GetUnit", "s", [name])
        return path

    async def load_unit(self, name: str) -> str:
        (path,) = await self.call("LoadUnit", "s", [name])
        return path

    async def get_all(self, object_path: str, interface: str = UNIT) -> dict[str, Any]:
        (values,) = await self.call("GetAll", "s", [interface], path=object_path, interface=PROPERTIES)
        return plain(values)

    async def get_property(self, object_path: str, interface: str, name: str) -> Any:
        (value,) = await self.call("Get", "ss", [interface, name], path=object_path, interface=PROPERTIES)
        return plain(value)

    async def unit_properties(self, name: str) -> dict[str, Any]:
        """The Unit interface's properties plus those of its type (Service, Socket, Timer...).
        Raises NoSuchUnit when systemd knows neither a unit nor a file of that name."""
        path = await self.load_unit(name)
        props = await self.get_all(path, UNIT)
        if props.get("LoadState") == "not-found":
            raise NoSuchUnit(NO_SUCH_UNIT, f"Unit {name} not found.")
        interface = TYPE_INTERFACES.get(name.rpartition(".")[2])
        if interface:
            props.update(await self.get_all(path, interface))
        props["ObjectPath"] = path
        return props

    async def active_state(self, name: str) -> str:
        return await self.get_property(await self.load_unit(name), UNIT, "ActiveState")

    # -- jobs -------------------------------------------------------------
    async def _job(self, action: str, member: str, name: str, *args,
                   signature: str = "ss", timeout: float = JOB_TIMEOUT) -> JobOutcome:
        await self._watch_jobs()
        body = [name, *args] if args else [name, "replace"]
        (job_path,) = await self.call(member, signature, body)
        result = self._finished.pop(job_path, None)
        if result is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[job_path] = future
            try:
                result = await asyncio.wait_for(future, timeout)
            except asyncio.TimeoutError:
                self._waiting.pop(job_path, None)
                return JobOutcome(action, name, "queued",
                                  f"Job for {name} still running after {timeout:.0f} s.", job_path)
        return JobOutcome(action, name, result, await self._explain(name, result), job_path)

    async def _explain(self, name: str, result: str) -> str:
        if result != "failed" or not name.endswith(".service"):
            return job_message(name, result)
        try:
            path = await self.get_unit(name)
            service = await self.get_all(path, TYPE_INTERFACES["service"])
        except SystemdError:
            return job_message(name, result)
        return job_message(name, result, service.get("Result", ""), service.get("ExecMainStatus"))

    async def start(self, name: str, mode: str = "replace", timeout: float = JOB_TIMEOUT) -> JobOutcome:
        return await self._job("start", "StartUnit", name, mode, timeout=timeout)

    async def stop(self, name: str, mode: str = "replace") -> JobOutcome:
        return await self._job("stop", "StopUnit", name, mode)

    async def restart(self, name: str, mode: str = "replace") -> JobOutcome:
        return await self._job("restart", "RestartUnit", name, mode)

    async def reload(self, name: str, mode: str = "replace") -> JobOutcome:
        return await self._job("reload", "ReloadUnit", name, mode)

    async def reset_failed(self, name: str) -> JobOutcome:
        await self.call("ResetFailedUnit", "s", [name])
        return JobOutcome("reset-failed", name, "done", f"Failed state of {name} reset.")

    async def clean_state(self, name: str) -> None:
        """Manager.CleanUnit with "state": what a stopped unit keeps of itself between
        runs goes (a Persistent= timer's stamp file, which would otherwise make the
        timer, once started again, fire at once for a run it "missed")."""
        await self.call("CleanUnit", "sas", [name, ["state"]])

    # -- unit files ---------------------------------------------------------
    async def daemon_reload(self) -> None:
        """Manager.Reload: systemd re-reads every unit file; answers when done."""
        await self.call("Reload")

    async def _files(self, action: str, member: str, signature: str, name: str, *flags) -> FilesOutcome:
        reply = await self.call(member, signature, [[name], *flags])
        changes = tuple(FileChange(*c) for c in reply[-1])
        await self.daemon_reload()
        message = "; ".join(f"{c.kind} {c.path}" + (f" → {c.destination}" if c.destination else "")
                            for c in changes) or f"Nothing to change for {name}."
        if member == "EnableUnitFiles" and not reply[0]:
            message = (f"{name} has no installation config ([Install] section): "
                       "nothing to enable. " + (message if changes else ""))
            return FilesOutcome(action, name, changes, message.strip(), ok=bool(changes),
                                result="done" if changes else "no-install-info")
        return FilesOutcome(action, name, changes, message)

    async def enable(self, name: str, runtime: bool = False) -> FilesOutcome:
        return await self._files("enable", "EnableUnitFiles", "asbb", name, runtime, False)

    async def disable(self, name: str, runtime: bool = False) -> FilesOutcome:
        return await self._files("disable", "DisableUnitFiles", "asb", name, runtime)

    async def mask(self, name: str, runtime: bool = False) -> FilesOutcome:
        return await self._files("mask", "MaskUnitFiles", "asbb", name, runtime, False)

    async def unmask(self, name: str, runtime: bool = False) -> FilesOutcome:
        return await self._files("unmask", "UnmaskUnitFiles", "asb", name, runtime)

    async def act(self, action: str, name: str) -> JobOutcome | FilesOutcome:
        """One of ACTIONS by its name, as the pages and the audit log call it."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
        return await getattr(self, ACTIONS[action])(name)


# Action name -> method; the names the pages, urls and audit entries use.
ACTIONS = {"start": "start", "stop": "stop", "restart": "restart", "reload": "reload",
           "reset-failed": "reset_failed", "enable": "enable", "disable": "disable",
           "mask": "mask", "unmask": "unmask"}


@contextlib.asynccontextmanager
async def manager_for(scope: Scope):
    manager = await SystemdManager.connect(scope)
    try:
        yield manager
    finally:
        manager.close()
