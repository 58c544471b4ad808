"""The overview in Chromium: bars and the attention list, kept live without a reload."""
import secrets
import subprocess

import pytest

from tests.integration.test_systemd_client import FAILING, scratch_units  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e
BUSYBOX = "localhost/busybox:latest"


def podman(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True)


def legend_count(page, tile: str, label: str) -> int:
    item = page.locator(f"#{tile} .legend li[data-label='{label}'] strong")
    return int(item.inner_text()) if item.count() else 0


def test_the_landing_page_is_the_overview_and_follows_failures_live(viewer_page, server, scratch_units):
    page = viewer_page
    page.goto(f"{server.url}/")
    page.wait_for_url("**/user/")
    page.wait_for_selector(".overview[data-live=open]")
    assert page.locator("nav a.active").inner_text() == "Overview"
    failed_before = legend_count(page, "tile-units", "failed")
    name = f"phc-overview-{secrets.token_hex(4)}"
    try:
        unit = scratch_units.install(FAILING)
        scratch_units.systemctl("start", unit, check=False)
        exited = subprocess.run(["podman", "run", "--name", name, BUSYBOX, "sh", "-c", "exit 3"], capture_output=True)
        assert exited.returncode == 3
        page.wait_for_selector(f"#attention li[data-kind=unit][data-name='{unit}']")
        page.wait_for_selector(f"#attention li[data-kind=container][data-name='{name}']")
        assert "exited with code 3" in page.locator(f"#attention li[data-name='{name}']").inner_text()
        assert legend_count(page, "tile-units", "failed") >= failed_before + 1
        assert legend_count(page, "tile-containers", "exited with an error") >= 1
        link = page.locator(f"#attention li[data-name='{unit}'] a")
        assert link.get_attribute("href") == f"/user/units/{unit}/"
        podman("rm", name)
        scratch_units.systemctl("reset-failed", unit)
        page.wait_for_selector(f"#attention li[data-name='{name}']", state="detached")
        page.wait_for_selector(f"#attention li[data-name='{unit}']", state="detached")
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
    finally:
        subprocess.run(["podman", "rm", "-f", name], capture_output=True)
