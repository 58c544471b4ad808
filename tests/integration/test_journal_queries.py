"""dashboard/journal.py against the real journald of the host stack: queries by
container, pod, unit, priority, time and text; paging by cursor; bad input."""
import asyncio
import subprocess
import time
import uuid

import pytest

from dashboard.host import journal
from engine.podman import PodmanClient
from engine.podman.log_cursors import PodmanLogReader
from tests.scope_cli import systemctl, systemd_run

pytestmark = pytest.mark.integration
IMAGE = "localhost/busybox:latest"
ALL = [f"line {i}" for i in range(1, 31)] + ["oops 1", "oops 2", "oops 3"]


def unique(kind: str) -> str:
    return f"phl-{kind}-{uuid.uuid4().hex[:8]}"


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout


def wait_for_lines(query, count: int, env=None, timeout: float = 10.0) -> list[journal.Entry]:
    """journald files a line a moment after the container printed it."""
    deadline = time.monotonic() + timeout
    while True:
        entries = asyncio.run(journal.read_entries(query, env, lines=count + 50))
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


@pytest.fixture(scope="module")
def logged_container(host_stack):
    """A finished container that printed 30 numbered lines, then 3 on stderr.  (The
    pause: stdout and stderr reach journald by separate pipes, so only lines of one
    stream keep their order.)"""
    name = unique("ctr")
    podman("run", "--name", name, IMAGE, "sh", "-c",
           'for i in $(seq 1 30); do echo "line $i"; done; sleep 0.3; for i in 1 2 3; do echo "oops $i" >&2; done')
    query = journal.build_query(journal.container_terms([name]))
    entries = wait_for_lines(query, len(ALL))
    yield name, entries
    podman("rm", "-f", "-t", "0", name)


@pytest.fixture
async def client(host_scope):
    async with PodmanClient(host_scope.podman_socket) as client:
        yield client


async def test_container_query_gives_its_lines_in_order_with_cursors(logged_container, client, host_scope):
    name, entries = logged_container
    assert [e.message for e in entries] == ALL
    assert all(e.origin == name and journal.CURSOR_PATTERN.fullmatch(e.cursor) for e in entries)
    assert len({e.cursor for e in entries}) == len(ALL)
    source = await journal.resolve_source("container", name, podman=client, env=host_scope.child_env())
    assert source.kind == "container" and not source.via_podman and source.log_driver == "journald"


async def test_last_n_then_earlier_and_after_by_cursor(logged_container, host_scope):
    name, _ = logged_container
    query = journal.build_query(journal.container_terms([name]))
    env = host_scope.child_env()
    last = await journal.read_entries(query, env, lines=10)
    assert [e.message for e in last] == ALL[-10:]
    earlier = await journal.read_entries(query, env, lines=10, before=last[0].cursor)
    assert [e.message for e in earlier] == ALL[-20:-10]
    first = await journal.read_entries(query, env, lines=100, before=earlier[0].cursor)
    assert [e.message for e in first] == ALL[:-20]
    after = await journal.read_entries(query, env, lines=5, after=first[-1].cursor)
    assert [e.message for e in after] == ALL[-20:-15]


async def test_priority_keeps_stderr_lines_only(logged_container, host_scope):
    name, _ = logged_container
    query = journal.build_query(journal.container_terms([name]), priority="err")
    entries = await journal.read_entries(query, host_scope.child_env(), lines=100)
    assert [e.message for e in entries] == ["oops 1", "oops 2", "oops 3"]
    assert {e.priority for e in entries} == {3}


async def test_text_is_found_literally_and_case_blind(logged_container, host_scope):
    name, _ = logged_container
    env = host_scope.child_env()
    found = await journal.read_entries(journal.build_query(journal.container_terms([name]), text="LINE 2"), env)
    assert [e.message for e in found] == ["line 2"] + [f"line {i}" for i in range(20, 30)]
    nothing = await journal.read_entries(journal.build_query(journal.container_terms([name]), text="line.2("), env)
    assert nothing == []


async def test_time_window(logged_container, host_scope):
    name, entries = logged_container
    env = host_scope.child_env()
    # ISO text, as a person types it, to the microsecond; both ends included
    window = journal.build_query(journal.container_terms([name]),
                                 since=_iso(entries[9].time_us), until=_iso(entries[19].time_us))
    assert [e.message for e in await journal.read_entries(window, env)] == ALL[9:20]
    future = journal.build_query(journal.container_terms([name]), since="2199-01-01")
    assert await journal.read_entries(future, env) == []


def _iso(time_us: int) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(time_us / 1e6, timezone.utc).isoformat()


async def test_boot_current_keeps_this_boots_lines(logged_container, host_scope):
    name, _ = logged_container
    env = host_scope.child_env()
    current = await journal.read_entries(journal.build_query(journal.container_terms([name]), boot="current"), env)
    assert len(current) == len(ALL)
    other = await journal.read_entries(journal.build_query(journal.container_terms([name]), boot="f" * 32), env)
    assert other == []


async def test_pod_query_covers_every_member(client, host_scope):
    pod = unique("pod")
    podman("pod", "create", "--name", pod)
    try:
        members = [f"{pod}-a", f"{pod}-b"]
        for member in members:
            podman("run", "--pod", pod, "--name", member, IMAGE, "sh", "-c", f"echo from {member}")
        source = await journal.resolve_source("pod", pod, podman=client, env=host_scope.child_env())
        assert source.kind == "pod" and all(m in source.description for m in members)
        query = journal.build_query(source.terms)
        entries = await asyncio.to_thread(wait_for_lines, query, 2, host_scope.child_env())
        assert sorted(e.message for e in entries) == [f"from {m}" for m in members]
        assert sorted(e.origin for e in entries) == members
    finally:
        podman("pod", "rm", "-f", "-t", "0", pod)


async def test_unit_query_finds_a_units_output(client, host_scope, host_stack):
    unit = unique("unit")
    # It lives on a moment after printing: journald reads a sender's unit from /proc
    # when it files the line, and finds nothing if the sender is already gone.
    subprocess.run(systemd_run(host_scope, "--quiet", f"--unit={unit}", "sh", "-c", f"u={unit}; echo hello from $u; sleep 1"),
                   check=True, env=host_scope.child_env())
    try:
        source = await journal.resolve_source("unit", unit, podman=client, env=host_scope.child_env(),
                                              user=host_scope.is_user, embedded=host_stack.embedded)
        assert source.name == f"{unit}.service"
        # On a systemd host the manager's own "Started … sh -c …" line matches the unit
        # too, and may come first: wait for the output, which the command line lacks.
        query = journal.build_query(source.terms, text=f"hello from {unit}")
        entries = await asyncio.to_thread(wait_for_lines, query, 1, host_scope.child_env())
        assert [e.message for e in entries] == [f"hello from {unit}"]
    finally:
        subprocess.run(systemctl(host_scope, "stop", f"{unit}.service"), env=host_scope.child_env(),
                       capture_output=True)


async def test_a_removed_container_is_still_found_by_its_journal_lines(client, host_scope):
    name = unique("gone")
    podman("run", "--rm", "--name", name, IMAGE, "echo", "still here")
    await asyncio.to_thread(wait_for_lines, journal.build_query(journal.container_terms([name])), 1)
    source = await journal.resolve_source("container", name, podman=client, env=host_scope.child_env())
    assert "no longer knows" in source.note


async def test_a_container_shows_only_its_own_lines_not_those_of_a_removed_namesake(client, host_scope):
    name = unique("again")
    podman("run", "--rm", "--name", name, IMAGE, "echo", "from the removed one")
    await asyncio.to_thread(wait_for_lines, journal.build_query(journal.container_terms([name])), 1)
    podman("run", "--name", name, IMAGE, "echo", "from the current one")
    try:
        source = await journal.resolve_source("container", name, podman=client, env=host_scope.child_env())
        query = journal.build_query(source.terms)
        entries = await asyncio.to_thread(wait_for_lines, query, 1, host_scope.child_env())
        assert [e.message for e in entries] == ["from the current one"]
        by_name = await journal.read_entries(journal.build_query(journal.container_terms([name])),
                                             host_scope.child_env())
        assert len(by_name) == 2  # the journal has both: the id is what tells them apart
    finally:
        podman("rm", "-f", "-t", "0", name)


async def test_a_k8s_file_container_is_read_through_podman(client, host_scope):
    name = unique("k8s")
    podman("run", "--log-driver=k8s-file", "--name", name, IMAGE, "sh", "-c", "echo one; echo two >&2")
    try:
        source = await journal.resolve_source("container", name, podman=client, env=host_scope.child_env())
        assert source.via_podman and "k8s-file" in source.note
        reader = PodmanLogReader()
        entries = [e async for chunk in reader.entries(client.container_logs(name, timestamps=True)) for e in chunk]
        assert sorted(e.message for e in entries) == ["one", "two"]
    finally:
        podman("rm", "-f", "-t", "0", name)


@pytest.mark.parametrize("kind, name, message", [
    ("container", "phl-no-such-container-x", "no container"),
    ("pod", "phl-no-such-pod-x", "no pod"),
    ("unit", "bad unit name!", "not a unit name"),
    ("volume", "x", "unknown kind"),
    ("container", "a=b", "not a container name"),
])
async def test_unknown_sources_get_a_clear_message(client, host_scope, kind, name, message):
    with pytest.raises(journal.BadQuery, match=message):
        await journal.resolve_source(kind, name, podman=client, env=host_scope.child_env())


async def test_a_malformed_cursor_never_reaches_journalctl(host_scope):
    with pytest.raises(journal.BadQuery, match="cursor"):
        await journal.read_entries(journal.build_query(), host_scope.child_env(), after="s=1;i=2")
