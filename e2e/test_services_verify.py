"""Verified before it is enabled, the original never lost, from a browser: the dialog
shows the shadow's verdict; a difference shows and blocks Generate and enable until
it is accepted (on the container page, the pod page and the services list's
Regenerate); Keep the previous container; a service that fails gives the running
original back, its row running again."""
import json
import secrets
import subprocess
import tempfile
from pathlib import Path

import pytest

from dashboard import services
from dashboard.host import scopes
from e2e.test_services import BUSYBOX, remove_services

pytestmark = pytest.mark.e2e


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True).stdout.strip()


def _state(name: str) -> tuple[str, str]:
    record = json.loads(podman("inspect", "--type", "container", name))[0]
    return record["Id"], record["State"]["Status"]


@pytest.fixture
def name(server):
    prefix = f"phw-{secrets.token_hex(3)}"
    yield prefix
    remove_services(prefix)
    subprocess.run(["sh", "-c", f"podman pod rm -f -t 0 $(podman pod ls -q --filter name=^{prefix}) 2>/dev/null; "
                                f"podman rm -f -t 0 $(podman ps -aq --filter name=^{prefix}) >/dev/null 2>&1"],
                   capture_output=True)
    left = podman("ps", "-a", "--format", "{{.Names}}").splitlines()
    assert not [n for n in left if n.startswith(prefix) and "podhouse-shadow" in n]


def _open(page, url: str, kind: str) -> None:
    page.goto(url)
    page.click(f"#service-open-{kind}")
    page.wait_for_selector("#service-verification-summary", timeout=60_000)


def _ask_auto_update_and_see_the_difference(page) -> None:
    page.select_option("#service-auto-update", "local")
    page.wait_for_selector("#service-differences")
    differences = page.inner_text("#service-differences")
    assert "--label io.containers.autoupdate" in differences and "local" in differences, differences
    assert page.get_attribute("#service-verification", "data-identical") == "no"


def _blocked_then_accepted(page, service: str, new: bool = True) -> None:
    made = services.podhouse_services(scopes.get_scope("user")).get(service)
    texts = {path: path.read_text() for path in made.paths} if made else {}
    page.click("#service-submit")
    page.wait_for_selector("#service-result #service-must-accept", timeout=60_000)
    made = services.podhouse_services(scopes.get_scope("user")).get(service)
    assert (made is None) if new else ({path: path.read_text() for path in made.paths} == texts)
    page.check("#service-preview #service-accept-differences")
    page.click("#service-submit")
    page.wait_for_selector("#service-outcome", timeout=60_000)
    assert page.inner_text("#service-state") == "active", page.inner_text("#service-outcome")


def test_verified_keep_previous_and_regenerate_with_a_difference(operator_page, server, name):
    podman("run", "-d", "--stop-timeout=1", "--name", name, "-e", "A=b c", BUSYBOX, "sleep", "100000")
    old_id = _state(name)[0]
    page = operator_page
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    assert page.get_attribute("#service-verification", "data-identical") == "yes"
    summary = page.inner_text("#service-verification-summary")
    assert "identical on" in summary and "never started" in summary
    page.check("#service-keep-previous")
    page.click("#service-submit")
    page.wait_for_selector("#service-outcome", timeout=60_000)
    assert page.inner_text("#service-state") == "active", page.inner_text("#service-outcome")
    previous = f"{name}-podhouse-previous"
    assert previous in page.inner_text("#service-outcome .service-message")
    assert _state(previous)[0] == old_id and _state(name)[0] != old_id

    # The services list's Regenerate opens the same dialog: a difference blocks it there too.
    page.goto(f"{server.url}/user/services/")
    page.locator(f"tr[data-service='{name}.service'] button[data-action=regenerate]").click()
    page.wait_for_selector("#service-verification-summary", timeout=60_000)
    assert page.locator("#service-keep-previous").count() == 0  # systemd's container now: nothing to set aside
    _ask_auto_update_and_see_the_difference(page)
    _blocked_then_accepted(page, f"{name}.service", new=False)


def test_a_difference_blocks_until_accepted_on_the_container_page(operator_page, server, name):
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "sleep", "100000")
    page = operator_page
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    _ask_auto_update_and_see_the_difference(page)
    _blocked_then_accepted(page, f"{name}.service")
    assert podman("inspect", name, "--format", "{{index .Config.Labels \"io.containers.autoupdate\"}}") == "local"


def test_a_difference_blocks_until_accepted_on_the_pod_page(operator_page, server, name):
    podman("pod", "create", "--name", name)
    podman("create", "--stop-timeout=1", "--pod", name, "--name", f"{name}-a", BUSYBOX, "sleep", "100000")
    page = operator_page
    _open(page, f"{server.url}/user/pods/{name}/", "pod")
    assert "identical on" in page.inner_text("#service-verification-summary")
    assert page.locator("#service-keep-previous").count() == 0  # a pod cannot be renamed aside
    assert "cannot rename a pod" in page.inner_text("#service-replaces")
    _ask_auto_update_and_see_the_difference(page)
    _blocked_then_accepted(page, f"{name}-pod.service")


def test_a_failing_service_gives_the_running_original_back(operator_page, server, name):
    folder = Path(tempfile.mkdtemp(prefix="phw-"))
    (folder / "opt").mkdir()
    (folder / "opt" / "sleep").symlink_to("/bin/busybox")
    # Its command exists only in its own root filesystem: the service's new container cannot run it.
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "/opt/sleep", "100000")
    podman("cp", str(folder / "opt"), f"{name}:/")
    podman("start", name)
    before = _state(name)
    page = operator_page
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    page.select_option("#service-format", "classic")
    page.wait_for_function("document.querySelector('#service-preview-format').innerText === 'classic'")
    page.click("#service-submit")
    page.wait_for_selector("#service-outcome.bad", timeout=60_000)
    message = page.inner_text("#service-outcome .service-message")
    assert "renamed back and started again" in message and "removed what it wrote" in message, message
    assert "/opt/sleep" in page.inner_text("#service-journal")
    assert _state(name) == before
    page.goto(f"{server.url}/user/containers/")
    row = page.locator(f"tr:has(a:text-is('{name}'))")
    assert "running" in row.inner_text().lower()
    assert page.locator(f"text={name}-podhouse-previous").count() == 0
