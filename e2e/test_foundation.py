"""The foundation seen from a browser: login wall, header health, websocket guard."""
import base64
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from dashboard.host import hoststack
from e2e.conftest import ADMIN

pytestmark = pytest.mark.e2e


def test_anonymous_visit_is_sent_to_login(page, server):
    page.goto(f"{server.url}/user/containers/")
    assert re.search(r"/login/\?next=/user/containers/$", page.url)
    assert page.locator("h1").inner_text() == "Log in to Podhouse"


def test_wrong_password_is_refused(page, server):
    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    page.wait_for_selector("p.error")
    assert "/login/" in page.url


def test_admin_sees_every_part_green(admin_page, server):
    admin_page.wait_for_selector("#health .part[data-part=journald]")
    parts = admin_page.locator("#health .part")
    assert parts.count() == 3
    for name in ("podman", "systemd", "journald"):
        part = admin_page.locator(f"#health .part[data-part={name}]")
        assert part.get_attribute("data-ok") == "true", part.inner_text()
    header = admin_page.locator("#health").inner_text()
    assert re.search(r"podman \d+\.\d+", header) and re.search(r"systemd \d+", header)
    assert socket.gethostname() in header
    for area in ("Containers", "Pods", "Images", "Units", "Services", "Logs", "Audit"):
        assert admin_page.locator("nav.areas a", has_text=area).count() == 1


def _open_websocket(page, url):
    return page.evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.onmessage = (e) => { resolve({message: e.data}); ws.close(); };
        ws.onclose = (e) => resolve({closed: e.code});
    })""", url)


def test_websocket_without_session_is_refused(page, server):
    page.goto(f"{server.url}/login/")
    result = _open_websocket(page, f"ws://127.0.0.1:{server.port}/ws/ping/")
    assert "message" not in result, result
    assert result["closed"] in (1006, 4401)


def test_websocket_with_session_is_accepted(admin_page, server):
    result = _open_websocket(admin_page, f"ws://127.0.0.1:{server.port}/ws/ping/")
    assert result == {"message": '{"pong": "admin"}'}


def _handshake_status(port, origin, cookie=""):
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /ws/ping/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {origin}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode())
        return sock.recv(200).decode(errors="replace").split("\r\n")[0]


def test_websocket_from_a_foreign_origin_is_refused_even_with_a_session(admin_page, server):
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in admin_page.context.cookies())
    assert " 101 " in _handshake_status(server.port, server.url, cookie)
    assert " 403 " in _handshake_status(server.port, "http://evil.example", cookie)


def _stop_podman_service(state):
    """Stop the Podman API service the way an outage would: its process goes away."""
    if state.embedded:
        pid = state.started["podman"]
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not hoststack.unix_socket_answers(state.podman_socket):
                return
            time.sleep(0.05)
        raise AssertionError("the Podman service did not stop")
    subprocess.run(["systemctl", "--user", "stop", "podman.socket", "podman.service"], check=True)


def _start_podman_service(state):
    if state.embedded:
        hoststack.up(install=False)
    else:
        subprocess.run(["systemctl", "--user", "start", "podman.socket"], check=True)


def test_header_turns_red_when_podman_stops_and_green_when_it_returns(admin_page, server, host_stack):
    state = hoststack.load_state()
    podman_part = admin_page.locator("#health .part[data-part=podman]")
    podman_part.wait_for()
    assert podman_part.get_attribute("data-ok") == "true"
    _stop_podman_service(state)
    try:
        admin_page.reload()
        podman_part.wait_for()
        assert podman_part.get_attribute("data-ok") == "false"
        assert state.podman_socket in podman_part.inner_text()
        # The other parts stay green: one outage does not paint the whole header.
        assert admin_page.locator("#health .part[data-part=systemd]").get_attribute("data-ok") == "true"
    finally:
        _start_podman_service(state)
    admin_page.reload()
    podman_part.wait_for()
    assert podman_part.get_attribute("data-ok") == "true"


def test_a_viewer_sees_the_health_too(viewer_page):
    # A viewer's permissions are read from the database while the header renders:
    # the async health view must do that off the event loop (it once answered 500).
    part = viewer_page.locator("#health .part[data-part=podman]")
    part.wait_for()
    assert part.get_attribute("data-ok") == "true"
    assert "(viewer)" in viewer_page.locator(".account").inner_text()
