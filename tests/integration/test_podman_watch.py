"""The one-per-process watcher on the real Podman service: a change made from the
CLI reaches the Channels groups as row data (dashboard.live.lists' contract), a
removal as None, and a pod's row follows its members; a page's socket catches up
from its position."""
import asyncio
import secrets
import subprocess

import pytest
from channels.layers import get_channel_layer

from dashboard.live.lists import remember_page
from dashboard.live.podman_watch import ensure_watching, group_name

pytestmark = pytest.mark.integration


def podman(*args: str) -> None:
    subprocess.run(["podman", *args], check=True, capture_output=True)


async def rows_about(layer, channel, name: str, want, timeout: float = 15) -> tuple[str, dict | None]:
    """The first changed row (key, data) naming `name` (or keyed by it) that satisfies want(data)."""
    async def wait():
        while True:
            message = await layer.receive(channel)
            assert message["type"] in ("rows.changed", "rows.refresh")
            for key, row in message.get("rows", {}).items():
                if ((row or {}).get("name") == name or key == name) and want(row):
                    return key, row
    return await asyncio.wait_for(wait(), timeout)


async def test_cli_changes_reach_the_groups_as_rows(host_scope):
    layer = get_channel_layer()
    containers, pods = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(group_name(host_scope.name, "containers"), containers)
    await layer.group_add(group_name(host_scope.name, "pods"), pods)
    watch = ensure_watching(host_scope.name)
    assert ensure_watching(host_scope.name) is watch  # one per process and scope
    await asyncio.sleep(0.5)
    pod, name = f"phc-wpod-{secrets.token_hex(4)}", f"phc-watch-{secrets.token_hex(4)}"
    try:
        await asyncio.to_thread(podman, "pod", "create", "--name", pod)
        await asyncio.to_thread(podman, "run", "-d", "--pod", pod, "--name", name, "localhost/busybox:latest",
                                "sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait")
        container_id, row = await rows_about(layer, containers, name, lambda r: r and r["state"] == "running")
        assert row["id"] == container_id and row["pod_name"] == pod and row["pod_id"]
        assert not any("<" in str(value) for value in row.values())  # data, not HTML
        # the pod's row follows its member: "degraded" while the member is only created,
        # then "running" (a row may be published at each step)
        _, pod_row = await rows_about(layer, pods, pod, lambda r: r and r["state"] == "running"
                                      and any(m["name"] == name for m in r["containers"]))
        assert [m["state"] for m in pod_row["containers"] if m["name"] == name] == ["running"]
        await asyncio.to_thread(podman, "rm", "-f", "-t", "0", name)
        _, gone = await rows_about(layer, containers, container_id, lambda r: r is None)
        assert gone is None
    finally:
        await asyncio.to_thread(subprocess.run, ["podman", "pod", "rm", "-f", "-t", "0", pod], capture_output=True)
        watch.stop()


def _live_page_socket(scope_name: str, query: str, user):
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.urls import path

    from dashboard.consumers.podman_live import PodmanListConsumer

    application = URLRouter([path("ws/<str:scope>/containers/", PodmanListConsumer.as_asgi(), {"area": "containers"})])
    communicator = WebsocketCommunicator(application, f"/ws/{scope_name}/containers/?{query}")
    communicator.scope["user"] = user
    return communicator


async def test_a_page_opened_while_watching_catches_up_on_what_changed_since_its_render(host_scope):
    from django.contrib.auth.models import User

    # an administrator's account as the session gives it (superusers hold every permission without the database)
    user = User(username=f"phc-{secrets.token_hex(3)}", is_superuser=True, is_active=True)
    watch = ensure_watching(host_scope.name)
    for _ in range(50):  # the event stream opens on the loop's next turns
        if watch.position():
            break
        await asyncio.sleep(0.05)
    at = watch.position()
    assert at, "the watcher never opened podman's event stream"
    name = f"phc-catch-{secrets.token_hex(4)}"
    try:
        # changed after the "render" at `at`, before the page's socket opens
        await asyncio.to_thread(podman, "run", "-d", "--name", name, "localhost/busybox:latest",
                                "sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait")
        for _ in range(300):
            if any((row or {}).get("name") == name for row in (watch.since("containers", at) or {}).values()):
                break
            await asyncio.sleep(0.05)
        # the page drew no rows (its list call came before the container): it gets it appended
        caught_up = _live_page_socket(host_scope.name, f"at={at}&page={remember_page([])}", user)
        assert (await caught_up.connect())[0]
        message = await caught_up.receive_from(timeout=10)
        assert f'data-name="{name}"' in message and 'data-state="running"' in message
        assert message.startswith('<tbody hx-swap-oob="beforeend:#containers-body">')  # not the whole table again
        await caught_up.disconnect()
        # a page from before the event stream was (re)opened reads podman and gets every row
        stale = _live_page_socket(host_scope.name, f"at={watch.epoch + 1}.0&page={remember_page([])}", user)
        assert (await stale.connect())[0]
        message = await stale.receive_from(timeout=10)
        assert message.startswith('<tbody id="containers-body" hx-swap-oob="innerHTML">') and f'data-name="{name}"' in message
        await stale.disconnect()
    finally:
        await asyncio.to_thread(subprocess.run, ["podman", "rm", "-f", "-t", "0", name], capture_output=True)
        watch.stop()


async def _held_rows_settle(watch, expected, timeout: float = 15) -> dict[str, dict]:
    """The watcher's rows by name once they equal podman's own list (or the last seen)."""
    held = {}
    for _ in range(int(timeout / 0.05)):
        current = await watch.every_container()
        if current is not None:
            held = {row["name"]: row for row in current[1]}
            if expected(held):
                break
        await asyncio.sleep(0.05)
    return held


def _listed_by_podman() -> dict[str, dict]:
    import json

    out = subprocess.run(["podman", "ps", "-a", "--format", "json"], check=True, capture_output=True, text=True).stdout
    return {c["Names"][0]: c for c in json.loads(out)}


async def test_the_watcher_holds_every_container_as_podman_lists_it(host_scope):
    """The containers page draws from the watcher's rows: after creates, starts, a
    rename, stops and removals they are podman's list, state for state."""
    watch = ensure_watching(host_scope.name)
    tag = secrets.token_hex(4)
    a, b, renamed = f"phc-held-a-{tag}", f"phc-held-b-{tag}", f"phc-held-r-{tag}"
    try:
        held = await _held_rows_settle(watch, lambda rows: True)
        assert await watch.every_container() is not None, "the watcher never listed the containers"
        await asyncio.to_thread(podman, "create", "--name", a, "localhost/busybox:latest", "sleep", "600")
        await asyncio.to_thread(podman, "run", "-d", "--name", b, "localhost/busybox:latest",
                                "sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait")
        await asyncio.to_thread(podman, "rename", a, renamed)
        held = await _held_rows_settle(watch, lambda rows: renamed in rows and a not in rows
                                       and rows.get(b, {}).get("state") == "running")
        assert renamed in held and a not in held and held[b]["state"] == "running"
        await asyncio.to_thread(podman, "stop", "-t", "5", b)
        held = await _held_rows_settle(watch, lambda rows: rows.get(b, {}).get("state") == "exited")
        assert held[b]["state"] == "exited" and held[b]["exit_code"] == 0
        await asyncio.to_thread(podman, "rm", "-f", "-t", "0", renamed, b)
        held = await _held_rows_settle(watch, lambda rows: renamed not in rows and b not in rows)
        assert renamed not in held and b not in held
        # the whole of it (other suites may be changing containers meanwhile: until they agree)
        for _ in range(100):
            held = {name: row["state"] for name, row in (await _held_rows_settle(watch, lambda rows: True)).items()}
            listed = {name: c["State"] for name, c in (await asyncio.to_thread(_listed_by_podman)).items()}
            if held == listed:
                break
            await asyncio.sleep(0.1)
        assert held == listed
    finally:
        await asyncio.to_thread(subprocess.run, ["podman", "rm", "-f", "-t", "0", a, b, renamed], capture_output=True)
        watch.stop()


async def test_containers_created_and_removed_concurrently_are_all_seen(host_scope):
    """Podman writes the events of concurrent operations in the order they finish, not
    in their times' order (in this machine's event log, one remove in twelve of a
    burst): each one still reaches the watcher.  The event stream once skipped every
    event older than the newest it had given: a container missing from the list, or
    a removed one left in it, every few hundred."""
    from engine.podman import PodmanClient

    watch = ensure_watching(host_scope.name)
    tag = secrets.token_hex(4)
    names = [f"phc-conc-{tag}-{n:02d}" for n in range(64)]
    mine = lambda rows: sorted(name for name in rows if name.startswith(f"phc-conc-{tag}"))  # noqa: E731
    try:
        await _held_rows_settle(watch, lambda rows: True)
        async with PodmanClient(host_scope.podman_socket) as client:
            for start in range(0, len(names), 8):
                await asyncio.gather(*(client.create_container({"name": name, "image": "localhost/busybox:latest",
                                                                "command": ["true"]})
                                       for name in names[start:start + 8]))
            assert mine(await _held_rows_settle(watch, lambda rows: mine(rows) == names)) == names
            for start in range(0, len(names), 8):
                await asyncio.gather(*(client.remove_container(name, force=True) for name in names[start:start + 8]))
            assert mine(await _held_rows_settle(watch, lambda rows: not mine(rows))) == []
    finally:
        await asyncio.to_thread(subprocess.run, ["podman", "rm", "-f", "-t", "0", *names], capture_output=True)
        watch.stop()
