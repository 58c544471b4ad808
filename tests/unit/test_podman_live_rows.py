"""How a live list's consumer turns changes into out-of-band swaps (dashboard.live.lists):
replace a row the page holds, append one that newly matches its filters, delete one
that left them or is gone; never a swap whose target the page lacks."""
from html.parser import HTMLParser

from channels.layers import get_channel_layer

from dashboard.consumers.podman_live import ContainerSummaryConsumer, PodmanListConsumer
from dashboard.live.lists import LISTS


def consumer(filters=None, shown=()):
    live = PodmanListConsumer()
    live.kwargs, live.scope_name, live.area, live.can_operate = {"scope": "user"}, "user", "containers", False
    live.live_list = LISTS["containers"]
    live.filters = {"q": "", "state": "", "pod": "", **(filters or {})}
    live.shown = set(shown)
    live.sent = []

    async def send(text_data):
        live.sent.append(text_data)

    live.send = send
    return live


def row(ident, state="running", name=None):
    name = name or f"c-{ident}"
    return {"id": ident, "short_id": ident, "name": name, "name_q": name, "image": "img", "state": state,
            "exit_code": 0, "ports": [], "pod_id": "", "pod_name": "", "pod_q": "", "unit": "", "unit_q": "",
            "is_infra": False, "created": None}


class Swaps(HTMLParser):
    """(tag, id or oob target, hx-swap-oob) of each element that carries an id or a swap."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("tr", "tbody") and ("id" in attrs or "hx-swap-oob" in attrs):
            self.found.append((tag, attrs.get("id", ""), attrs.get("hx-swap-oob", "")))


async def test_rows_held_are_replaced_new_ones_appended_gone_ones_deleted():
    live = consumer(shown={"a", "c"})
    await live.rows_changed({"rows": {"a": row("a", "exited"), "b": row("b"), "c": None}})
    first, second = (Swaps(message).found for message in live.sent)
    assert first == [("tr", "container-row-c", "delete"), ("tr", "container-row-a", "true")]
    assert second == [("tbody", "", "beforeend:#containers-body"), ("tr", "container-row-b", "")]
    assert 'data-state="exited"' in live.sent[0]
    assert live.shown == {"a", "b"}


async def test_filters_decide_entering_and_leaving():
    live = consumer(filters={"state": "running"}, shown={"a"})
    await live.rows_changed({"rows": {"a": row("a", "exited"), "b": row("b", "exited")}})
    assert [Swaps(m).found for m in live.sent] == [[("tr", "container-row-a", "delete")]] and live.shown == set()
    await live.rows_changed({"rows": {"b": row("b", "running")}})
    assert Swaps(live.sent[-1]).found == [("tbody", "", "beforeend:#containers-body"), ("tr", "container-row-b", "")]
    assert live.shown == {"b"}


async def test_nothing_is_sent_for_rows_the_page_does_not_show():
    live = consumer(filters={"q": "web"})
    await live.rows_changed({"rows": {"x": row("x", name="db"), "y": None}})
    assert live.sent == []


async def test_a_page_whose_rows_are_unknown_gets_them_all():
    live = consumer(filters={"state": "running"})
    live.shown = None

    async def read_all():
        return [row("b"), row("a"), row("c", "exited")]

    live.read_all = read_all
    live.query = {"page": "no-such-token", "at": "0.0"}
    live.channel_layer, live.joined = get_channel_layer(), []
    live.channel_name = await live.channel_layer.new_channel()
    await live.ready()
    assert Swaps(live.sent[0]).found == [("tbody", "containers-body", "innerHTML"), ("tr", "container-row-a", ""),
                                         ("tr", "container-row-b", "")]
    assert live.shown == {"a", "b"}
    # the page's own actions still reach it (dashboard.live.lists.answering_row)
    assert live.joined == ["livepage.no-such-token"]


async def test_a_container_page_gets_only_its_own_state():
    summary = ContainerSummaryConsumer()
    summary.scope_name, summary.container_id, summary.can_operate = "user", "a", False
    summary.sent = []

    async def send(text_data):
        summary.sent.append(text_data)

    summary.send = send
    await summary.rows_changed({"rows": {"b": row("b")}})
    await summary.rows_changed({"rows": {"a": row("a", "paused")}})
    assert len(summary.sent) == 1 and 'data-state="paused"' in summary.sent[0]
    await summary.rows_changed({"rows": {"a": None}})
    assert 'data-state="removed"' in summary.sent[-1]
