"""Following journald for real: live batches, resume after a cursor, a journalctl or a
journald that dies under the follower, and no journalctl left behind."""
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path

from dashboard.host import hoststack, journal
from dashboard.consumers.logs import LogPaneConsumer

pytestmark = pytest.mark.integration
IMAGE = "localhost/busybox:latest"
JOURNAL_SOCKET = "/run/systemd/journal/socket"


def journalctl_children() -> list[int]:
    """journalctl processes started by this test process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            comm = fields[0].split("(", 1)[1]
            ppid = int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if comm == "journalctl" and ppid == os.getpid():
            found.append(int(stat.parent.name))
    return found


async def eventually(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "never came true"
        await asyncio.sleep(0.05)


def write_lines(tag: str, lines: list[str], env) -> None:
    """Lines straight into journald under a syslog identifier (systemd-cat)."""
    subprocess.run(["systemd-cat", "-t", tag], input="".join(f"{line}\n" for line in lines).encode(),
                   check=True, env=env)


def tag_query(tag: str) -> journal.LogQuery:
    return journal.build_query(((("SYSLOG_IDENTIFIER", tag),),))


async def collect(follower: journal.JournalFollower, want: int, got: list, timeout: float = 15.0):
    """Gather batches until `want` lines have come (or fail after `timeout`)."""
    async def run():
        async with contextlib.aclosing(follower.batches()) as batches:
            async for batch in batches:
                got.append(batch)
                if sum(map(len, got)) >= want:
                    return
    await asyncio.wait_for(run(), timeout)


async def test_a_container_followed_live_arrives_whole_in_small_batches(user_scope):
    name = f"phl-live-{uuid.uuid4().hex[:8]}"
    query = journal.build_query(journal.container_terms([name]))
    follower = journal.JournalFollower(query, user_scope.child_env(), since_floor=time.time() - 1)
    got: list[list[journal.Entry]] = []
    task = asyncio.create_task(collect(follower, 1500, got))
    await asyncio.sleep(0.3)  # journalctl is following before the container starts
    run = await asyncio.create_subprocess_exec(
        "podman", "run", "--rm", "--name", name, IMAGE, "sh", "-c", "for i in $(seq 1 1500); do echo n$i; done",
        stdout=asyncio.subprocess.DEVNULL, env=user_scope.child_env())
    await run.wait()
    await task
    assert [e.message for b in got for e in b] == [f"n{i}" for i in range(1, 1501)]
    assert max(map(len, got)) <= journal.BATCH_LINES
    assert journalctl_children() == []


async def test_resume_after_a_cursor_gives_exactly_the_lines_after_it(user_scope):
    tag, env = f"phl-resume-{uuid.uuid4().hex[:8]}", user_scope.child_env()
    write_lines(tag, [f"r{i}" for i in range(1, 101)], env)
    # Not at once: journalctl --follow --after-cursor gives every stored line while
    # they are fresh, but (systemd 252) only the last 10 a moment later, unless told
    # --lines=all.  A browser comes back after some outage.
    await asyncio.sleep(2)
    seen = await journal.read_entries(tag_query(tag), env, lines=100)
    assert [e.message for e in seen] == [f"r{i}" for i in range(1, 101)]
    follower = journal.JournalFollower(tag_query(tag), env, after=seen[39].cursor)
    rest: list = []
    task = asyncio.create_task(collect(follower, 160, rest))
    await eventually(lambda: sum(map(len, rest)) >= 60)
    write_lines(tag, [f"r{i}" for i in range(101, 201)], env)
    await task
    assert [e.message for b in rest for e in b] == [f"r{i}" for i in range(41, 201)]
    assert journalctl_children() == []


async def test_a_killed_journalctl_is_replaced_after_the_last_cursor(user_scope):
    tag, env = f"phl-respawn-{uuid.uuid4().hex[:8]}", user_scope.child_env()
    follower = journal.JournalFollower(tag_query(tag), env, since_floor=time.time() - 1)
    got: list = []
    task = asyncio.create_task(collect(follower, 100, got))
    await asyncio.sleep(0.3)
    write_lines(tag, [f"k{i}" for i in range(1, 51)], env)
    await eventually(lambda: sum(map(len, got)) >= 50)
    follower._proc.send_signal(signal.SIGKILL)
    write_lines(tag, [f"k{i}" for i in range(51, 101)], env)
    await task
    assert [e.message for b in got for e in b] == [f"k{i}" for i in range(1, 101)]
    assert follower.restarts == 1


async def test_journald_restarted_while_following_loses_nothing_after_it(user_scope):
    tag, env = f"phl-restart-{uuid.uuid4().hex[:8]}", user_scope.child_env()
    state = hoststack.load_state()
    if not state.embedded:
        pytest.fail("this test restarts the embedded stack's journald; run it on the embedded stack")
    follower = journal.JournalFollower(tag_query(tag), env, since_floor=time.time() - 1)
    got: list = []
    task = asyncio.create_task(collect(follower, 40, got, timeout=30))
    await asyncio.sleep(0.3)
    write_lines(tag, [f"j{i}" for i in range(1, 21)], env)
    await eventually(lambda: sum(map(len, got)) >= 20)
    old_pid = state.started["journald"]
    try:
        os.kill(old_pid, signal.SIGTERM)
        await eventually(lambda: not hoststack.unix_socket_answers(JOURNAL_SOCKET, socket.SOCK_DGRAM), 10)
    finally:
        new_state = await asyncio.to_thread(hoststack.up, install=False)
    assert new_state.started["journald"] != old_pid
    write_lines(tag, [f"j{i}" for i in range(21, 41)], env)
    await task
    assert [e.message for b in got for e in b] == [f"j{i}" for i in range(1, 41)]


def _communicator(user=SimpleNamespace(is_authenticated=True, username="phl")):
    application = URLRouter([path("ws/<str:scope>/logs/", LogPaneConsumer.as_asgi())])
    communicator = WebsocketCommunicator(application, "/ws/user/logs/")
    communicator.scope["user"] = user
    return communicator


async def _messages_until(communicator, predicate, timeout=10.0):
    messages = []
    deadline = time.monotonic() + timeout
    while not predicate(messages):
        messages.append(json.loads(await communicator.receive_from(timeout=max(0.1, deadline - time.monotonic()))))
    return messages


def _lines(messages, kind="lines"):
    return [line[5] for m in messages if m["t"] == kind for line in m["lines"]]


async def test_the_pane_socket_sends_lines_resumes_and_leaves_no_journalctl(host_stack, user_scope):
    tag, env = f"phl-pane-{uuid.uuid4().hex[:8]}", user_scope.child_env()
    write_lines(tag, [f"{tag} p{i}" for i in range(1, 301)], env)
    # The whole journal narrowed by text (in each message): the Logs page's "everything".
    communicator = _communicator()
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "open", "kind": "all", "text": tag, "lines": 100, "follow": True})
    messages = await _messages_until(communicator, lambda ms: len(_lines(ms)) >= 100)
    assert messages[0]["t"] == "source"
    assert _lines(messages) == [f"{tag} p{i}" for i in range(201, 301)]
    await eventually(lambda: len(journalctl_children()) == 1)  # the follower, once it has started
    first_cursor = next(m for m in messages if m["t"] == "lines")["lines"][0][0]
    await communicator.send_json_to({"type": "earlier", "cursor": first_cursor, "lines": 150})
    earlier = await _messages_until(communicator, lambda ms: any(m["t"] == "earlier" for m in ms))
    assert _lines(earlier, "earlier") == [f"{tag} p{i}" for i in range(51, 201)]
    last_cursor = messages[-1]["lines"][-1][0]
    await communicator.disconnect()
    await asyncio.sleep(0.1)
    assert journalctl_children() == []

    write_lines(tag, [f"{tag} p{i}" for i in range(301, 351)], env)
    again = _communicator()
    await again.connect()
    await again.send_json_to({"type": "open", "kind": "all", "text": tag, "follow": True, "after": last_cursor})
    resumed = await _messages_until(again, lambda ms: len(_lines(ms)) >= 50)
    assert _lines(resumed) == [f"{tag} p{i}" for i in range(301, 351)]
    await again.disconnect()
    await asyncio.sleep(0.1)
    assert journalctl_children() == []


@pytest.mark.parametrize("request_, message", [
    ({"type": "open", "kind": "container", "name": "phl-nothing-here-x"}, "no container"),
    ({"type": "open", "kind": "all", "after": "s=garbage"}, "cursor"),
    ({"type": "open", "kind": "all", "since": "2026-13-45"}, "not a time"),
    ({"type": "open", "kind": "all", "priority": "loud"}, "priority"),
    ({"type": "earlier", "cursor": "x"}, "open the pane first"),
    ({"open": {"kind": "all"}}, "JSON object with a type"),
    ("not an object", "JSON object"),
])
async def test_the_pane_socket_answers_bad_input_with_a_message(host_stack, request_, message):
    communicator = _communicator()
    await communicator.connect()
    await communicator.send_json_to(request_)
    answer = json.loads(await communicator.receive_from(timeout=10))
    assert answer["t"] == "error" and message in answer["message"]
    # still alive: a good request on the same socket works
    await communicator.send_json_to({"type": "open", "kind": "all", "lines": 1, "follow": False})
    follow_up = await _messages_until(communicator, lambda ms: any(m["t"] == "end" for m in ms))
    assert follow_up[0]["t"] == "source"
    await communicator.disconnect()


async def test_the_pane_socket_refuses_anonymous_visitors(host_stack):
    communicator = _communicator(SimpleNamespace(is_authenticated=False))
    connected, code = await communicator.connect()
    assert not connected and code == 4401
