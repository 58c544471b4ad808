"""The embedded host stack: each part answers for real, and `up` is idempotent."""
import json
import os
import re
import subprocess
import time
import uuid

import httpx
import pytest
from dbus_fast import Message, MessageType

from dashboard.host import health, hoststack
from dashboard.host.systemd import open_bus

pytestmark = pytest.mark.integration


def test_up_twice_starts_nothing_new(host_stack):
    before = hoststack.load_state()
    again = hoststack.up(install=False)
    assert again.started == before.started
    assert set(hoststack.status().values()) == {"running"}


def test_state_file_records_addresses_for_the_settings(host_stack):
    state = hoststack.load_state()
    assert state.podman_socket.endswith("/podman/podman.sock")
    assert state.bus_address.startswith("unix:path=")
    if state.embedded:
        assert set(state.started) == {"journald", "dbus", "systemd", "podman"}


async def test_podman_info_over_the_socket(user_scope):
    transport = httpx.AsyncHTTPTransport(uds=user_scope.podman_socket)
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
        info = (await client.get("/v4.0.0/libpod/info")).json()
    assert info["host"]["ociRuntime"]["name"] == "runc" or not hoststack.load_state().embedded
    assert info["version"]["Version"].split(".")[0] in ("4", "5")


async def test_list_units_over_dbus(user_scope):
    bus = await open_bus(user_scope)
    try:
        reply = await bus.call(Message(
            destination="org.freedesktop.systemd1", path="/org/freedesktop/systemd1",
            interface="org.freedesktop.systemd1.Manager", member="ListUnits"))
    finally:
        bus.disconnect()
    assert reply.message_type == MessageType.METHOD_RETURN, reply.body
    names = {unit[0] for unit in reply.body[0]}
    assert "default.target" in names or "basic.target" in names, sorted(names)[:20]


def test_line_sent_to_journald_is_read_back(user_scope):
    tag = f"podhouse-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["systemd-cat", "-t", tag, "echo", "hello from the test"], check=True,
                   env=user_scope.child_env())
    # journalctl --follow would wait forever on a lost line; poll the written
    # journal a bounded number of times instead (journald flushes asynchronously).
    for _ in range(50):
        out = subprocess.run(["journalctl", "-o", "json", "--no-pager", f"SYSLOG_IDENTIFIER={tag}"],
                             capture_output=True, text=True, check=True, env=user_scope.child_env()).stdout
        if out.strip():
            break
        time.sleep(0.1)
    entry = json.loads(out.splitlines()[-1])
    assert entry["MESSAGE"] == "hello from the test"


async def test_health_of_every_part_is_green(user_scope):
    parts = await health.check_all(user_scope)
    assert [(p.name, p.ok) for p in parts] == [("podman", True), ("systemd", True), ("journald", True)], parts
    assert re.match(r"\d{3}\b", parts[1].version), parts[1].version  # e.g. 252.39-1~deb12u2


def test_every_daemon_of_the_stack_works_from_the_root_folder(host_stack):
    # A daemon left in a checkout's folder breaks when that folder is deleted
    # (seen: the Podman service answered "write child: broken pipe" to every start).
    for name, pid in hoststack.load_state().started.items():
        assert os.readlink(f"/proc/{pid}/cwd") == "/", name
