"""The units list's consumer on dashboard.live.lists' contract: rows of its kind only,
replaced when the page holds them, appended when not, deleted when gone."""
from dashboard.consumers.units import UnitsConsumer
from dashboard.live.lists import unit_dom_id
from tests.unit.live_consumer import Tags, recording, unit_row


def consumer(shown=()):
    return recording(UnitsConsumer(), shown, kwargs={"scope": "user"}, kind="service", can_operate=True)


def unit(name, active="active"):
    return unit_row(name, active)


async def test_rows_of_its_kind_are_replaced_appended_and_deleted():
    live = consumer(shown={"a.service", "gone.service"})
    await live.rows_changed({"rows": {"a.service": unit("a.service", "failed"), "b.service": unit("b.service"),
                                      "gone.service": None, "x.socket": unit("x.socket")}})
    assert [Tags(m).ids("tr", "tbody") for m in live.sent] == [
        [(unit_dom_id("gone.service"), "delete"), (unit_dom_id("a.service"), "true")],
        [("", "beforeend:#units-body"), (unit_dom_id("b.service"), "")]]
    assert 'data-active="failed"' in live.sent[0]
    assert live.shown == {"a.service", "b.service"}


async def test_a_unit_gone_that_the_page_never_held_sends_nothing():
    live = consumer()
    await live.rows_changed({"rows": {"never.service": None}})
    assert live.sent == []
