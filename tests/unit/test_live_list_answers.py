"""A page's own action and its list socket (dashboard.live.lists.answering_row): the
view says which row its answer takes before it acts, and gives it back when it fails."""
import pytest
from channels.layers import get_channel_layer
from django.test import RequestFactory

from dashboard.live.lists import PAGE_HEADER, answering_row, page_group


def request(token="tok_en-1", target="container-row-abc"):
    headers = {f"HTTP_{PAGE_HEADER.upper().replace('-', '_')}": token} if token is not None else {}
    if target:
        headers["HTTP_HX_TARGET"] = target
    return RequestFactory().post("/user/containers/x/remove/", **headers)


async def listening(token="tok_en-1"):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(page_group(token), channel)
    return layer, channel


async def test_the_row_is_released_before_the_action_and_held_again_when_it_fails():
    layer, channel = await listening()
    async with answering_row(request()):
        assert await layer.receive(channel) == {"type": "rows.released", "dom_id": "container-row-abc"}
    with pytest.raises(RuntimeError):
        async with answering_row(request(), dom_id="service-row-1"):
            assert (await layer.receive(channel))["type"] == "rows.released"
            raise RuntimeError("podman refused")
    assert await layer.receive(channel) == {"type": "rows.held", "dom_id": "service-row-1"}


@pytest.mark.parametrize("token", [None, "", "no spaces", "x" * 65, "a.b"])
async def test_without_a_token_of_a_page_nothing_is_said(token):
    assert page_group(token or "") is None
    sent = []
    layer = get_channel_layer()
    original = layer.group_send
    layer.group_send = lambda *args: sent.append(args)
    try:
        async with answering_row(request(token=token)):
            pass
    finally:
        layer.group_send = original
    assert sent == []


async def test_an_action_that_keeps_its_row_says_nothing():
    layer = get_channel_layer()
    sent = []
    original = layer.group_send
    layer.group_send = lambda *args: sent.append(args)
    try:
        async with answering_row(request(), applies=False):
            pass
    finally:
        layer.group_send = original
    assert sent == []
