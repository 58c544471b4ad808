"""The user scope on a real host, in this machine's Chromium.

podhouse.service runs as root and offers the system scope only (root's rootless
podman is the rootful one; e2e/test_realhost_system.py shows the page that says so).
What a login user gets instead is what the README's real-host section says: the
user's own Podhouse, run as that account from the installed clone with its state in
its home.  This test follows those steps as the test host's login user (`tester`,
lingering, rootless podman behind its own podman.socket), serves it on the test
host's own address (reachable from this machine over the test host's network), and
drives it: its user scope first, the system scope read-only with the reason.
Everything it starts or writes inside is removed afterwards."""
import re
import uuid

import pytest

from dashboard.host import testhost
from dashboard.views.units import dom_id
from e2e import conftest as e2e
from e2e import test_realhost_service as realhost

pytestmark = [pytest.mark.e2e, pytest.mark.realhost]

service = realhost.service
USER = testhost.LOGIN_USER
PORT = 8001
STATE = f"/home/{USER}/.local/state/podhouse-e2e"
UNIT = "podhouse-e2e-own.service"


def as_user(*argv: str, check: bool = True) -> str:
    return testhost.inside(*argv, user=USER, check=check).stdout.strip()


@pytest.fixture
def own_podhouse(service, page):
    """The login user's Podhouse (README: "run Podhouse as that account, without
    root"), as a transient unit of the user's manager; (url, password)."""
    address = testhost.inside("hostname", "-I").stdout.split()[0]
    env = [f"PODHOUSE_STATE_DIR={STATE}", f"PODHOUSE_ALLOWED_HOSTS={address}"]
    manage = ["env", *env, f"{testhost.SOURCE_DIR_INSIDE}/.venv/bin/python",
              f"{testhost.SOURCE_DIR_INSIDE}/manage.py"]
    try:
        as_user(*manage, "migrate", "--noinput", "-v0")
        printed = as_user(*manage, "ensure_admin")
        password = re.search(r"password:\s*(\S+)", printed).group(1)
        as_user("systemd-run", "--user", f"--unit={UNIT}", f"--working-directory={testhost.SOURCE_DIR_INSIDE}",
                *(f"--setenv={e}" for e in env), f"{testhost.SOURCE_DIR_INSIDE}/.venv/bin/daphne",
                "-b", address, "-p", str(PORT), "dashboard.asgi:application")
        url = f"http://{address}:{PORT}"
        for _ in range(120):
            if _answers(page, url):
                break
            page.wait_for_timeout(500)
        else:
            raise AssertionError(as_user("journalctl", "--user", "-u", UNIT, "--no-pager", check=False))
        yield url, password
    finally:
        as_user("systemctl", "--user", "stop", UNIT, check=False)
        as_user("systemctl", "--user", "reset-failed", UNIT, check=False)
        as_user("rm", "-rf", STATE)


def _answers(page, url: str) -> bool:
    try:
        return page.request.get(f"{url}/login/", timeout=2000).ok
    except Exception:  # not listening yet
        return False


def test_a_login_users_own_podhouse_offers_its_user_scope_and_the_system_scope_read_only(page, own_podhouse):
    url, password = own_podhouse
    errors = []
    page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url', '')}")
            if message.type == "error" else None)
    name = f"phs-e2e-own-{uuid.uuid4().hex[:6]}"
    as_user("podman", "run", "-d", "--name", name, "localhost/busybox:latest", "sleep", "1000")
    system_unit = f"{name}.service"
    testhost.inside("sh", "-c", f"printf '[Service]\\nExecStart=/bin/sleep 1000\\n' > /etc/systemd/system/{system_unit}")
    testhost.inside("systemctl", "daemon-reload")
    try:
        e2e.log_in(page, type("Server", (), {"url": url}), ("admin", password))
        # a non-root account lands on its own scope, and both scopes are offered
        assert page.url == f"{url}/user/"
        page.wait_for_selector(".overview[data-live=open]")
        for part in ("podman", "systemd", "journald"):
            page.wait_for_selector(f"#health .part[data-part={part}][data-ok=true]")
        assert page.locator(".scope-switch .scope-badge").evaluate_all(
            "bs => bs.map(b => b.textContent)") == ["system", "user"]

        # the user's rootless container, acted on from its row; the row follows live
        page.goto(f"{url}/user/containers/")
        page.wait_for_selector(f"tr[data-name='{name}'][data-state=running]")
        page.click(f"tr[data-name='{name}'] button[data-action=stop]")
        page.wait_for_selector(f"tr[data-name='{name}'][data-state=exited]", timeout=30_000)
        assert as_user("podman", "inspect", "--format", "{{.State.Status}}", name) == "exited"

        # its user manager's units, podman.socket among them
        page.goto(f"{url}/user/units/?kind=socket")
        page.wait_for_selector("#units-body tr[data-unit='podman.socket'][data-active=active]")

        # The system scope: shown, with why this account cannot act there.  Rootful
        # podman's socket is root's (srw-rw---- root root) and, with no polkitd on a
        # minimal Debian, systemd refuses it StartUnit.
        page.click(".scope-switch a.scope-badge:text('system')")
        page.wait_for_url(f"{url}/system/units/")  # the same area, in the other scope
        reason = "The system scope belongs to root: this account (uid 1000) may not use rootful Podman's socket"
        assert reason in page.inner_text(".scope-unusable")
        page.wait_for_selector(f"#units-body tr[data-unit='{system_unit}'][data-active=inactive]")
        page.wait_for_selector("#units-live[data-ws=open]")
        # No action is offered where it could only end in "Permission denied" (with no
        # polkitd on a minimal Debian systemd refuses this account StartUnit): not in the
        # list, not on the unit's page, and not in what either gets live when the unit
        # changes (root starts it here).
        unit_page = page.context.new_page()
        unit_page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url', '')}")
                     if message.type == "error" else None)
        unit_page.goto(f"{url}/system/units/{system_unit}/")
        assert reason in unit_page.inner_text(".scope-unusable")
        unit_page.wait_for_selector("#unit-live[data-ws=open]")
        testhost.inside("systemctl", "start", system_unit)
        page.wait_for_selector(f"#units-body tr[data-unit='{system_unit}'][data-active=active]")
        unit_page.wait_for_selector(f"#{dom_id(system_unit)}-state[data-active=active]")
        for shown in (page.locator("#units-body"), unit_page.locator("main")):
            assert shown.locator("button[data-action], button[hx-post], form[hx-post] button").count() == 0
        unit_page.close()
        # and the containers page: podman's socket refuses this account, the page answers
        # 503 with the reason and podman's failure, and shows no row action
        response = page.goto(f"{url}/system/containers/")
        assert response.status == 503
        assert reason in page.inner_text(".scope-unusable")
        assert "Podman could not answer" in page.inner_text("main")
        assert page.locator("button[data-action]").count() == 0
    finally:
        as_user("podman", "rm", "-f", "-t", "0", name, check=False)
        testhost.inside("systemctl", "stop", system_unit, check=False)
        testhost.inside("rm", "-f", f"/etc/systemd/system/{system_unit}")
        testhost.inside("systemctl", "daemon-reload")
    # Served over plain http at the test host's address (not the loopback), Chromium
    # ignores the Cross-Origin-Opener-Policy header and says so on every page: what a
    # user who skips the README's TLS proxy sees too.  No other error is allowed.
    ignored_coop = "The Cross-Origin-Opener-Policy header has been ignored, because the URL's origin was untrustworthy."
    assert [e for e in errors if not e.endswith("/favicon.ico") and not e.startswith(ignored_coop)] == [
        f"Failed to load resource: the server responded with a status of 503 (Service Unavailable) "
        f"{url}/system/containers/"]
