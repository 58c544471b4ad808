"""The security wall against the real server, every route enumerated (none listed by
hand, so a route added later is covered): every websocket needs the exact origin
(scheme, host and port) besides the login; every URL needs CSRF on POST (a token,
and an Origin that is exactly the server's own); a viewer's POST acts nowhere.
The anonymous half (every URL and websocket needs a login) is
tests/unit/test_login_wall.py."""
import base64
import secrets
import os
import re
import socket
import sqlite3

import httpx
import pytest

from e2e.conftest import ADMIN, VIEWER, log_in
from tests.integration.test_systemd_client import scratch_units  # noqa: F401 (a fixture)
from tests.podman_cli import BUSYBOX, podman
from tests.unit.test_login_wall import PAGE_ROUTES, WS_ROUTES, _sample_path

pytestmark = pytest.mark.e2e


def _other_port(port: int) -> int:
    return 3000 if port != 3000 else 3001


def handshake(port: int, path: str, origin: str, cookie: str = "") -> str:
    """The status line of a websocket handshake to the server."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {origin}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(200).decode(errors="replace").split("\r\n")[0]


def session(server, credentials) -> httpx.Client:
    """An HTTP client logged in through the login form, as a browser would."""
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=180)
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    answer = client.post("/login/", data={"username": credentials[0], "password": credentials[1],
                                          "csrfmiddlewaretoken": token, "next": "/"},
                         headers={"Origin": server.url, "Referer": f"{server.url}/login/"})
    assert answer.status_code == 302, answer.text[:300]
    return client


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


@pytest.fixture(scope="module")
def admin_http(server):
    client = session(server, ADMIN)
    yield client
    client.close()


@pytest.fixture(scope="module")
def viewer_http(server):
    client = session(server, VIEWER)
    yield client
    client.close()


WS_PATHS = ["/" + _sample_path(p) for p in WS_ROUTES]
HTTP_PATHS = [(name, "/" + _sample_path(p).lstrip("^").rstrip("$")) for name, p in PAGE_ROUTES]


@pytest.mark.parametrize("path", WS_PATHS)
def test_a_page_on_another_port_of_the_same_host_opens_no_websocket(server, admin_http, path):
    cookie = cookie_header(admin_http)
    for origin in (f"http://127.0.0.1:{_other_port(server.port)}", f"https://127.0.0.1:{server.port}",
                   f"http://localhost:{server.port}", "http://evil.example"):
        assert " 403 " in handshake(server.port, path, origin, cookie), (path, origin)


@pytest.mark.parametrize("path", ["/ws/ping/", "/ws/user/containers/", "/ws/user/overview/",
                                  "/ws/user/units/?kind=service", "/ws/user/logs/"])
def test_the_servers_own_origin_opens_websockets(server, admin_http, path):
    assert " 101 " in handshake(server.port, path, server.url, cookie_header(admin_http)), path


def _post(client, server, path, *, token=True, origin=None):
    data = {"csrfmiddlewaretoken": client.cookies.get("csrftoken")} if token else {}
    headers = {"Origin": origin or server.url}
    return client.post(path, data=data, headers=headers)


@pytest.mark.parametrize("name,path", HTTP_PATHS, ids=[p for _, p in HTTP_PATHS])
def test_every_post_needs_the_csrf_token(server, admin_http, name, path):
    answer = _post(admin_http, server, path, token=False)
    assert answer.status_code == 403 and "CSRF" in answer.text, (path, answer.status_code)


@pytest.mark.parametrize("name,path", HTTP_PATHS, ids=[p for _, p in HTTP_PATHS])
def test_every_post_needs_the_exact_origin(server, admin_http, name, path):
    if admin_http.cookies.get("csrftoken") is None:
        admin_http.get("/login/")  # sets the CSRF cookie
    for origin in (f"http://127.0.0.1:{_other_port(server.port)}", f"https://127.0.0.1:{server.port}"):
        answer = _post(admin_http, server, path, origin=origin)
        assert answer.status_code == 403 and "CSRF" in answer.text, (path, origin, answer.status_code)


def _audit_rows(server, username: str) -> list[tuple]:
    database = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return db.execute("SELECT action, target, result, id FROM dashboard_auditentry WHERE username = ?"
                          " ORDER BY id", (username,)).fetchall()


def test_a_viewer_acts_nowhere(server, viewer_http):
    """A viewer's POST, with a valid token and the right origin, to every URL: either
    refused (403, audited as refused) or a page that changes nothing; no action is
    attempted (every action is audited, so none may be recorded but refusals)."""
    viewer_http.get("/login/")
    seen = {row[3] for row in _audit_rows(server, VIEWER[0])}  # other tests' entries
    refused = 0
    for name, path in HTTP_PATHS:
        if name == "logout":
            continue  # ends the viewer's own session: not an action on the host
        answer = _post(viewer_http, server, path)
        assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        assert "/login/" not in answer.headers.get("location", ""), f"the session was lost at {path}"
        refused += answer.status_code == 403
    rows = [row for row in _audit_rows(server, VIEWER[0]) if row[0] != "login" and row[3] not in seen]
    assert [row for row in rows if row[2] != "refused"] == []
    # every 403 is an action's refusal, and each was audited
    assert refused > 0 and len(rows) == refused, (refused, rows)


# -- Content-Security-Policy: no page needs what it forbids ---------------------------

MAIN_PAGES = ["/user/", "/user/containers/", "/user/pods/", "/user/images/", "/user/units/",
              "/user/services/", "/user/logs/", "/user/updates/", "/user/audit/", "/login/"]
CATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def test_no_main_page_breaks_the_content_security_policy(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(CATCH_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    try:
        log_in(page, server, ADMIN)
        for path in MAIN_PAGES:
            answer = page.goto(f"{server.url}{path}")
            assert "default-src 'self'" in answer.headers["content-security-policy"], path
            page.wait_for_load_state("networkidle")
            # htmx ran (its indicator styles would have been refused if it had added them)
            assert page.evaluate("typeof htmx !== 'undefined' && htmx.config.includeIndicatorStyles === false"), path
            assert page.evaluate("window.__violations") == [], path
        live = page.locator("[ws-connect][data-live=open]")
        page.goto(f"{server.url}/user/containers/")
        live.first.wait_for()  # the socket's open state is set by podhouse.js, not by hx-on
    finally:
        context.close()
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


# -- login throttling --------------------------------------------------------------------

def test_wrong_passwords_then_the_right_one_is_refused_with_the_wait_and_audited(page, server):
    name = f"phsec-{secrets.token_hex(4)}"
    server.manage("shell", "-c", f"from django.contrib.auth.models import User; "
                                 f"User.objects.create_user({name!r}, '', 'right-password-1')")
    for _ in range(5):
        page.goto(f"{server.url}/login/")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        page.wait_for_selector("p.error")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "right-password-1")
    page.click("button[type=submit]")
    message = page.locator("p.error[data-lockout]")
    message.wait_for()
    assert "Too many failed logins from this account: try again in 1" in message.inner_text()
    assert "/login/" in page.url
    results = [row[2] for row in _audit_rows(server, name) if row[0] == "login"]
    assert results == ["failed"] * 5 + ["refused"]


# -- what a viewer may read ----------------------------------------------------------

@pytest.fixture
def secret_container():
    name = f"phsec-env-{secrets.token_hex(4)}"
    podman("create", "--name", name, "-e", "PHSEC_PASSWORD=hunter2-secret", "-e", "PHSEC_MODE=plain",
           BUSYBOX, "sleep", "60")
    yield name
    podman("rm", "-f", "-t", "0", name)


def test_a_viewer_sees_environment_names_but_not_values(page, server, secret_container):
    log_in(page, server, VIEWER)
    page.goto(f"{server.url}/user/containers/{secret_container}/")
    env = page.locator("table.env")
    assert "PHSEC_PASSWORD" in env.inner_text() and "PHSEC_MODE" in env.inner_text()
    assert page.locator("#env-hidden").is_visible()
    assert "hunter2-secret" not in page.content()
    assert "plain" not in env.inner_text()
    raw = page.locator("#raw-inspect").text_content()
    assert "PHSEC_PASSWORD=(hidden from viewers)" in raw and "hunter2-secret" not in raw
    # the edit form would show the values: it is for operators
    assert page.request.get(f"{server.url}/user/containers/{secret_container}/edit/").status == 403


def test_an_admin_sees_environment_values(admin_page, server, secret_container):
    admin_page.goto(f"{server.url}/user/containers/{secret_container}/")
    assert "hunter2-secret" in admin_page.locator("table.env").inner_text()
    assert admin_page.locator("#env-hidden").count() == 0
    assert "PHSEC_PASSWORD=hunter2-secret" in admin_page.locator("#raw-inspect").text_content()


SECRET_UNIT = """[Unit]
Description=Podhouse security test {tag}
[Service]
Environment=PHSEC_TOKEN=tok-secret-1 PHSEC_ZONE=zone-2
ExecStart=/bin/sh -c 'exec sleep 60' --env PHSEC_ARG=arg-secret-3
"""


def test_a_viewer_reads_unit_files_without_environment_values(page, server, scratch_units):
    name = scratch_units.install(SECRET_UNIT)
    log_in(page, server, VIEWER)
    page.goto(f"{server.url}/user/units/{name}/")
    text = page.locator(".unit-file-text").inner_text()
    assert "PHSEC_TOKEN=(hidden from viewers)" in text and "PHSEC_ZONE=(hidden from viewers)" in text
    assert "PHSEC_ARG=(hidden from viewers)" in text
    for secret in ("tok-secret-1", "zone-2", "arg-secret-3"):
        assert secret not in page.content(), secret


def test_an_admin_reads_unit_files_whole(admin_page, server, scratch_units):
    name = scratch_units.install(SECRET_UNIT)
    admin_page.goto(f"{server.url}/user/units/{name}/")
    assert "PHSEC_TOKEN=tok-secret-1" in admin_page.locator(".unit-file-text").inner_text()
