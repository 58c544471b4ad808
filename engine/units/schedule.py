"""The units that run Podhouse's auto-update on a schedule, as podman's own
podman-auto-update.timer does (OnCalendar=daily, RandomizedDelaySec=900,
Persistent=true): a timer and the oneshot service it starts, which runs
`manage.py autoupdate --scope NAME` (podman auto-update itself needs the system
manager, docs/host-stack.md).

What the service needs from Podhouse's environment (the database URL, the state
folder) goes into an environment file only its owner reads, not into the unit
files: a database URL can carry a password.  Pure text here; no Django, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from engine.units.escaping import exec_line, specifier_text
from engine.units.generated import UnitFile, with_marker

SERVICE = "podhouse-auto-update.service"
TIMER = "podhouse-auto-update.timer"
SOURCE = "the auto-update schedule"
DEFAULT_CALENDAR = "daily"
DEFAULT_DELAY = 900          # seconds, podman's timer's
MAX_DELAY = 7 * 24 * 3600
MAX_CALENDAR = 200

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ScheduleError(ValueError):
    """A schedule systemd would not take, with the reason in words."""


class CalendarError(ScheduleError):
    """systemd cannot read the calendar expression (its own words)."""


@dataclass(frozen=True)
class Schedule:
    on_calendar: str = DEFAULT_CALENDAR
    randomized_delay: int = DEFAULT_DELAY
    tls_verify: bool = True


def calendar_text(raw: str | None) -> str:
    """A calendar expression as typed, on one line (systemd reads it the same)."""
    return " ".join((raw or "").split())


def read_schedule(form) -> tuple[Schedule, dict[str, str]]:
    """A schedule from the form's words, and a message per field that is wrong
    (the calendar's syntax is systemd's to judge: see dashboard.flows.update_schedule)."""
    errors = {}
    calendar = calendar_text(form.get("on_calendar"))
    if not calendar:
        errors["on_calendar"] = "Say when, in systemd's words: daily, weekly, Sun 04:00, *-*-* 03:30:00."
    elif len(calendar) > MAX_CALENDAR:
        errors["on_calendar"] = f"At most {MAX_CALENDAR} characters."
    elif any(ord(c) < 0x20 or c == "%" for c in calendar):
        errors["on_calendar"] = "A calendar expression has no control characters and no %."
    raw_delay = (form.get("randomized_delay") or "0").strip()
    delay = 0
    try:
        delay = int(raw_delay)
        if not 0 <= delay <= MAX_DELAY:
            raise ValueError
    except ValueError:
        errors["randomized_delay"] = f"Whole seconds from 0 to {MAX_DELAY} (a week)."
    tls_verify = form.get("insecure") != "1"
    return Schedule(calendar, delay, tls_verify), errors


def environment_file_text(environment: dict[str, str]) -> str:
    """KEY='value' lines systemd's EnvironmentFile= reads back as they were: single
    quotes take everything literally, so a value may not hold one (nor a newline)."""
    lines = []
    for key, value in sorted(environment.items()):
        if not _ENV_NAME.fullmatch(key):
            raise ScheduleError(f"{key!r} is not an environment variable name")
        if "'" in value or "\n" in value or "\r" in value or "\0" in value:
            raise ScheduleError(f"the value of {key} holds a quote or a line break, which an "
                                f"environment file cannot carry")
        lines.append(f"{key}='{value}'")
    return "".join(line + "\n" for line in lines)


def _path_setting(path: str) -> str:
    if not path.startswith("/") or any(ord(c) < 0x20 for c in path):
        raise ScheduleError(f"{path!r} is not an absolute path a unit file can name")
    return path.replace("%", "%%")


def auto_update_units(schedule: Schedule, command: list[str], environment_file: str) -> list[UnitFile]:
    """The service and the timer, for the scope's unit folder."""
    argv = [*command] + ([] if schedule.tls_verify else ["--tls-verify", "false"])
    service = "\n".join([
        "[Unit]",
        f"Description={specifier_text('Podhouse auto-update: update the containers whose label asks for it')}",
        "Documentation=man:podman-auto-update(1)",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"EnvironmentFile={_path_setting(environment_file)}",
        f"ExecStart={exec_line(argv)}",
        "",
    ])
    timer = "\n".join([
        "[Unit]",
        f"Description={specifier_text('Podhouse auto-update on a schedule')}",
        "Documentation=man:podman-auto-update(1)",
        "",
        "[Timer]",
        f"OnCalendar={specifier_text(schedule.on_calendar)}",
        f"RandomizedDelaySec={int(schedule.randomized_delay)}",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])
    return [UnitFile("unit", SERVICE, with_marker(service, SOURCE, SERVICE)),
            UnitFile("unit", TIMER, with_marker(timer, SOURCE, SERVICE))]


def schedule_in(timer_text: str, service_text: str) -> Schedule:
    """The schedule the files Podhouse wrote say (for the form), defaults for what they lack."""
    calendar, delay = DEFAULT_CALENDAR, DEFAULT_DELAY
    for line in timer_text.splitlines():
        key, _, value = line.partition("=")
        if key == "OnCalendar":
            calendar = value.replace("%%", "%")
        elif key == "RandomizedDelaySec" and value.isdigit():
            delay = int(value)
    insecure = any(line.startswith("ExecStart=") and line.endswith(" --tls-verify false")
                   for line in service_text.splitlines())
    return Schedule(calendar, delay, tls_verify=not insecure)
