"""The units list's consumer on dashboard.live.lists' contract: rows of its kind only,
replaced when the page holds them, appended when not, deleted when gone."""
from html.parser import HTMLParser

from dashboard.consumers.units import UnitsConsumer
from dashboard.host.systemd import UnitRow
from dashboard.live.lists import unit_dom_id
from dashboard.live.unit_watch import row_dict


def consumer(shown=()):
    live = UnitsConsumer()
    live.kwargs, live.kind, live.can_operate, live.shown, live.sent = {"scope": "user"}, "service", True, set(shown), []

    async def send(text_data):
        live.sent.append(text_data)

    live.send = send
    return live


def unit(name, active="active"):
    return row_dict(UnitRow(name=name, description="", load_state="loaded", active_state=active, sub_state="",
                            object_path="", file_state="", file_path=""))


class Ids(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("tr", "tbody"):
            self.found.append((attrs.get("id", ""), attrs.get("hx-swap-oob", "")))


async def test_rows_of_its_kind_are_replaced_appended_and_deleted():
    live = consumer(shown={"a.service", "gone.service"})
    await live.rows_changed({"rows": {"a.service": unit("a.service", "failed"), "b.service": unit("b.service"),
                                      "gone.service": None, "x.socket": unit("x.socket")}})
    assert [Ids(m).found for m in live.sent] == [
        [(unit_dom_id("gone.service"), "delete"), (unit_dom_id("a.service"), "true")],
        [("", "beforeend:#units-body"), (unit_dom_id("b.service"), "")]]
    assert 'data-active="failed"' in live.sent[0]
    assert live.shown == {"a.service", "b.service"}


async def test_a_unit_gone_that_the_page_never_held_sends_nothing():
    live = consumer()
    await live.rows_changed({"rows": {"never.service": None}})
    assert live.sent == []
