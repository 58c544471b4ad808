"""systemd inside a container, for real: the image made by `manage.py
make_systemd_image`, run from the create form with "run systemd inside", answers
`running` to `systemctl is-system-running`, and stops cleanly from the page."""
import secrets

import pytest

from e2e.test_containers import podman

pytestmark = pytest.mark.e2e
IMAGE = "localhost/debian-systemd:bookworm"



@pytest.fixture(scope="module")
def systemd_image(server):
    server.manage("make_systemd_image")  # minutes the first time on a new machine, then a no-op
    assert podman("image", "exists", IMAGE, check=False).returncode == 0
    return IMAGE


@pytest.fixture
def name():
    name = f"phc-systemd-{secrets.token_hex(4)}"
    yield name
    podman("rm", "-f", name, check=False)


def test_systemd_inside_runs_and_stops(operator_page, server, systemd_image, name):
    page = operator_page
    page.goto(f"{server.url}/user/containers/-/new/?image={systemd_image}")
    assert page.locator("input[name=image]").input_value() == systemd_image
    page.fill("input[name=name]", name)
    page.fill("input[name=command]", "/sbin/init")
    page.select_option("#systemd-mode", "true")
    page.click("#submit-container")
    page.wait_for_url(f"**/user/containers/{name}/")
    assert page.locator("#container-state").get_attribute("data-state") == "running"
    assert page.locator("dt:text('Systemd mode') + dd").inner_text() == "on"
    state = podman("exec", name, "systemctl", "is-system-running", "--wait", timeout=120)
    assert state.stdout.strip() == "running", state.stdout + state.stderr
    # podman's systemd mode: tmpfs on /run and /tmp, stop signal SIGRTMIN+3
    mounts = podman("exec", name, "sh", "-c", "grep -E ' /(run|tmp) ' /proc/mounts").stdout
    assert " /run tmpfs" in mounts and " /tmp tmpfs" in mounts
    assert podman("inspect", "-f", "{{.Config.StopSignal}}", name).stdout.strip() == "37"
    page.wait_for_selector("[hx-ext=ws][data-live=open]")
    page.click("#container-summary button[data-action=stop]")
    page.wait_for_selector("#container-state[data-state=exited]")
    assert podman("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() in ("0", "130", "137", "143")
