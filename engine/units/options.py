"""The choices of the "Run as a systemd service" dialog, checked before anything is written."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Mapping

FORMATS = ("auto", "quadlet", "classic")
RESTART_POLICIES = ("no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always")
SDNOTIFY_MODES = ("conmon", "container", "healthy")
AUTO_UPDATE = ("", "registry", "local")
AUTO_UPDATE_LABEL = "io.containers.autoupdate"  # what podman auto-update looks for
# podman's restart policy -> systemd's Restart= once systemd supervises the container.
PODMAN_TO_SYSTEMD_RESTART = {"always": "always", "unless-stopped": "always", "on-failure": "on-failure", "no": "no"}
DEFAULT_RESTART = "on-failure"  # what `podman generate systemd` picks when the container has none

# systemd keeps time spans in µs in a uint64 (USEC_INFINITY is the largest): longer
# spans in a unit file are refused by systemd with a warning and the line ignored.
MAX_SECONDS = (2 ** 64 - 2) // 1_000_000
WHOLE_SECONDS = re.compile(r"[0-9]{1,20}")
SECONDS = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,6})?")

UNIT_BASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")
UNIT_NAME = re.compile(r"[A-Za-z0-9:_.\\@-]+\.(service|socket|target|mount|path|timer|device|slice|scope|swap|automount)")


class InvalidOptions(ValueError):
    """Bad input: one message per field; nothing was changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class UnitOptions:
    unit_name: str
    format: str = "auto"
    restart: str = ""               # "" = from the container's podman restart policy
    restart_sec: float | None = None
    sdnotify: str = "conmon"
    start_timeout: int | None = None
    stop_timeout: int = 10          # seconds podman gives the container on stop
    auto_update: str = ""
    wanted_by: str = ""             # "" = the scope's default target
    after: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)

    def restart_for(self, podman_policy: str) -> str:
        if self.restart:
            return self.restart
        return PODMAN_TO_SYSTEMD_RESTART.get(podman_policy, DEFAULT_RESTART) if podman_policy else DEFAULT_RESTART

    def for_member(self, container_name: str) -> "UnitOptions":
        """A pod member's unit: its own name; the extra ordering belongs to the pod's unit."""
        return dataclasses.replace(self, unit_name=container_name, after=[], requires=[])

    def as_asked(self, spec):
        """The container this dialog asks for: `spec` (a ContainerSpec) with what the
        options add to it on purpose, the auto-update label.  The shadow is compared
        with this, so a label the user chose is no difference."""
        if not self.auto_update or spec.labels.get(AUTO_UPDATE_LABEL) == self.auto_update:
            return spec
        return dataclasses.replace(spec, labels={**spec.labels, AUTO_UPDATE_LABEL: self.auto_update})

    def asked_changes(self, spec) -> list[str]:
        """What as_asked() changes in `spec`, in podman's words (for the dialog)."""
        if self.as_asked(spec) is spec:
            return []
        return [f"--label {AUTO_UPDATE_LABEL}={self.auto_update}"]

    # The options as systemd settings; both formats write them the same way.
    def unit_lines(self) -> list[str]:
        lines = [f"After={name}" for name in self.after]
        return lines + [f"Requires={name}" for name in self.requires]

    def service_lines(self, podman_policy: str = "") -> list[str]:
        lines = [f"Restart={self.restart_for(podman_policy)}"]
        if self.restart_sec is not None:
            lines.append(f"RestartSec={seconds_text(self.restart_sec)}")
        if self.start_timeout is not None:
            lines.append(f"TimeoutStartSec={self.start_timeout}")
        # podman stop waits stop_timeout, then kills; systemd must wait longer than that.
        lines.append(f"TimeoutStopSec={self.stop_timeout + 60}")
        return lines

    def install_lines(self) -> list[str]:
        return ["", "[Install]", f"WantedBy={self.wanted_by}"]


def default_target(user_scope: bool) -> str:
    return "default.target" if user_scope else "multi-user.target"


def seconds_text(value: float) -> str:
    """Seconds as systemd reads them: digits and at most six decimals, never 1e+07."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _number(text: str, errors: dict, key: str, kind=int, minimum=0, maximum=MAX_SECONDS):
    """Seconds written in ASCII digits (float(): no nan, inf or 1e309; int(): no "²"),
    within what systemd can hold."""
    text = (text or "").strip()
    if not text:
        return None
    if not (WHOLE_SECONDS if kind is int else SECONDS).fullmatch(text):
        errors[key] = ("must be a whole number of seconds" if kind is int
                       else "must be a number of seconds (e.g. 5 or 0.5)")
        return None
    value = kind(text)
    if not minimum <= value <= maximum:
        errors[key] = f"must be from {minimum} to {maximum} seconds"
        return None
    return value


def _unit_list(text: str, errors: dict, key: str) -> list[str]:
    names = (text or "").replace(",", " ").split()
    bad = [n for n in names if not UNIT_NAME.fullmatch(n)]
    if bad:
        errors[key] = f"not a unit name: {', '.join(bad)} (e.g. network-online.target, db.service)"
    return names


def options_from_form(data: Mapping[str, str], *, default_name: str, user_scope: bool,
                      podman_version: tuple[int, ...] = (4, 3, 1)) -> UnitOptions:
    """Validate the dialog's fields; raise InvalidOptions naming every bad one."""
    errors: dict[str, str] = {}
    name = (data.get("unit_name") or default_name).strip()
    for suffix in (".service", ".container", ".pod"):
        name = name.removesuffix(suffix)
    if not UNIT_BASE_NAME.fullmatch(name):
        errors["unit_name"] = "letters, digits and _ . : - only, starting with a letter or digit"
    fmt = data.get("format") or "auto"
    if fmt not in FORMATS:
        errors["format"] = f"one of {', '.join(FORMATS)}"
    restart = data.get("restart") or ""
    if restart and restart not in RESTART_POLICIES:
        errors["restart"] = f"one of {', '.join(RESTART_POLICIES)}"
    sdnotify = data.get("sdnotify") or "conmon"
    if sdnotify not in SDNOTIFY_MODES:
        errors["sdnotify"] = f"one of {', '.join(SDNOTIFY_MODES)}"
    elif sdnotify == "healthy" and podman_version < (5, 0):
        errors["sdnotify"] = ("'healthy' needs podman 5.0 or later (this host runs "
                              f"{'.'.join(map(str, podman_version))}); choose conmon or container")
    auto_update = data.get("auto_update") or ""
    if auto_update not in AUTO_UPDATE:
        errors["auto_update"] = "empty, registry or local"
    wanted_by = (data.get("wanted_by") or "").strip() or default_target(user_scope)
    if not UNIT_NAME.fullmatch(wanted_by) or not wanted_by.endswith(".target"):
        errors["wanted_by"] = "a target unit, e.g. default.target"
    options = UnitOptions(
        unit_name=name, format=fmt, restart=restart,
        restart_sec=_number(data.get("restart_sec", ""), errors, "restart_sec", float),
        sdnotify=sdnotify,
        start_timeout=_number(data.get("start_timeout", ""), errors, "start_timeout", int, 1),
        # podman's stop timeout is a uint; systemd waits 60 s longer (service_lines)
        stop_timeout=_number(data.get("stop_timeout", ""), errors, "stop_timeout", maximum=2 ** 32 - 1)
        if (data.get("stop_timeout") or "").strip() else 10,
        auto_update=auto_update, wanted_by=wanted_by,
        after=_unit_list(data.get("after", ""), errors, "after"),
        requires=_unit_list(data.get("requires", ""), errors, "requires"),
    )
    if errors:
        raise InvalidOptions(errors)
    return options
