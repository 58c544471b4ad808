"""How a live page's consumer turns changes into out-of-band swaps: replace a row it
shows, append one that newly matches its filters, delete one that left them or is gone."""
from dashboard.consumers.podman_live import PodmanLiveConsumer


def consumer(filters=None, known=(), detail_id=""):
    live = PodmanLiveConsumer()
    live.area, live.scope_name, live.audience = "containers", "user", "viewer"
    live.filters = {"q": "", "state": "", "pod": "", **(filters or {})}
    live.known, live.detail_id = set(known), detail_id
    live.sent = []

    async def send(text_data):
        live.sent.append(text_data)

    live.send = send
    return live


def item(ident, state="running", present=True, name=None):
    if not present:
        return {"id": ident, "present": False, "created": False}
    facts = {"id": ident, "name": name or f"c-{ident}", "image": "img", "state": state, "pod_id": "",
             "pod_name": "", "unit": "", "is_infra": False}
    row = f'<tr id="container-row-{ident}" data-state="{state}"></tr>'
    return {"id": ident, "present": True, "created": False, "facts": facts, "html": {"viewer": row, "operator": row},
            "summary": {"viewer": f"<div id=container-summary>{state}</div>", "operator": ""}}


async def test_known_rows_are_replaced_new_ones_appended_gone_ones_deleted():
    live = consumer(known={"a", "c"})
    await live.podman_changed({"items": [item("a", "exited"), item("b"), item("c", present=False)]})
    html = live.sent[0]
    assert '<tr id="container-row-a" data-state="exited"></tr>' in html
    assert '<tr id="container-row-b" data-state="running"></tr>' in html  # appended by podhouse.js
    assert '<tr id="container-row-c" hx-swap-oob="delete" data-gone></tr>' in html
    assert live.known == {"a", "b"}


async def test_filters_decide_entering_and_leaving():
    live = consumer(filters={"state": "running"}, known={"a"})
    await live.podman_changed({"items": [item("a", "exited"), item("b", "exited")]})
    assert live.sent == ['<tr id="container-row-a" hx-swap-oob="delete" data-gone></tr>'] and live.known == set()
    await live.podman_changed({"items": [item("b", "running")]})
    assert live.sent[-1] == '<tr id="container-row-b" data-state="running"></tr>' and live.known == {"b"}


async def test_nothing_is_sent_for_rows_the_page_does_not_show():
    live = consumer(filters={"q": "web"})
    await live.podman_changed({"items": [item("x", name="db"), item("y", present=False)]})
    assert live.sent == []


async def test_a_detail_page_gets_only_its_own_state():
    live = consumer(detail_id="a")
    await live.podman_changed({"items": [item("b"), item("a", "paused")]})
    assert live.sent == ["<div id=container-summary>paused</div>"]


async def test_after_a_catch_up_rows_that_leave_the_filters_are_deleted_whether_shown_or_not():
    live = consumer(filters={"state": "running"})
    live.known = None  # the page was caught up, not read: which rows it holds is not known
    await live.podman_changed({"items": [item("a", "exited"), item("b", "running"), item("c", present=False)]})
    assert live.sent == ['<tr id="container-row-a" hx-swap-oob="delete" data-gone></tr>'
                         '<tr id="container-row-b" data-state="running"></tr>'
                         '<tr id="container-row-c" hx-swap-oob="delete" data-gone></tr>']
    assert live.known is None
