"""Shared container-stats streams against the real Podman: many pages on one
container cost one podman stream, which stops with its last viewer; an account's
stats sockets are limited, with a reason given."""
import asyncio
import secrets

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from dashboard.asgi import application
from dashboard.live.stats_streams import CLOSE_TOO_MANY, streams
from engine.podman import PodmanClient
from tests.podman_cli import BUSYBOX, podman

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
VIEWERS = 12


@pytest.fixture
def running(host_stack):
    name = f"phsec-stats-{secrets.token_hex(4)}"
    podman("run", "-d", "--name", name, BUSYBOX, "sleep", "600")
    yield name
    podman("rm", "-f", "-t", "0", name)


@pytest.fixture
def cookie():
    from django.contrib.auth.models import User

    User.objects.create_user("stats-viewer", password="stats-password-1")
    client = Client()
    assert client.login(username="stats-viewer", password="stats-password-1")
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.fixture
def podman_streams(monkeypatch):
    """Counts the stats streams opened on podman (the real client, counted)."""
    opened = []
    real = PodmanClient.container_stats

    def counted(self, name, interval=1):
        opened.append(name)
        return real(self, name, interval)

    monkeypatch.setattr(PodmanClient, "container_stats", counted)
    return opened


def socket_for(name, cookie):
    return WebsocketCommunicator(application, f"/ws/user/containers/{name}/stats/", headers=[
        (b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000"), (b"cookie", cookie)])


async def test_many_pages_on_one_container_share_one_podman_stream(running, cookie, podman_streams):
    pages = [socket_for(running, cookie) for _ in range(VIEWERS)]
    for page in pages:
        connected, _ = await page.connect(timeout=30)
        assert connected
    samples = await asyncio.gather(*(page.receive_json_from(timeout=60) for page in pages))
    assert all("sample" in s for s in samples), samples[:2]
    assert podman_streams == [running]
    assert streams.running() == 1
    # one page leaves: the others keep their samples from the same stream
    await pages[0].disconnect()
    assert "sample" in await pages[1].receive_json_from(timeout=30)
    assert streams.running() == 1
    for page in pages[1:]:
        await page.disconnect()
    assert streams.running() == 0 and streams.streams == {}
    # a page opened afterwards starts a stream again
    again = socket_for(running, cookie)
    assert (await again.connect(timeout=30))[0]
    assert "sample" in await again.receive_json_from(timeout=60)
    assert podman_streams == [running, running]
    await again.disconnect()
    assert streams.running() == 0


@override_settings(STATS_SOCKETS_PER_USER=3)
async def test_an_account_may_hold_only_so_many_stats_sockets(running, cookie, podman_streams):
    pages = [socket_for(running, cookie) for _ in range(3)]
    for page in pages:
        assert (await page.connect(timeout=30))[0]
    extra = socket_for(running, cookie)
    await extra.connect(timeout=30)
    closed = await extra.receive_output(timeout=10)
    assert closed["type"] == "websocket.close" and closed["code"] == CLOSE_TOO_MANY
    assert "3 resource views open already" in closed["reason"]
    await pages[0].disconnect()
    # a page closed frees its place
    more = socket_for(running, cookie)
    assert (await more.connect(timeout=30))[0]
    assert "sample" in await more.receive_json_from(timeout=60)
    for page in [*pages[1:], more]:
        await page.disconnect()
    assert streams.sockets_by_user == {} and podman_streams == [running]


async def test_a_removed_container_ends_every_page(running, cookie, podman_streams):
    pages = [socket_for(running, cookie) for _ in range(3)]
    for page in pages:
        assert (await page.connect(timeout=30))[0]
        assert "sample" in await page.receive_json_from(timeout=60)
    await asyncio.to_thread(podman, "rm", "-f", "-t", "0", running)
    for page in pages:
        message = await page.receive_json_from(timeout=60)
        while "sample" in message:
            message = await page.receive_json_from(timeout=60)
        assert "gone" in message or "error" in message, message
        await page.disconnect()
    assert streams.running() == 0
