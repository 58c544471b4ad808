"""End-to-end fixtures: Podhouse served by daphne (as `make run` does, on a
private SQLite file and a free port) and Debian's Chromium driven by Playwright."""
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Playwright 1.65.2's own --disable-features list (its chromiumSwitches).  Chromium keeps
# only the LAST --disable-features of its command line, and ours comes after
# Playwright's: it must repeat them (e2e/test_browser_flags.py fails when they drift).
PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
    "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin",
    "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch",
    "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
]
# Chromium 151 and later build the address bar's popup, a WebUI page
# (chrome://omnibox-popup.top-chrome), for every window, headless too: a trace of the
# containers page's cold load showed it loading some 60 chrome:// files alongside,
# about 25-30 ms of a 250-300 ms load on this 2-core machine (docs/benchmarks.md).
BROWSER_UI_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]
# Measured on this machine kind: without the background-networking flags Chromium
# keeps dialling out and the closed network refuses it many times a second.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + BROWSER_UI_FEATURES)]
ADMIN = ("admin", "admin-e2e-password-1")
OPERATOR = ("operator", "operator-e2e-password-1")
VIEWER = ("viewer", "viewer-e2e-password-1")

pytestmark = pytest.mark.e2e


@dataclass
class LiveServer:
    url: str
    port: int
    env: dict
    process: subprocess.Popen

    def manage(self, *args: str) -> str:
        """Run a manage.py command against the server's own database."""
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=self.env,
                              capture_output=True, text=True, check=True)
        return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(host_stack, tmp_path_factory):
    db = tmp_path_factory.mktemp("e2e-db") / "podhouse.sqlite3"
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}",
           "PODHOUSE_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = LiveServer(url=f"http://127.0.0.1:{port}", port=port, env=env, process=None)
    server.manage("migrate", "--noinput", "-v0")
    server.manage("shell", "-c", f"""
from django.contrib.auth.models import User, Permission
User.objects.create_superuser({ADMIN[0]!r}, '', {ADMIN[1]!r})
op = User.objects.create_user({OPERATOR[0]!r}, '', {OPERATOR[1]!r})
op.user_permissions.add(Permission.objects.get(codename='operate'))
User.objects.create_user({VIEWER[0]!r}, '', {VIEWER[1]!r})
""")
    log = open(tmp_path_factory.getbasetemp() / "daphne.log", "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
         "dashboard.asgi:application"], cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    server.process = process
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited: see {log.name}")
        time.sleep(0.1)
    else:
        raise RuntimeError("daphne did not listen within 30 s")
    yield server
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Playwright evaluates a string predicate (wait_for_function("...")) with eval, which
# the pages' Content-Security-Policy forbids: the test pages bypass it.  The policy
# itself is checked, unbypassed, by e2e/test_security_wall.py on every main page.
CONTEXT = {"viewport": {"width": 1400, "height": 900}, "bypass_csp": True}


@pytest.fixture
def page(browser):
    context = browser.new_context(**CONTEXT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, server, credentials):
    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", credentials[0])
    page.fill("input[name=password]", credentials[1])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.fixture
def admin_page(page, server):
    return log_in(page, server, ADMIN)


@pytest.fixture
def operator_page(page, server):
    return log_in(page, server, OPERATOR)


@pytest.fixture
def viewer_page(page, server):
    return log_in(page, server, VIEWER)
