"""The one-per-process watcher on the real Podman service: a change made from the
CLI reaches the Channels groups as rendered rows (operator and viewer), a removal as
"not present", and a pod's row follows its members."""
import asyncio
import secrets
import subprocess

import pytest
from channels.layers import get_channel_layer

from dashboard.live.podman_watch import ensure_watching, group_name

pytestmark = pytest.mark.integration


def podman(*args: str) -> None:
    subprocess.run(["podman", *args], check=True, capture_output=True)


async def items_about(layer, channel, name: str, want, timeout: float = 15) -> dict:
    """The first changed item naming `name` (or its id) that satisfies want(item)."""
    async def wait():
        while True:
            message = await layer.receive(channel)
            for item in message.get("items", []):
                facts = item.get("facts") or {}
                if (facts.get("name") == name or item["id"] == name) and want(item):
                    return item
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
        item = await items_about(layer, containers, name, lambda i: i["present"] and i["facts"]["state"] == "running")
        assert f'data-name="{name}"' in item["html"]["operator"] and 'data-action="stop"' in item["html"]["operator"]
        assert 'data-action' not in item["html"]["viewer"]
        assert item["facts"]["pod_name"] == pod and f">{pod}<" in item["html"]["viewer"]
        pod_item = await items_about(layer, pods, pod, lambda i: i["present"] and f'data-member="{name}"' in i["html"]["viewer"])
        assert pod_item["facts"]["state"] == "running"
        container_id = item["id"]
        await asyncio.to_thread(podman, "rm", "-f", "-t", "0", name)
        gone = await items_about(layer, containers, container_id, lambda i: not i["present"])
        assert "html" not in gone
    finally:
        await asyncio.to_thread(subprocess.run, ["podman", "pod", "rm", "-f", "-t", "0", pod], capture_output=True)
        watch.stop()


def _live_page_socket(scope_name: str, query: str, user):
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.urls import path

    from dashboard.consumers.podman_live import PodmanLiveConsumer

    application = URLRouter([path("ws/podman/<str:scope>/<str:area>/", PodmanLiveConsumer.as_asgi())])
    communicator = WebsocketCommunicator(application, f"/ws/podman/{scope_name}/containers/?{query}")
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
            if any((i.get("facts") or {}).get("name") == name for i in watch.since("containers", at) or []):
                break
            await asyncio.sleep(0.05)
        caught_up = _live_page_socket(host_scope.name, f"at={at}", user)
        assert (await caught_up.connect())[0]
        message = await caught_up.receive_from(timeout=10)
        assert f'data-name="{name}"' in message and 'data-state="running"' in message
        assert 'id="containers-body"' not in message  # the rows since, not the whole table again
        await caught_up.disconnect()
        # a page from before the event stream was (re)opened reads podman and gets every row
        stale = _live_page_socket(host_scope.name, f"at={watch.epoch + 1}.0", user)
        assert (await stale.connect())[0]
        message = await stale.receive_from(timeout=10)
        assert message.startswith('<tbody id="containers-body" hx-swap-oob="innerHTML">') and f'data-name="{name}"' in message
        await stale.disconnect()
    finally:
        await asyncio.to_thread(subprocess.run, ["podman", "rm", "-f", "-t", "0", name], capture_output=True)
        watch.stop()
