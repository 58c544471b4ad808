"""R4: a log pane following a container at about 1,000 lines a second loses its
websocket twice: once dropped under it, once because the server is killed (SIGKILL)
and started again on the same port.  The pane resumes after the last cursor it has
each time: every line reaches it once, in order.  Both log drivers.

The test runs its own daphne (same database and settings as the session's server) so
that killing it touches no other test."""
import secrets
import time

import pytest

from e2e.conftest import ADMIN, log_in
from e2e.private_stack import OwnServer
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.e2e
PRINTER = ('i=0; while [ $i -lt 60000 ]; do i=$((i+1)); echo "n $i"; '
           'if [ $((i % 50)) = 0 ]; then sleep 0.05; fi; done')
# Before any page script: every line the pane's sockets hand over, and each socket opened.
RECORDER = """(() => {
window.phfNumbers = [];
window.phfOpens = 0;
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('open', () => { window.phfOpens += 1; });
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.t === 'lines') for (const line of message.lines) window.phfNumbers.push(parseInt(line[5].split(' ')[1], 10));
  });
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})()"""


@pytest.fixture
def own_server(server, tmp_path):
    own = OwnServer(server.env, tmp_path / "daphne.log").start()
    yield own
    own.stop()


def numbers(page) -> list[int]:
    return page.evaluate("window.phfNumbers")


def wait_for_more(page, count: int, timeout_ms: int = 30_000):
    page.wait_for_function(f"window.phfNumbers.length >= {count}", timeout=timeout_ms)


@pytest.mark.parametrize("driver", ["journald", "k8s-file"])
def test_r4_a_dropped_socket_and_a_killed_server_lose_and_repeat_no_line(page, own_server, driver):
    name = f"phf-r4-{driver}-{secrets.token_hex(3)}"
    podman("run", "-d", f"--log-driver={driver}", "--name", name, BUSYBOX, "sh", "-c", PRINTER)
    try:
        page.add_init_script(RECORDER)
        log_in(page, own_server, ADMIN)
        page.goto(f"{own_server.url}/user/logs/?kind=container&name={name}&follow=on")
        wait_for_more(page, 500)
        # 1. The socket drops under the pane (not a close it asked for).
        page.evaluate("document.querySelector('.log-pane').logPane.socket.ws.close(4000)")
        before = len(numbers(page))
        page.wait_for_function("window.phfOpens >= 2")
        wait_for_more(page, before + 1000)
        # 2. The server is killed and started again on the same port.
        own_server.kill()
        killed_at = len(numbers(page))
        time.sleep(1.0)  # lines go on being written while no server runs
        own_server.start()
        restarted = time.monotonic()
        page.wait_for_function("window.phfOpens >= 3", timeout=30_000)
        back_after = time.monotonic() - restarted
        wait_for_more(page, killed_at + 1500)
        got = numbers(page)
        print(f"R4 {driver}: {len(got)} lines, socket opened {page.evaluate('window.phfOpens')} times, "
              f"pane back {back_after:.1f} s after the server")
        assert got == list(range(got[0], got[0] + len(got))), (
            f"lost {sorted(set(range(got[0], got[-1] + 1)) - set(got))[:10]}, "
            f"twice {len(got) - len(set(got))}")
        assert page.locator(".log-pane .log-status").inner_text().startswith("following")
    finally:
        podman("rm", "-f", "-t", "0", name)
