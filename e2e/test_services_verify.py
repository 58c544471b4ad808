"""Verified before it is enabled, the original never lost, from a browser: the dialog
shows the shadow's verdict; a difference shows and blocks Generate and enable until
it is accepted (on the container page and the pod page); auto-update asked for at
the services list's Regenerate is no difference; what Quadlet cannot carry as a key
is named; a setting Podhouse does not carry (an unknown field) is refused until
confirmed; Keep the previous container; a service that fails gives the running
original back, its row running again.

The real difference used: a health check without a timer (--health-interval=disable),
which the generator cannot write (its "0" means podman's default), so the service's
container would check every 30 s."""
import json
import secrets
import subprocess
import tempfile
from pathlib import Path

import pytest

from dashboard.flows import services
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


NO_HEALTH_TIMER = ("--health-cmd", "true", "--health-interval", "disable")


def _see_the_difference(page) -> None:
    page.wait_for_selector("#service-differences")
    differences = page.inner_text("#service-differences")
    assert "--health-interval" in differences and "30000000000" in differences, differences
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

    # The services list's Regenerate opens the same dialog; auto-update asked for there
    # is the container as asked, not a difference: it goes through without accepting.
    page.goto(f"{server.url}/user/services/")
    page.locator(f"tr[data-service='{name}.service'] button[data-action=regenerate]").click()
    page.wait_for_selector("#service-verification-summary", timeout=60_000)
    assert page.locator("#service-keep-previous").count() == 0  # systemd's container now: nothing to set aside
    page.select_option("#service-auto-update", "local")
    page.wait_for_selector("#service-asked")
    assert "--label io.containers.autoupdate=local" in page.inner_text("#service-asked")
    assert page.get_attribute("#service-verification", "data-identical") == "yes"
    assert page.locator("#service-preview #service-accept-differences").count() == 0
    page.click("#service-submit")
    page.wait_for_selector("#service-outcome", timeout=60_000)
    assert page.inner_text("#service-state") == "active", page.inner_text("#service-outcome")
    assert podman("inspect", name, "--format", "{{index .Config.Labels \"io.containers.autoupdate\"}}") == "local"


def test_a_difference_blocks_until_accepted_on_the_container_page(operator_page, server, name):
    podman("create", "--stop-timeout=1", "--name", name, *NO_HEALTH_TIMER, BUSYBOX, "sleep", "100000")
    page = operator_page
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    _see_the_difference(page)
    _blocked_then_accepted(page, f"{name}.service")
    # What the table said the service would run, it runs.
    assert podman("inspect", name, "--format", "{{.Config.Healthcheck.Interval}}") == "30s"


def test_a_difference_blocks_until_accepted_on_the_pod_page(operator_page, server, name):
    podman("pod", "create", "--name", name)
    podman("create", "--stop-timeout=1", "--pod", name, "--name", f"{name}-a", *NO_HEALTH_TIMER, BUSYBOX,
           "sleep", "100000")
    page = operator_page
    _open(page, f"{server.url}/user/pods/{name}/", "pod")
    assert page.locator("#service-keep-previous").count() == 0  # a pod cannot be renamed aside
    assert "cannot rename a pod" in page.inner_text("#service-replaces")
    _see_the_difference(page)
    assert f"{name}-a: --health-interval" in page.inner_text("#service-differences")
    _blocked_then_accepted(page, f"{name}-pod.service")


def test_what_quadlet_cannot_carry_as_a_key_is_named_in_the_dialog(operator_page, server, name):
    podman("create", "--stop-timeout=1", "--tty", "--name", name, BUSYBOX, "sleep", "100000")
    page = operator_page
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    assert page.inner_text("#service-preview-format") == "quadlet"
    warnings = page.inner_text("#service-warnings")
    assert "--tty true: not carried by Quadlet 5.4 keys, written as PodmanArgs" in warnings, warnings
    assert page.get_attribute("#service-verification", "data-identical") == "yes"  # named, and still carried
    page.select_option("#service-format", "classic")
    page.wait_for_function("document.querySelector('#service-preview-format').innerText === 'classic'")
    assert page.locator("#service-warnings").count() == 0


def test_an_unknown_field_is_refused_until_confirmed(operator_page, server, name):
    """--timeout is a setting Podhouse does not carry: the dialog names it, Generate
    and enable is refused (audited, nothing written) until its own box is ticked."""
    podman("create", "--stop-timeout=1", "--timeout", "300", "--name", name, BUSYBOX, "sleep", "100000")
    page = operator_page
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    assert "unknown field Config.Timeout (--timeout)" in page.inner_text("#service-unknown")
    assert page.get_attribute("#service-verification", "data-unknown") == "1"
    page.click("#service-submit")
    page.wait_for_selector("#service-result #service-must-accept-unknown", timeout=60_000)
    assert "Config.Timeout" in page.inner_text("#service-must-accept-unknown")
    assert services.podhouse_services(scopes.get_scope("user")).get(f"{name}.service") is None
    page.goto(f"{server.url}/user/audit/?result=refused&q={name}")
    entry = page.locator(".audit-entry", has_text=name).first
    assert entry.get_attribute("data-action") == "service-enable"
    assert "Config.Timeout" in entry.locator(".audit-detail").inner_text()
    _open(page, f"{server.url}/user/containers/{name}/", "container")
    page.check("#service-preview #service-accept-unknown")
    page.click("#service-submit")
    page.wait_for_selector("#service-outcome", timeout=60_000)
    assert page.inner_text("#service-state") == "active", page.inner_text("#service-outcome")


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
    # textContent: a container row is content-visibility:auto, and one off screen (or
    # not yet drawn) has no rendered text (innerText '')
    assert "running" in row.text_content().lower()
    assert page.locator(f"text={name}-podhouse-previous").count() == 0
