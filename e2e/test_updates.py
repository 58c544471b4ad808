"""Updates in Chromium: a container run by a unit from a loopback registry's image;
Check shows the update due, Update shows podman's lines and "updated", the history's
Roll back brings v1 back.  A viewer sees no button and a forged POST gets 403."""
import asyncio
import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.flows import services
from dashboard.host import scopes
from e2e.conftest import VIEWER, log_in
from tests.integration.local_registry import LocalRegistry
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.e2e


def in_thread(coroutine):
    """Playwright's loop owns this thread: run the project's async flow in another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def served(server, tmp_path):
    """A container of a registry image (v1) run by a Quadlet unit with AutoUpdate=registry,
    and v2 published under the same tag; everything removed afterwards."""
    prefix = f"phu-{secrets.token_hex(3)}"
    builds = []

    def build(version: str) -> str:
        folder = tmp_path / f"v{version}"
        folder.mkdir()
        (folder / "Containerfile").write_text(
            f'FROM {BUSYBOX}\nRUN echo {version} > /version\nCMD ["sleep", "100000"]\n')
        tag = f"localhost/{prefix}-build:{version}"
        podman("build", "-q", "-t", tag, str(folder))
        builds.append(tag)
        return tag

    scope = scopes.get_scope("user")
    v1 = ""
    with LocalRegistry(tmp_path / "registry") as registry:
        reference = registry.reference(f"phu/{prefix}:stable")
        try:
            registry.publish(build("1"), f"phu/{prefix}:stable")
            podman("pull", "-q", "--tls-verify=false", reference)
            v1 = podman("image", "inspect", reference, "--format", "{{.Id}}")
            podman("create", "--stop-timeout=1", "--name", prefix, reference)
            outcome = in_thread(services.generate_and_enable(scope, "container", prefix,
                                                             {"format": "quadlet", "stop_timeout": "0",
                                                              "auto_update": "registry"}))
            assert outcome.ok, (outcome.message, outcome.journal)
            registry.publish(build("2"), f"phu/{prefix}:stable")
            yield prefix, v1, reference
        finally:
            for service in [s for s in services.podhouse_services(scope) if s.startswith(prefix)]:
                in_thread(services.remove(scope, service))
            subprocess.run(["podman", "rm", "-f", "-t", "0", prefix], capture_output=True)
            subprocess.run(["podman", "rmi", "-f", reference, *builds, *([v1] if v1 else [])],
                           capture_output=True)


def test_check_update_and_roll_back_from_the_page(operator_page, server, served):
    page, (name, v1, reference) = operator_page, served
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.url}/user/updates/")
    row = page.locator(f"#updates-table tr[data-container='{name}']")
    assert "registry" in row.inner_text() and f"{name}.service" in row.inner_text()
    assert "not pruned" in page.inner_text(".updates-about")
    page.check("#updates-insecure")

    page.click("#updates-check")
    page.wait_for_selector(".update-job[data-live=open]")
    due = f".update-job tr[data-container='{name}'] .update-outcome[data-outcome='update due']"
    page.wait_for_selector(due, timeout=30_000)
    lines = page.locator(f".update-job tr[data-container='{name}'] .update-lines").inner_text()
    assert "asking 127.0.0.1" in lines, lines  # the registry was asked, nothing pulled
    page.wait_for_selector(".update-job [data-finished=true]")
    assert podman("exec", name, "cat", "/version") == "1"  # a check restarts nothing
    assert podman("image", "inspect", reference, "--format", "{{.Id}}") == v1  # and moves no tag

    page.click(f"#updates-table tr[data-container='{name}'] button.update-one")
    page.wait_for_selector(f".update-job[data-mode=update] tr[data-container='{name}'] "
                           f".update-outcome[data-outcome='updated']", timeout=45_000)
    assert "now runs" in page.inner_text(f".update-job tr[data-container='{name}'] .update-outcome")
    assert podman("exec", name, "cat", "/version") == "2"

    # The tables are read again when the job ends: the history has the update, with Roll back.
    button = page.locator(f"#updates-history tr[data-container='{name}'][data-outcome='updated'] button.update-rollback")
    button.wait_for(timeout=15_000)
    button.click()
    page.wait_for_selector("#updates-rollback-result .update-rollback-result[data-outcome='rolled back']",
                           timeout=45_000)
    assert podman("exec", name, "cat", "/version") == "1"
    assert podman("inspect", name, "--format", "{{.Image}}") == v1
    page.wait_for_selector(f"#updates-history tr[data-container='{name}'][data-action='roll back']")


def test_a_labelled_container_without_a_unit_is_listed_as_not_updatable(operator_page, server):
    name = f"phu-{secrets.token_hex(3)}"
    podman("create", "--label", "io.containers.autoupdate=registry", "--name", name, BUSYBOX, "true")
    try:
        operator_page.goto(f"{server.url}/user/updates/")
        row = operator_page.locator(f"#updates-cannot tr[data-container='{name}']")
        assert "not run by a unit: cannot be updated" in row.inner_text()
        assert row.locator("a", has_text="run it as a systemd service").get_attribute("href") == \
            f"/user/containers/{name}/"
        assert operator_page.locator(f"#updates-table tr[data-container='{name}']").count() == 0
    finally:
        subprocess.run(["podman", "rm", "-f", name], capture_output=True)


def test_viewer_sees_no_button_and_a_forged_post_is_refused(page, server):
    name = f"phu-{secrets.token_hex(3)}"
    record = server.manage("shell", "-c", f"""
from dashboard.models import UpdateRecord
r = UpdateRecord.objects.create(username='admin', scope='user', unit='{name}.service', container='{name}',
    reference='localhost/{name}:1', old_image_id='a' * 64, new_image_id='b' * 64, outcome='updated')
print(r.id)""").split()[-1]  # (the shell may say first what it imported)
    log_in(page, server, VIEWER)
    page.goto(f"{server.url}/user/updates/")
    page.wait_for_selector(f"#updates-history tr[data-container='{name}']")
    assert page.locator("#updates-check, #updates-update-all, button.update-one, button.update-rollback, "
                        "#schedule-save").count() == 0
    for url in ("/user/updates/check/", "/user/updates/update/", f"/user/updates/history/{record}/rollback/",
                "/user/updates/schedule/", "/user/updates/schedule/off/", "/user/updates/schedule/run/"):
        status = page.evaluate("""async (url) => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken='))?.split('=')[1] || '';
            const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
            return r.status; }""", server.url + url)
        assert status == 403, url
    count = server.manage("shell", "-c", f"from dashboard.models import UpdateRecord; "
                                         f"print(UpdateRecord.objects.filter(container='{name}').count())").split()[-1]
    assert count == "1"


def test_automatic_updates_are_turned_on_with_systemds_words_and_off_again(operator_page, server):
    page = operator_page
    scope = scopes.get_scope("user")
    timer = scope.unit_dir / "podhouse-auto-update.timer"
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.url}/user/updates/")
    assert page.locator("#update-schedule").get_attribute("data-installed") == "0"
    try:
        # systemd reads the expression as it is typed
        page.fill("#schedule-on-calendar", "someday")
        page.wait_for_selector("#schedule-preview [data-valid='0']")
        assert "someday" in page.inner_text("#schedule-preview")
        page.click("#schedule-save")
        page.wait_for_selector(".field-error[data-field=on_calendar]")
        assert "systemd cannot read it" in page.inner_text(".field-error[data-field=on_calendar]")
        assert not timer.exists()  # nothing written

        settled(page, "#update-schedule")
        page.fill("#schedule-on-calendar", "Sun 04:00")
        page.wait_for_selector("#schedule-preview [data-valid='1']")
        assert page.inner_text("#schedule-preview").startswith("next: Sun ")
        page.fill("#schedule-delay", "60")
        page.click("#schedule-save")
        page.wait_for_selector("#update-schedule[data-installed='1'][data-active='active']")
        assert page.inner_text("#schedule-calendar") == "Sun 04:00"
        assert page.inner_text("#schedule-next").startswith("Sun ") and "04:0" in page.inner_text("#schedule-next")
        assert "OnCalendar=Sun 04:00" in timer.read_text()
        page.reload()  # what the page reads from systemd, not what it was sent
        assert page.input_value("#schedule-on-calendar") == "Sun 04:00"
        assert page.input_value("#schedule-delay") == "60"

        # a run started outside the page (here: systemctl) shows up by itself
        page.wait_for_selector("#update-schedule[data-live='open']")
        run = subprocess.run(["systemctl", "--user", "start", "podhouse-auto-update.service"],
                             capture_output=True, text=True, env=scope.child_env())
        assert run.returncode == 0, run.stderr
        page.wait_for_selector("#schedule-last-result[data-result='worked']", timeout=30_000)
        # and Run now starts the same service from the page
        page.click("#schedule-run")
        page.wait_for_selector("#schedule-message", timeout=30_000)
        assert page.inner_text("#schedule-message") in (
            "Job for podhouse-auto-update.service done.",
            "podhouse-auto-update.service is running; its log says how the update goes.")

        page.click("#schedule-off-button")
        page.wait_for_selector("#update-schedule[data-installed='0']")
        assert "Automatic updates are off" in page.inner_text("#schedule-message")
        assert not timer.exists()
    finally:
        in_thread(_turn_off(scope))


def settled(page, selector: str) -> None:
    """Wait until htmx has processed a swapped-in element: it adds its listeners in
    the settle step, ~20 ms after the element is in the page (class htmx-added until
    then); typing into it before that is not seen by htmx."""
    page.wait_for_selector(f"{selector}:not(.htmx-added)")


async def _turn_off(scope):
    from dashboard.flows import update_schedule

    await update_schedule.turn_off(scope)


def test_the_containers_kept_current_follow_podman_live(operator_page, server):
    """The list of containers kept current is live: a container labelled for updates
    (and named by a unit) that is made after the page was read appears, its state
    follows start, and its removal takes the row away; one without a unit comes and
    goes in the list of those that cannot be kept current; the page logs no error."""
    page, name = operator_page, f"phu-{secrets.token_hex(3)}"
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{server.url}/user/updates/")
        page.wait_for_selector("#updates-live[data-live=open]")
        row = page.locator(f"#updates-table tr[data-container='{name}']")
        assert row.count() == 0
        # "Update now" asks first; refused, nothing starts.  (Accepted it would update
        # every due container of the shared stack, other sessions' too: the job itself
        # is the per-row Update's, clicked in test_check_update_and_roll_back_from_the_page.)
        asked: list[str] = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.click("#updates-update-all")
        assert asked == ["Update every container whose update is due (its unit restarts)?"]
        assert page.locator("#updates-progress .update-job").count() == 0
        podman("create", "--label", "io.containers.autoupdate=local", "--label", f"PODMAN_SYSTEMD_UNIT={name}.service",
               "--name", name, BUSYBOX, "sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait")
        row.wait_for(timeout=30_000)
        assert row.get_attribute("data-state") == "created"
        assert "local" in row.inner_text() and f"{name}.service" in row.inner_text()
        assert page.locator("#updates-none").is_hidden()
        podman("start", name)
        page.wait_for_selector(f"#updates-table tr[data-container='{name}'][data-state=running]", timeout=30_000)
        assert row.locator("button.update-one").count() == 1
        podman("rm", "-f", "-t", "0", name)
        row.wait_for(state="detached", timeout=30_000)

        # labelled without a unit: it comes to the list of those that cannot be kept current
        podman("create", "--label", "io.containers.autoupdate=registry", "--name", name, BUSYBOX, "true")
        cannot = page.locator(f"#updates-cannot tr[data-container='{name}']")
        cannot.wait_for(timeout=30_000)
        assert "not run by a unit: cannot be updated" in cannot.inner_text()
        assert row.count() == 0
        podman("rm", "-f", "-t", "0", name)
        cannot.wait_for(state="detached", timeout=30_000)
        assert errors == []
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
