"""Health of each part of the host stack, from real calls: podman's /info, the
systemd manager's Version property over D-Bus, and a read of the journal."""
from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass

import httpx
from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

from dashboard.scopes import Scope

JOURNAL_SOCKET = "/run/systemd/journal/socket"
TIMEOUT = 3.0


@dataclass
class PartHealth:
    name: str
    ok: bool
    version: str = ""
    error: str = ""


async def podman_health(scope: Scope) -> PartHealth:
    transport = httpx.AsyncHTTPTransport(uds=scope.podman_socket)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://d", timeout=TIMEOUT) as client:
            response = await client.get("/v4.0.0/libpod/info")
            response.raise_for_status()
            info = response.json()
        return PartHealth("podman", True, version=info["version"]["Version"])
    except (httpx.HTTPError, KeyError, ValueError) as error:
        return PartHealth("podman", False, error=f"{scope.podman_socket}: {error or type(error).__name__}")


async def open_bus(scope: Scope) -> MessageBus:
    if scope.bus_address == "system":
        return await MessageBus(bus_type=BusType.SYSTEM).connect()
    return await MessageBus(bus_address=scope.bus_address).connect()


async def systemd_health(scope: Scope) -> PartHealth:
    bus = None
    try:
        bus = await asyncio.wait_for(open_bus(scope), TIMEOUT)
        reply = await asyncio.wait_for(bus.call(Message(
            destination="org.freedesktop.systemd1", path="/org/freedesktop/systemd1",
            interface="org.freedesktop.DBus.Properties", member="Get", signature="ss",
            body=["org.freedesktop.systemd1.Manager", "Version"])), TIMEOUT)
        if reply.message_type == MessageType.ERROR:
            return PartHealth("systemd", False, error=f"{reply.error_name}: {' '.join(map(str, reply.body))}")
        return PartHealth("systemd", True, version=reply.body[0].value)
    except (OSError, asyncio.TimeoutError, Exception) as error:  # dbus-fast raises plain Exception subclasses
        return PartHealth("systemd", False, error=f"{scope.bus_address}: {error or type(error).__name__}")
    finally:
        if bus is not None:
            bus.disconnect()


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
