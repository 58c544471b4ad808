"""Auto-update on a schedule: a systemd timer in the scope's manager that runs
`manage.py autoupdate` (engine.units.schedule writes its units).

The calendar expression is systemd's to judge: `systemd-analyze calendar` parses it
before anything is written, and says when it next elapses.  The units are written
like every other Podhouse unit (engine.units.install: atomic, marker, a backup,
a confirmation before replacing a file Podhouse did not write)."""
from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings

from dashboard.host.scopes import Scope
from dashboard.host.systemd import SERVICE_RESULT_REASONS, SystemdError, manager_for
from engine.units import install, schedule
from engine.units.generated import marker_state
from engine.units.schedule import SERVICE, TIMER, CalendarError, Schedule

# What the service takes from Podhouse's environment, so that it reads the same
# database and state as the server.
PASSED_ENVIRONMENT = ("DATABASE_URL", "PODHOUSE_STATE_DIR")
CALENDAR_TIMEOUT = 10.0
# "Run now" answers after this long; an update can take minutes (its log says how it goes)
RUN_NOW_WAIT = 3.0


@dataclass(frozen=True)
class ScheduleState:
    installed: bool
    schedule: Schedule
    enabled: str = ""           # UnitFileState of the timer
    active: str = ""            # ActiveState of the timer
    next_run: datetime | None = None
    last_run: datetime | None = None
    service_state: str = ""     # ActiveState of the service: activating while it runs
    last_result: str = ""       # the service's Result in words, "" when it has not run
    edited: bool = False        # a unit file changed by hand since Podhouse wrote it


async def next_elapse(calendar: str) -> str:
    """systemd's own reading of the expression: its next elapse, in its words.
    Raises CalendarError with systemd's message when it cannot parse it."""
    process = await asyncio.create_subprocess_exec(
        "systemd-analyze", "calendar", "--", calendar,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), CALENDAR_TIMEOUT)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise CalendarError("systemd-analyze did not answer")
    if process.returncode != 0:
        raise CalendarError(err.decode(errors="replace").strip() or f"systemd cannot read {calendar!r}")
    for line in out.decode(errors="replace").splitlines():
        key, _, value = line.strip().partition(":")
        if key == "Next elapse":
            return value.strip()
    return "never"


def environment_file(scope: Scope) -> Path:
    return Path(settings.STATE_DIR) / f"auto-update-{scope.name}.env"


def command(scope: Scope) -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "autoupdate", "--scope", scope.name]


def _environment(scope: Scope) -> dict[str, str]:
    passed = {key: os.environ[key] for key in PASSED_ENVIRONMENT if os.environ.get(key)}
    passed.setdefault("PODHOUSE_STATE_DIR", str(settings.STATE_DIR))
    return passed


def planned(scope: Scope, wanted: Schedule) -> list[install.PlannedFile]:
    files = schedule.auto_update_units(wanted, command(scope), str(environment_file(scope)))
    return install.plan(files, {"unit": scope.unit_dir})


def _write_environment(scope: Scope, text: str) -> None:
    """Only its owner may read it (a database URL can hold a password)."""
    path = environment_file(scope)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


async def turn_on(scope: Scope, wanted: Schedule, confirmed: bool = False) -> ScheduleState:
    """Check the calendar with systemd (CalendarError), write the units
    (NeedsConfirmation writes nothing), reload, enable and (re)start the timer."""
    await next_elapse(wanted.on_calendar)
    plan = planned(scope, wanted)
    environment = schedule.environment_file_text(_environment(scope))  # its ScheduleError before any write
    install.install(plan, confirmed=confirmed)
    _write_environment(scope, environment)
    async with manager_for(scope) as manager:
        await manager.daemon_reload()
        enabled = await manager.enable(TIMER)
        if not enabled.ok:
            raise SystemdError("", enabled.message)
        job = await manager.restart(TIMER)  # a new OnCalendar counts from now
        if not job.ok:
            raise SystemdError("", job.message)
    return await read_state(scope)


async def turn_off(scope: Scope) -> ScheduleState:
    """Stop and disable the timer, clean its state, then take its files away.  A file of that name
    Podhouse did not write is someone else's timer: refused before anything stops."""
    paths = [scope.unit_dir / TIMER, scope.unit_dir / SERVICE]
    foreign = [str(p) for p in paths if p.exists() and marker_state(p.read_text()) == "foreign"]
    if foreign:
        raise install.NotOurs("not written by Podhouse, left in place and running: " + ", ".join(foreign))
    async with manager_for(scope) as manager:
        for unit in (TIMER, SERVICE):
            try:
                await manager.stop(unit)
            except SystemdError:
                pass  # not loaded: nothing runs
        try:
            await manager.disable(TIMER)
        except SystemdError:
            pass
        try:
            await manager.clean_state(TIMER)  # its Persistent= stamp: off leaves nothing
        except SystemdError:
            pass  # not loaded: it has no stamp systemd knows of
        install.uninstall(paths)
        environment_file(scope).unlink(missing_ok=True)
        await manager.daemon_reload()
    return await read_state(scope)


async def run_now(scope: Scope) -> str:
    """Start the service; its answer, or that it is still running after a moment."""
    async with manager_for(scope) as manager:
        job = await manager.start(SERVICE, timeout=RUN_NOW_WAIT)
    if job.result == "queued":
        return f"{SERVICE} is running; its log says how the update goes."
    return job.message


def _when(usec: int | None) -> datetime | None:
    if not usec or usec >= 2 ** 63:
        return None
    return datetime.fromtimestamp(usec / 1_000_000, tz=timezone.utc)


async def read_state(scope: Scope) -> ScheduleState:
    timer_path, service_path = scope.unit_dir / TIMER, scope.unit_dir / SERVICE
    try:
        timer_text, service_text = timer_path.read_text(), service_path.read_text()
    except FileNotFoundError:
        return ScheduleState(False, Schedule())
    wanted = schedule.schedule_in(timer_text, service_text)
    edited = any(marker_state(text) != "ours" for text in (timer_text, service_text))
    try:
        async with manager_for(scope) as manager:
            timer = await manager.unit_properties(TIMER)
            service = await manager.unit_properties(SERVICE)
    except SystemdError:
        return ScheduleState(True, wanted, edited=edited)
    result = service.get("Result", "")
    ran = bool(service.get("ExecMainExitTimestamp") or service.get("InactiveEnterTimestamp"))
    words = ""
    if ran:
        words = "worked" if result == "success" else SERVICE_RESULT_REASONS.get(result, result)
        status = service.get("ExecMainStatus")
        if result != "success" and status:
            words += f", exit status {status}"
    # the timer's last trigger, or a later start by hand ("Run now", systemctl start)
    last_run = max(filter(None, (_when(timer.get("LastTriggerUSec")), _when(service.get("ExecMainStartTimestamp")))),
                   default=None)
    return ScheduleState(
        True, wanted, enabled=timer.get("UnitFileState", ""), active=timer.get("ActiveState", ""),
        next_run=_when(timer.get("NextElapseUSecRealtime")), last_run=last_run,
        service_state=service.get("ActiveState", ""), last_result=words, edited=edited)
