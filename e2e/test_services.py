"""Run as a systemd service, from a browser: the dialog, its live preview, Generate
and enable until active, bad input, the services list with remove and live rows;
viewers see no button and are refused."""
import asyncio
import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.flows import services
from dashboard.host import scopes
from dashboard.host.systemd import manager_for
from e2e.conftest import VIEWER, log_in

pytestmark = pytest.mark.e2e

BUSYBOX = "localhost/busybox:latest"


def in_thread(work):
    """Run a coroutine of the flow apart from Playwright's loop (which owns this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def unit_job(verb: str, service: str):
    async with manager_for(scopes.get_scope("user")) as manager:
        return await getattr(manager, verb)(service)


def remove_services(prefix: str) -> None:
    """Undo what a test made (Playwright's loop owns this thread: run in another)."""
    scope = scopes.get_scope("user")
    for service in [s for s in services.podhouse_services(scope) if s.startswith(prefix)]:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, services.remove(scope, service)).result()
    subprocess.run(["podman", "rm", "-f", "-t", "0", prefix], capture_output=True)


@pytest.fixture
def container(server):
    name = f"phg-{secrets.token_hex(3)}"
    subprocess.run(["podman", "create", "--stop-timeout=1", "--name", name, "-e", "NOTE=50% off $now",
                    BUSYBOX, "sleep", "100000"], check=True, capture_output=True)
    yield name
    remove_services(name)


def _open_dialog(page, server, name):
    page.goto(f"{server.url}/user/containers/{name}/")
    page.click("#service-open-container")
    page.wait_for_selector("#service-dialog")
    page.wait_for_selector("#service-preview .service-file-text")


def test_generate_and_enable_from_the_container_page(operator_page, server, container):
    page = operator_page
    _open_dialog(page, server, container)
    # Quadlet by default here, with the service Quadlet will make of it.
    assert page.inner_text("#service-preview-format") == "quadlet"
    assert "created outside systemd" in page.inner_text("#service-replaces")
    file_text = page.inner_text("#service-preview .service-file-text")
    assert 'Environment="NOTE=50%% off $$now"' in file_text
    assert "ExecStart=/usr/bin/podman run" in page.inner_text("#service-dryrun")
    # The preview follows the options.
    page.select_option("#service-format", "classic")
    page.wait_for_function("document.querySelector('#service-preview-format').innerText === 'classic'")
    page.select_option("#service-restart", "always")
    page.wait_for_function("document.querySelector('#service-preview .service-file-text').innerText.includes('Restart=always')")
    page.click("#service-submit")
    page.wait_for_selector("#service-outcome")
    assert page.inner_text("#service-state") == "active", page.inner_text("#service-outcome")
    inspect = subprocess.run(["podman", "inspect", container, "--format", "{{index .Config.Labels \"PODMAN_SYSTEMD_UNIT\"}}"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert inspect == f"{container}.service"

    # The services list shows it; Regenerate shows the diff; Remove takes it all away.
    page.goto(f"{server.url}/user/services/")
    row = page.locator(f"tr[data-service='{container}.service']")
    assert "classic" in row.inner_text() and "active" in row.inner_text()
    row.locator("button[data-action=regenerate]").click()
    page.wait_for_selector("#service-dialog .note")
    assert f"{container}.service" in page.inner_text("#service-dialog .note")
    page.select_option("#service-format", "classic")
    page.select_option("#service-restart", "on-failure")
    page.wait_for_function("(document.querySelector('#service-preview .service-diff') || {}).innerText?.includes('+Restart=on-failure')")
    assert "-Restart=always" in page.inner_text("#service-preview .service-diff")
    page.click("#service-dialog button:has-text('Close')")
    page.once("dialog", lambda d: d.accept())
    row.locator("button[data-action=remove]").click()
    page.wait_for_selector(f"tr[data-service='{container}.service'] .service-outcome")
    assert "removed" in row.inner_text()
    page.reload()
    assert page.locator(f"tr[data-service='{container}.service']").count() == 0


def test_bad_input_is_explained_and_nothing_is_written(operator_page, server, container):
    page = operator_page
    _open_dialog(page, server, container)
    page.fill("#service-unit-name", "no spaces allowed")
    page.select_option("#service-sdnotify", "healthy")
    page.wait_for_selector("#service-errors li[data-field=unit_name]")
    errors = page.inner_text("#service-errors")
    assert "podman 5.0" in errors and "Nothing was written" in errors
    page.click("#service-submit")
    page.wait_for_selector("#service-result #service-errors")
    assert not [s for s in services.podhouse_services(scopes.get_scope("user")) if s.startswith(container)]


def test_viewer_sees_no_button_and_cannot_enable(page, server, container):
    log_in(page, server, VIEWER)
    page.goto(f"{server.url}/user/containers/{container}/")
    page.wait_for_selector("h1")
    assert page.locator("#service-open-container").count() == 0
    status = page.evaluate("""async (url) => {
        const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken='))?.split('=')[1] || '';
        const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}, body: new URLSearchParams({format: 'classic'})});
        return r.status; }""", f"{server.url}/user/services/container/{container}/enable/")
    assert status == 403
    assert subprocess.run(["podman", "inspect", container, "--format", "{{.State.Status}}"],
                          capture_output=True, text=True).stdout.strip() == "created"


def test_state_follows_the_unit_live_and_a_failure_shows_the_journal(operator_page, server):
    """The container lives a moment, then fails: the outcome's badge turns to failed
    by itself (websocket) and the unit's journal lines appear."""
    name = f"phg-{secrets.token_hex(3)}"
    subprocess.run(["podman", "create", "--name", name, BUSYBOX, "sh", "-c", f"sleep 2; echo {name} gives up; exit 3"],
                   check=True, capture_output=True)
    page = operator_page
    try:
        _open_dialog(page, server, name)
        page.select_option("#service-format", "classic")
        page.select_option("#service-restart", "no")
        page.wait_for_function("document.querySelector('#service-preview .service-file-text').innerText.includes('Restart=no')")
        page.click("#service-submit")
        page.wait_for_selector("#service-outcome")
        assert page.inner_text("#service-state") == "active"
        page.wait_for_function("document.querySelector('#service-state').innerText === 'failed'", timeout=20_000)
        page.wait_for_selector("#service-journal-live")
        assert f"{name} gives up" in page.inner_text("#service-journal-live")
    finally:
        remove_services(name)


def test_a_pod_becomes_a_pod_service_with_its_members(operator_page, server):
    name = f"phg-{secrets.token_hex(3)}"
    subprocess.run(["podman", "pod", "create", "--name", name], check=True, capture_output=True)
    for member in ("a", "b"):
        subprocess.run(["podman", "create", "--stop-timeout=1", "--pod", name, "--name", f"{name}-{member}", BUSYBOX,
                        "sleep", "100000"], check=True, capture_output=True)
    page = operator_page
    try:
        page.goto(f"{server.url}/user/pods/{name}/")
        page.click("#service-open-pod")
        page.wait_for_selector("#service-preview .service-file-text")
        files = page.locator("#service-preview .service-file-text")
        assert [files.nth(i).get_attribute("data-filename") for i in range(files.count())] == [
            f"{name}.pod", f"{name}-a.container", f"{name}-b.container"]
        assert f"{name}-pod.service" in page.inner_text("#service-dryrun")
        page.click("#service-submit")
        # A pod's enabling (shadow pod and members, then three units) took 20-40 s on a loaded machine.
        page.wait_for_selector("#service-outcome", timeout=60_000)
        assert page.inner_text("#service-state") == "active", page.inner_text("#service-outcome")
        assert page.get_attribute("#service-outcome", "data-service") == f"{name}-pod.service"
    finally:
        remove_services(name)
        subprocess.run(["sh", "-c", f"podman pod rm -f -t 0 {name}"], capture_output=True)


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_services_list_follows_services_made_started_stopped_and_removed_elsewhere(operator_page, server):
    """An open services list is live: a service generated by the flow (as another tab
    would) appears, its state follows start and stop over D-Bus, and its removal
    elsewhere takes the row away; the page logs no error."""
    name = f"phg-{secrets.token_hex(3)}"
    service = f"{name}.service"
    subprocess.run(["podman", "create", "--stop-timeout=2", "--name", name, BUSYBOX,
                    "sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"], check=True, capture_output=True)
    page, scope = operator_page, scopes.get_scope("user")
    errors = console_errors(page)
    try:
        page.goto(f"{server.url}/user/services/")
        page.wait_for_selector("#services-live[data-live=open]")
        row = page.locator(f"tr[data-service='{service}']")
        assert row.count() == 0
        outcome = in_thread(services.generate_and_enable(scope, "container", name, {"format": "classic",
                                                                                   "restart": "no"},
                                                         accept_differences=True))
        assert outcome.ok, outcome.message
        row.locator(".service-state .state.active").wait_for(timeout=30_000)
        assert row.get_attribute("data-format") == "classic"
        assert name in row.locator("td").nth(3).inner_text()  # From: container NAME
        assert page.locator("#services-empty").is_hidden()

        in_thread(unit_job("stop", service))
        row.locator(".service-state .state.inactive").wait_for(timeout=30_000)
        in_thread(unit_job("start", service))
        row.locator(".service-state .state.active").wait_for(timeout=30_000)
        # A live row still has its buttons, and they work: Regenerate opens the dialog.
        row.locator("button[data-action=regenerate]").click()
        page.wait_for_selector("#service-dialog .note")
        page.click("#service-dialog button:has-text('Close')")

        removed = in_thread(services.remove(scope, service))
        assert removed.ok
        row.wait_for(state="detached", timeout=30_000)
        assert errors == []
    finally:
        remove_services(name)
