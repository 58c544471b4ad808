"""How a live list's consumer turns changes into out-of-band swaps (dashboard.live.lists):
replace a row the page holds, append one that newly matches its filters, delete one
that left them or is gone; never a swap whose target the page lacks."""
from channels.layers import get_channel_layer

from dashboard.consumers.podman_live import ContainerSummaryConsumer, PodmanListConsumer
from dashboard.live.lists import LISTS
from tests.unit.live_consumer import Tags, recording


def consumer(filters=None, shown=()):
    return recording(PodmanListConsumer(), shown, kwargs={"scope": "user"}, scope_name="user", area="containers",
                     can_operate=False, live_list=LISTS["containers"],
                     filters={"q": "", "state": "", "pod": "", **(filters or {})})


def row(ident, state="running", name=None):
    name = name or f"c-{ident}"
    return {"id": ident, "short_id": ident, "name": name, "name_q": name, "image": "img", "state": state,
            "exit_code": 0, "ports": [], "pod_id": "", "pod_name": "", "pod_q": "", "unit": "", "unit_q": "",
            "is_infra": False, "created": None}


async def test_rows_held_are_replaced_new_ones_appended_gone_ones_deleted():
    live = consumer(shown={"a", "c"})
    await live.rows_changed({"rows": {"a": row("a", "exited"), "b": row("b"), "c": None}})
    first, second = (Tags(message).swaps() for message in live.sent)
    assert first == [("tr", "container-row-c", "delete"), ("tr", "container-row-a", "true")]
    assert second == [("tbody", "", "beforeend:#containers-body"), ("tr", "container-row-b", "")]
    assert 'data-state="exited"' in live.sent[0]
    assert live.shown == {"a", "b"}


async def test_filters_decide_entering_and_leaving():
    live = consumer(filters={"state": "running"}, shown={"a"})
    await live.rows_changed({"rows": {"a": row("a", "exited"), "b": row("b", "exited")}})
    assert [Tags(m).swaps() for m in live.sent] == [[("tr", "container-row-a", "delete")]] and live.shown == set()
    await live.rows_changed({"rows": {"b": row("b", "running")}})
    assert Tags(live.sent[-1]).swaps() == [("tbody", "", "beforeend:#containers-body"), ("tr", "container-row-b", "")]
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
    assert Tags(live.sent[0]).swaps() == [("tbody", "containers-body", "innerHTML"), ("tr", "container-row-a", ""),
                                         ("tr", "container-row-b", "")]
    assert live.shown == {"a", "b"}
    # the page's own actions still reach it (dashboard.live.lists.answering_row)
    assert live.joined == ["livepage.no-such-token"]


async def test_a_container_page_gets_only_its_own_state():
    summary = recording(ContainerSummaryConsumer(), scope_name="user", container_id="a", can_operate=False)
    await summary.rows_changed({"rows": {"b": row("b")}})
    await summary.rows_changed({"rows": {"a": row("a", "paused")}})
    assert len(summary.sent) == 1 and 'data-state="paused"' in summary.sent[0]
    await summary.rows_changed({"rows": {"a": None}})
    assert 'data-state="removed"' in summary.sent[-1]


async def test_pages_that_need_the_same_swaps_of_one_change_share_one_drawing(monkeypatch):
    from dashboard.live import lists
    drawn = []
    draw = lists._draw_swaps
    monkeypatch.setattr(lists, "_draw_swaps", lambda *args: drawn.append(args[1:4]) or draw(*args))
    change = lists.change_id()
    message = {"rows": {"a": row("a", "exited")}, "change": change}
    pages = [consumer(shown={"a"}) for _ in range(3)]
    for live in pages:
        await live.rows_changed(dict(message))
    assert len(drawn) == 1 and [live.sent for live in pages[1:]] == [pages[0].sent] * 2
    # a page that lacks the row appends it, a viewer and an operator see other buttons: drawn apart
    lacking, operator = consumer(shown=()), consumer(shown={"a"})
    operator.can_operate = True
    for live in (lacking, operator):
        await live.rows_changed(dict(message))
    assert len(drawn) == 3
    assert Tags(lacking.sent[0]).swaps() == [("tbody", "", "beforeend:#containers-body"), ("tr", "container-row-a", "")]
    assert "data-action" in operator.sent[0] and "data-action" not in pages[0].sent[0]
    # the next change, or one without an id (a page's own catch-up), is drawn again
    await pages[0].rows_changed({"rows": {"a": row("a", "running")}, "change": lists.change_id()})
    await pages[1].rows_changed({"rows": {"a": row("a", "running")}})
    assert len(drawn) == 5 and 'data-state="running"' in pages[1].sent[-1]
