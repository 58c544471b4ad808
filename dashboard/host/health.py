"""Health of each part of the host stack, from real calls: podman's /info, the
systemd manager's Version property over D-Bus, and a read of the journal."""
from __future__ import annotations

import asyncio
import json
import re
import socket
from dataclasses import dataclass

from dashboard.host.podman_clients import client_for
from dashboard.host.scopes import Scope
from dashboard.host.systemd import MANAGER, MANAGER_PATH, SystemdManager
from engine.podman.errors import PodmanError

JOURNAL_SOCKET = "/run/systemd/journal/socket"
TIMEOUT = 3.0


@dataclass
class PartHealth:
    name: str
    ok: bool
    version: str = ""
    error: str = ""

    @property
    def short_version(self) -> str:
        """The upstream version, without the distribution's suffix (252.39-1~deb12u2 -> 252.39)."""
        return re.split(r"[-~+]", self.version, maxsplit=1)[0]


async def podman_health(scope: Scope) -> PartHealth:
    try:
        info = await asyncio.wait_for(client_for(scope.name).info(), TIMEOUT)
        return PartHealth("podman", True, version=info["version"]["Version"])
    except PodmanError as error:  # EngineUnavailable names the socket it tried
        return PartHealth("podman", False, error=str(error))
    except (asyncio.TimeoutError, KeyError) as error:
        return PartHealth("podman", False, error=f"{scope.podman_socket}: {error or type(error).__name__}")


async def systemd_health(scope: Scope) -> PartHealth:
    manager = None
    try:
        manager = await asyncio.wait_for(SystemdManager.connect(scope), TIMEOUT)
        version = await asyncio.wait_for(manager.get_property(MANAGER_PATH, MANAGER, "Version"), TIMEOUT)
        return PartHealth("systemd", True, version=version)
    except (OSError, asyncio.TimeoutError, Exception) as error:  # dbus-fast raises plain Exception subclasses
        return PartHealth("systemd", False, error=f"{scope.bus_address}: {error or type(error).__name__}")
    finally:
        if manager is not None:
            manager.close()


async def journald_health(scope: Scope) -> PartHealth:
    # journalctl reads the files even when journald is gone, so first ask whether
    # journald listens (connect only: nothing is written to the journal).
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(JOURNAL_SOCKET)
        except OSError as error:
            return PartHealth("journald", False, error=f"{JOURNAL_SOCKET}: {error.strerror}")
    try:
        proc = await asyncio.create_subprocess_exec(
            "journalctl", "-n", "1", "-o", "json", "--no-pager", "-q",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=scope.child_env())
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except (OSError, asyncio.TimeoutError) as error:
        return PartHealth("journald", False, error=f"journalctl: {error or 'timed out'}")
    if proc.returncode != 0:
        return PartHealth("journald", False, error=err.decode(errors="replace").strip())
    try:
        if out.strip():
            json.loads(out.splitlines()[-1])
    except ValueError:
        return PartHealth("journald", False, error="journalctl gave unreadable output")
    return PartHealth("journald", True)


async def check_all(scope: Scope) -> list[PartHealth]:
    return list(await asyncio.gather(podman_health(scope), systemd_health(scope), journald_health(scope)))
