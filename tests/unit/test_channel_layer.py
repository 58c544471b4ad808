"""The process's channel layer (dashboard.live.channel_layer): memberships last until
the page leaves, a page that falls behind is told to start again instead of losing
messages in silence, and a closed page's queue is swept."""
import time

import pytest

from channels.testing import WebsocketCommunicator
from django.conf import settings

from dashboard.consumers.base import CLOSE_TRY_AGAIN, PodhouseConsumer
from dashboard.live import channel_layer
from dashboard.live.channel_layer import BEHIND, ProcessChannelLayer


def test_the_settings_use_it():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "dashboard.live.channel_layer.ProcessChannelLayer"


async def test_group_messages_reach_every_member_in_order_as_copies():
    layer = ProcessChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    for channel in (a, b):
        await layer.group_add("rows", channel)
    rows = {"x": {"state": "running"}}
    for n in range(3):
        await layer.group_send("rows", {"type": "rows.changed", "n": n, "rows": rows})
    for channel in (a, b):
        got = [await layer.receive(channel) for _ in range(3)]
        assert [m["n"] for m in got] == [0, 1, 2]  # (b's too: a's copy was changed below)
        got[0]["n"] = 99  # a page's own copy of the message
    await layer.group_discard("rows", b)
    await layer.group_send("rows", {"type": "rows.changed", "n": 3, "rows": rows})
    assert (await layer.receive(a))["n"] == 3 and b not in layer.channels


async def test_a_membership_does_not_expire_with_age():
    layer = ProcessChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("rows", channel)
    layer.groups["rows"][channel] = time.time() - 10 * 86400  # joined ten days ago
    layer._swept_at = 0  # a sweep is due
    await layer.group_send("rows", {"type": "rows.changed"})
    assert (await layer.receive(channel))["type"] == "rows.changed"


async def test_a_page_that_falls_behind_gets_one_message_to_start_again():
    layer = ProcessChannelLayer(capacity=5)
    channel = await layer.new_channel()
    await layer.group_add("rows", channel)
    for n in range(12):
        await layer.group_send("rows", {"type": "rows.changed", "n": n})
    assert layer.channels[channel].qsize() == 1
    assert await layer.receive(channel) == BEHIND
    # read again from then on
    await layer.group_send("rows", {"type": "rows.changed", "n": 12})
    assert (await layer.receive(channel))["n"] == 12


async def test_a_closed_pages_queue_is_swept_once_its_messages_expired(monkeypatch):
    layer = ProcessChannelLayer(expiry=1)
    gone, live = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("rows", gone)
    await layer.group_add("rows", live)
    await layer.group_send("rows", {"type": "rows.changed"})
    await layer.group_discard("rows", gone)  # its socket closed with a message unread
    monkeypatch.setattr(channel_layer.time, "time", lambda: 1e12)  # long after
    layer._swept_at = 0
    await layer.group_send("other", {"type": "x"})
    assert gone not in layer.channels and live in layer.channels


class Echo(PodhouseConsumer):
    async def ready(self):
        await self.send(text_data="ready")


@pytest.mark.django_db  # Channels closes stale database connections when a socket ends
async def test_a_consumer_told_it_fell_behind_closes_to_be_drawn_again():
    from django.contrib.auth.models import AnonymousUser

    class LoggedIn(AnonymousUser):
        is_authenticated = True

    communicator = WebsocketCommunicator(Echo.as_asgi(), "/ws/x/")
    communicator.scope["user"] = LoggedIn()
    # (Channels' testing waits 1 s by default: too short on a loaded machine)
    connected, _ = await communicator.connect(timeout=30)
    assert connected and await communicator.receive_from(timeout=30) == "ready"
    await communicator.send_input(dict(BEHIND))
    closed = await communicator.receive_output(timeout=30)
    assert closed == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN}
    await communicator.disconnect()
