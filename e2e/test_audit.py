"""The audit log page in Chromium: actions done from the units pages show up with
who, what and systemd's result; the header links to it."""
import pytest

from e2e.conftest import OPERATOR, log_in
from tests.integration.test_systemd_client import SLEEPER, scratch_units  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e


def test_an_action_appears_in_the_audit_log_with_its_result(page, server, scratch_units):
    name = scratch_units.install(SLEEPER)
    log_in(page, server, OPERATOR)
    page.goto(f"{server.url}/user/units/{name}/")
    page.locator(".unit-actions button[data-action=start]").click()
    page.locator("#unit-result .job-result[data-result=done]").wait_for()
    page.locator("nav.areas a[data-area=audit]").click()
    page.wait_for_url(f"{server.url}/user/audit/")
    assert page.locator("nav.areas a.active").inner_text() == "Audit"
    entry = page.locator(".audit-entry", has_text=name).first
    assert entry.get_attribute("data-user") == OPERATOR[0]
    assert entry.get_attribute("data-action") == "unit-start"
    assert entry.get_attribute("data-result") == "done"
    assert f"Job for {name} done." in entry.locator(".audit-detail").inner_text()
    # Filtering by another result hides it; by its own keeps it.
    page.select_option("select[name=result]", "done")
    page.click(".audit-filters button[type=submit]")
    page.wait_for_url("**result=done**")
    assert page.locator(".audit-entry", has_text=name).count() == 1
    page.goto(f"{server.url}/audit/?result=refused&q={name}")
    assert page.locator(".audit-entry", has_text=name).count() == 0
