"""The services list on dashboard.live.lists' contract: a change of a service unit is a
row only when Podhouse made the service (its files say so); a row the page's own
Remove answered is let go; a live row keeps the outcome of the page's own action."""
from django.template.loader import render_to_string

from dashboard.consumers.services import ServicesConsumer
from dashboard.host.scopes import Scope
from dashboard.host.systemd import UnitRow
from dashboard.live.lists import LISTS, service_dom_id
from dashboard.live.service_rows import service_row
from dashboard.flows.services import Outcome, podhouse_services
from engine.units.generated import with_marker
from tests.unit.live_consumer import Tags, recording, unit_row


def scope_in(tmp_path) -> Scope:
    (tmp_path / "units").mkdir()
    (tmp_path / "quadlet").mkdir()
    return Scope("user", "", "", tmp_path / "units", tmp_path / "quadlet")


def make(scope: Scope, container: str) -> str:
    """A classic service Podhouse made for `container`."""
    service = f"{container}.service"
    (scope.unit_dir / service).write_text(with_marker("[Service]\nExecStart=/bin/true\n", f"container {container}",
                                                      service))
    return service


def consumer(scope, shown=()):
    return recording(ServicesConsumer(), shown, kwargs={"scope": "user"}, unit_scope=scope, can_operate=True,
                     released=set())


def unit(name, active="active"):
    return unit_row(name, active, sub_state="running", file_state="enabled")


async def test_a_service_podhouse_made_is_appended_replaced_and_deleted_when_its_files_go(tmp_path):
    scope = scope_in(tmp_path)
    web = make(scope, "web")
    live = consumer(scope)
    await live.rows_changed({"rows": {web: unit(web), "other.service": unit("other.service")}})
    assert [Tags(m).ids("tr", "tbody") for m in live.sent] == [[("", "beforeend:#services-body"),
                                                               (service_dom_id(web), "")]]
    assert live.shown == {web}
    await live.rows_changed({"rows": {web: unit(web, "failed")}})
    assert Tags(live.sent[-1]).ids("tr") == [(service_dom_id(web), "true")]
    assert '<span class="state failed">failed</span>' in live.sent[-1]
    (scope.unit_dir / web).unlink()  # removed: its unit may linger, the row goes
    await live.rows_changed({"rows": {web: unit(web, "inactive")}})
    assert Tags(live.sent[-1]).ids("tr") == [(service_dom_id(web), "delete")]
    assert live.shown == set()


async def test_a_unit_podhouse_did_not_make_is_never_a_row(tmp_path):
    live = consumer(scope_in(tmp_path))
    await live.rows_changed({"rows": {"sshd.service": unit("sshd.service"), "gone.service": None}})
    assert live.sent == []


async def test_the_row_a_remove_answered_is_let_go_until_it_is_gone_then_comes_back_new(tmp_path):
    scope = scope_in(tmp_path)
    web = make(scope, "web")
    live = consumer(scope, shown={web})
    await live.rows_released({"dom_id": service_dom_id(web)})
    await live.rows_changed({"rows": {web: unit(web, "deactivating")}})  # the removal under way
    (scope.unit_dir / web).unlink()
    await live.rows_changed({"rows": {web: None}})  # its deletion: no target on the page any more
    assert live.sent == [] and live.shown == set() and live.released == set()
    make(scope, "web")  # generated again: a new row
    await live.rows_changed({"rows": {web: unit(web)}})
    assert Tags(live.sent[-1]).ids("tr", "tbody") == [("", "beforeend:#services-body"), (service_dom_id(web), "")]


async def test_a_failed_remove_holds_the_row_again_and_draws_the_page_anew(tmp_path):
    scope = scope_in(tmp_path)
    web = make(scope, "web")
    live = consumer(scope, shown={web})

    class Watch:
        def snapshot(self):
            return [UnitRow(name=web, description="", load_state="loaded", active_state="active", sub_state="",
                            object_path="", file_state="", file_path="")]

    live.watch = Watch()
    await live.rows_released({"dom_id": service_dom_id(web)})
    await live.rows_held({"dom_id": service_dom_id("someone-else.service")})
    assert live.sent == []
    await live.rows_held({"dom_id": service_dom_id(web)})
    assert Tags(live.sent[-1]).ids("tbody", "tr") == [("services-body", "innerHTML"), (service_dom_id(web), "")]
    assert live.shown == {web} and live.released == set()


def slot(html):
    return [attrs for tag, attrs in Tags(html).found if "service-outcome-slot" in attrs.get("class", "")]


def test_a_live_row_keeps_the_outcome_slot_of_the_page_and_an_answer_brings_its_own(tmp_path):
    scope = scope_in(tmp_path)
    web = make(scope, "web")
    row = service_row(podhouse_services(scope)[web], unit(web))
    live = render_to_string(LISTS["services"].rows_template, {"scope": "user", "rows": [row], "oob": True,
                                                              "user_can_operate": True})
    assert slot(live) == [{"class": "service-outcome-slot", "id": f"{service_dom_id(web)}-outcome",
                           "hx-preserve": None}]
    outcome = Outcome(False, web, "failed", "killed")
    # an answer goes out of band: the row may have been replaced live while the action ran
    disabled = render_to_string("services/_row.html", {"scope": "user", "s": row, "user_can_operate": True,
                                                        "outcome": outcome, "action": "disable", "oob": True})
    assert slot(disabled) == [{"class": "service-outcome-slot", "id": f"{service_dom_id(web)}-outcome"}]
    assert Tags(disabled).ids("tr") == [(service_dom_id(web), "true")]
    removed = render_to_string("services/_row.html", {"scope": "user", "s": row, "user_can_operate": True,
                                                       "outcome": Outcome(True, web, "removed"), "action": "remove",
                                                       "replaces": service_dom_id(web)})
    # other ids: a new row of the same name, and its slot, are not this one
    assert Tags(removed).ids("tr") == [(f"{service_dom_id(web)}-removed", f"outerHTML:#{service_dom_id(web)}")]
    assert slot(removed) == [{"class": "service-outcome-slot"}]
    assert "data-action" not in removed


def test_a_batch_of_other_services_reads_no_file_of_podhouse(tmp_path, monkeypatch):
    from dashboard.live import service_rows
    scope = scope_in(tmp_path)
    web = make(scope, "web")
    read = []
    monkeypatch.setattr(service_rows.services, "podhouse_services",
                        lambda s: read.append(s) or podhouse_services(s))
    assert service_rows.service_changes(scope, {"sshd.service": unit("sshd.service")}) == {"sshd.service": None}
    assert read == []
    # a row the page holds is looked up, even when its file went
    assert service_rows.service_changes(scope, {"gone.service": None}, held={"gone.service"}) == {"gone.service": None}
    assert len(read) == 1
    assert service_rows.service_changes(scope, {web: unit(web)})[web]["service"] == web
    (scope.quadlet_dir / "db.container").write_text("x")
    (scope.quadlet_dir / "pod1.pod").write_text("x")
    assert service_rows._may_be_made(scope, "db.service") and service_rows._may_be_made(scope, "pod1-pod.service")
    assert not service_rows._may_be_made(scope, "pod1.service")
