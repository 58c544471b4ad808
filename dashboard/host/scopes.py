"""The two scopes of every URL and action: `system` and `user`.

A Scope holds the addresses Podhouse uses in it: the Podman API socket, the D-Bus
address of its systemd manager, and the folders where unit files and Quadlet files
are written.  The embedded host stack (dashboard/host/hoststack.py) has only a user
manager, so it offers only the `user` scope; `absent_scopes()` says why the other
is missing.  On a host where systemd is PID 1 root gets only the `system` scope
(its user scope would be the same rootful podman) and any other account both, its
own `user` scope by default.  The host stack's state file is read again only when
it changed (its mtime), not on every call.  Framework-free: no Django import.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dashboard.host import hoststack

SCOPE_NAMES = ("system", "user")


@dataclass(frozen=True)
class Scope:
    name: str
    podman_socket: str
    bus_address: str  # "system" means the system bus
    unit_dir: Path
    quadlet_dir: Path
    environment: tuple[tuple[str, str], ...] = ()

    @property
    def is_user(self) -> bool:
        return self.name == "user"

    def __str__(self) -> str:
        return self.name

    def child_env(self) -> dict[str, str]:
        """os.environ plus what a child (podman, systemctl, journalctl) needs here."""
        return {**os.environ, **dict(self.environment)}


class UnknownScope(LookupError):
    pass


# (state file path, its inode, size and mtime, or None when absent) -> the scopes built
# from it.  Inode and size too: the kernel's file clock ticks in milliseconds, and
# hoststack writes the file anew (os.replace) each time.
_cached: tuple[tuple, dict[str, Scope]] | None = None


def _state_key() -> tuple:
    path = hoststack.STATE_FILE
    try:
        stat = path.stat()
    except OSError:
        return str(path), None
    return str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns


def available_scopes() -> dict[str, Scope]:
    """The scopes of this host, by name (the default first).  Built again only when
    the host stack's state file changed since the last call."""
    global _cached
    key = _state_key()
    if _cached is not None and _cached[0] == key:
        return dict(_cached[1])
    scopes = _build_scopes()
    _cached = (key, scopes)
    return dict(scopes)


def _build_scopes() -> dict[str, Scope]:
    state = hoststack.load_state() or hoststack.host_state()
    home = Path.home()
    user = Scope(
        name="user",
        podman_socket=state.podman_socket,
        bus_address=state.bus_address,
        unit_dir=home / ".config/systemd/user",
        quadlet_dir=home / ".config/containers/systemd",
        environment=tuple(sorted(state.environment().items())),
    )
    if state.embedded:
        return {"user": user}
    system = Scope(
        name="system",
        podman_socket="/run/podman/podman.sock",
        bus_address="system",
        unit_dir=Path("/etc/systemd/system"),
        quadlet_dir=Path("/etc/containers/systemd"),
    )
    if os.geteuid() == 0:
        # Root's "rootless" podman is the rootful one (same storage, same
        # containers): a user scope for root would show the system scope twice.
        return {"system": system}
    return {"system": system, "user": user}


def absent_scopes() -> dict[str, str]:
    """The scope names this host lacks, each with why, in words."""
    present = available_scopes()
    reasons = {"system": "no system manager: systemd is not PID 1 here (the embedded host stack runs "
                         "only a user manager)",
               "user": ("root's own Podman is the rootful one of the system scope, so root has no "
                        "separate user scope" if os.geteuid() == 0 else "no user manager on this host")}
    return {name: reasons[name] for name in SCOPE_NAMES if name not in present}


def get_scope(name: str) -> Scope:
    scopes = available_scopes()
    try:
        return scopes[name]
    except KeyError:
        raise UnknownScope(f"no scope {name!r} here (available: {', '.join(scopes)})") from None


def default_scope_name() -> str:
    """The scope this account can use: its own (user) when it is not root, since
    rootful Podman's socket and the system's units belong to root."""
    scopes = available_scopes()
    if "user" in scopes and os.geteuid() != 0:
        return "user"
    return next(iter(scopes))


def unusable_reason(scope: Scope) -> str:
    """Why this account cannot act in `scope`, in words; "" when it can."""
    if scope.is_user or os.geteuid() == 0:
        return ""
    if not os.access(scope.podman_socket, os.R_OK | os.W_OK):
        return (f"The system scope belongs to root: this account (uid {os.geteuid()}) may not use "
                f"rootful Podman's socket {scope.podman_socket}, and systemd refuses it the system's "
                "units. Its own containers and units are in the user scope.")
    return ""
