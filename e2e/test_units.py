"""The units pages in Chromium: live rows, actions with systemd's answer, the unit's
detail (properties, file, drop-ins, container link), and what a viewer may do."""
import re

import pytest

from dashboard.views.units import dom_id
from tests.integration.test_systemd_client import FAILING, SLEEPER, scratch_units  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e


def row(page, name):
    return page.locator(f"#{dom_id(name)}")


def wait_row_state(page, name, active):
    page.wait_for_selector(f"#{dom_id(name)}[data-active={active}]")


def test_rows_follow_units_started_and_stopped_elsewhere(admin_page, server, scratch_units):
    name = scratch_units.install(SLEEPER)
    admin_page.goto(f"{server.url}/user/units/?kind=service")
    wait_row_state(admin_page, name, "inactive")
    scratch_units.systemctl("start", name)
    wait_row_state(admin_page, name, "active")
    assert row(admin_page, name).locator(".unit-sub").inner_text() == "running"
    assert "state-active" in row(admin_page, name).get_attribute("class")
    scratch_units.systemctl("stop", name)
    wait_row_state(admin_page, name, "inactive")
    # No reload happened: the page is the same document.
    assert admin_page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_new_unit_file_appears_after_daemon_reload(admin_page, server, scratch_units):
    admin_page.goto(f"{server.url}/user/units/")
    admin_page.wait_for_function("document.querySelector('#units-body').rows.length > 0")
    name = scratch_units.install(SLEEPER)
    wait_row_state(admin_page, name, "inactive")
    assert row(admin_page, name).locator(".unit-file").inner_text() == "disabled"
    assert row(admin_page, name).count() == 1


def test_filters_hide_rows(admin_page, server, scratch_units):
    name = scratch_units.install(SLEEPER, start=True)
    admin_page.goto(f"{server.url}/user/units/")
    admin_page.fill("#unit-filter-name", name)
    assert row(admin_page, name).is_visible()
    assert admin_page.locator("#units-body tr:visible").count() == 1
    admin_page.select_option("#unit-filter-active", "inactive")
    assert not row(admin_page, name).is_visible()
    admin_page.select_option("#unit-filter-active", "active")
    assert row(admin_page, name).is_visible()


def test_tabs_show_one_kind(admin_page, server):
    admin_page.goto(f"{server.url}/user/units/?kind=target")
    names = admin_page.locator("#units-body tr").evaluate_all("rows => rows.map(r => r.dataset.unit)")
    assert names and all(n.endswith(".target") for n in names)
    assert admin_page.locator(".unit-tabs a.active").inner_text() == "Targets"


def test_operator_stops_a_unit_from_the_list(operator_page, server, scratch_units):
    name = scratch_units.install(SLEEPER, start=True)
    operator_page.goto(f"{server.url}/user/units/")
    wait_row_state(operator_page, name, "active")
    operator_page.once("dialog", lambda dialog: dialog.accept())
    row(operator_page, name).locator("button[data-action=stop]").click()
    result = operator_page.locator(f"#unit-result .job-result[data-unit='{name}']")
    result.wait_for()
    assert result.get_attribute("data-result") == "done"
    wait_row_state(operator_page, name, "inactive")
    assert scratch_units.systemctl("is-active", name, check=False).stdout.strip() == "inactive"
    operator_page.goto(f"{server.url}/audit/?action=unit-stop")
    entry = operator_page.locator(".audit-entry", has_text=name).first
    assert entry.get_attribute("data-user") == "operator" and entry.get_attribute("data-result") == "done"


def test_failed_start_shows_systemds_reason_and_the_state_turns_failed(admin_page, server, scratch_units):
    name = scratch_units.install(FAILING)
    admin_page.goto(f"{server.url}/user/units/{name}/")
    state = admin_page.locator(f"#{dom_id(name)}-state")
    assert state.get_attribute("data-active") == "inactive"
    admin_page.locator(".unit-actions button[data-action=start]").click()
    result = admin_page.locator("#unit-result .job-result")
    result.wait_for()
    assert result.get_attribute("data-result") == "failed"
    assert "control process exited with error code" in result.inner_text()
    admin_page.wait_for_selector(f"#{dom_id(name)}-state[data-active=failed]")
    admin_page.locator(".unit-actions button[data-action=reset-failed]").click()
    admin_page.wait_for_selector(f"#{dom_id(name)}-state[data-active=inactive]")


def test_detail_shows_file_dropins_relationships_and_container_link(admin_page, server, scratch_units):
    name = scratch_units.write(SLEEPER)
    dropin = scratch_units.scope.unit_dir / f"{name}.d" / "10-web.conf"
    dropin.parent.mkdir()
    dropin.write_text("[Unit]\nX-Podhouse-Container=phs-web\nAfter=basic.target\n")
    scratch_units.systemctl("daemon-reload")
    admin_page.goto(f"{server.url}/user/units/{name}/")
    assert admin_page.locator(".unit-file-path").inner_text() == str(scratch_units.scope.unit_dir / name)
    assert "ExecStart=/bin/sleep 1000" in admin_page.locator(".unit-file-text").inner_text()
    assert str(dropin) in admin_page.locator(".unit-dropin-path").inner_text()
    assert "X-Podhouse-Container=phs-web" in admin_page.locator(".unit-dropin-text").inner_text()
    link = admin_page.locator("h1 .container-mark a")
    assert link.get_attribute("href") == "/user/containers/phs-web/"
    assert "basic.target" in admin_page.locator("table.relationships").inner_text()
    assert admin_page.locator(f".log-pane[data-log-name='{name}']").count() == 1
    facts = admin_page.locator(f"#{dom_id(name)}-state").inner_text()
    assert "/bin/sleep 1000" in facts
    # The list marks it too, with the same link.
    admin_page.goto(f"{server.url}/user/units/")
    assert row(admin_page, name).locator(".container-mark a").get_attribute("href") == "/user/containers/phs-web/"


def test_unknown_unit_is_a_clear_404(admin_page, server):
    response = admin_page.goto(f"{server.url}/user/units/phs-nowhere-x1.service/")
    assert response.status == 404


def test_viewer_sees_no_actions_and_a_forged_post_is_refused_and_audited(viewer_page, server, scratch_units):
    name = scratch_units.install(SLEEPER, start=True)
    viewer_page.goto(f"{server.url}/user/units/")
    wait_row_state(viewer_page, name, "active")
    assert viewer_page.locator("#units-body button").count() == 0
    viewer_page.goto(f"{server.url}/user/units/{name}/")
    assert viewer_page.locator(".unit-actions").count() == 0
    assert viewer_page.locator("button[data-action]").count() == 0
    status, text = viewer_page.evaluate("""async (url) => {
        const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
        const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
        return [r.status, await r.text()];
    }""", f"/user/units/{name}/stop/")
    assert status == 403 and "operate permission" in text
    assert scratch_units.systemctl("is-active", name, check=False).stdout.strip() == "active"
    viewer_page.goto(f"{server.url}/audit/?result=refused&action=unit-stop")
    entry = viewer_page.locator(".audit-entry", has_text=name).first
    assert entry.get_attribute("data-user") == "viewer"
    assert re.search(r"POST /user/units/.+/stop/", entry.locator(".audit-detail").inner_text())


def test_page_shows_a_banner_during_daemon_reexec_and_recovers(admin_page, server, scratch_units):
    name = scratch_units.install(SLEEPER)
    admin_page.goto(f"{server.url}/user/units/")
    wait_row_state(admin_page, name, "inactive")
    admin_page.wait_for_selector("#units-live[data-ws=open]")  # the banner comes only live
    admin_page.evaluate("""() => {
        window.bannerTexts = [];
        new MutationObserver(() => {
            const banner = document.getElementById('live-banner');
            if (!banner.classList.contains('hidden')) window.bannerTexts.push(banner.textContent);
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
    }""")
    scratch_units.systemctl("daemon-reexec")
    admin_page.wait_for_function("window.bannerTexts.length > 0")
    admin_page.wait_for_selector("#live-banner.hidden", state="attached")
    assert "re-executing" in admin_page.evaluate("window.bannerTexts[0]")
    scratch_units.systemctl("start", name)
    wait_row_state(admin_page, name, "active")


def test_detail_actions_follow_the_state_live(operator_page, server, scratch_units):
    name = scratch_units.install(SLEEPER)
    operator_page.goto(f"{server.url}/user/units/{name}/")
    actions = operator_page.locator(".unit-actions button")
    # no Mask: its file is in the administrator's unit folder, where a mask cannot go
    assert actions.evaluate_all("bs => bs.map(b => b.dataset.action)") == ["start", "enable"]
    operator_page.locator(".unit-actions button[data-action=start]").click()
    operator_page.wait_for_selector(f"#{dom_id(name)}-state[data-active=active]")
    assert operator_page.locator("#unit-result .job-result").get_attribute("data-result") == "done"
    assert actions.evaluate_all("bs => bs.map(b => b.dataset.action)") == ["stop", "restart", "reload", "enable"]
    operator_page.once("dialog", lambda dialog: dialog.accept())
    operator_page.locator(".unit-actions button[data-action=stop]").click()
    operator_page.wait_for_selector(f"#{dom_id(name)}-state[data-active=inactive]")
    operator_page.wait_for_selector("#unit-result .job-result[data-action=stop][data-result=done]")
    assert scratch_units.systemctl("is-active", name, check=False).stdout.strip() == "inactive"
