"""R1: the Podman service is killed while pages are open.  A banner says so within
2 s, no row is shown as live while it is away, and the lists come back (read again,
with what changed meanwhile) within 5 s of its return.

The shared host stack's Podman service is not touched: the test starts a PRIVATE
`podman system service` on a socket of its own (same storage and containers.conf, so
the same containers), and a daphne of its own whose host-stack state names that
socket (PODHOUSE_HOSTSTACK_DIR)."""
import secrets
import time

import pytest

from e2e.conftest import ADMIN, CONTEXT
from e2e.private_stack import OwnServer, PodmanService, stack_copy
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.e2e
BANNER_VISIBLE = ("(() => { const b = document.getElementById('live-banner');"
                  " return b && !b.classList.contains('hidden') && b.textContent.includes('Podman does not answer'); })()")
BANNER_HIDDEN = "document.getElementById('live-banner').classList.contains('hidden')"


@pytest.fixture
def private_stack(server, tmp_path):
    """(podman, server): a private Podman service and a daphne that uses it."""
    folder = tmp_path / "stack"
    folder.mkdir()
    private = PodmanService(folder).start()
    stack_copy(folder, podman_socket=private.socket)
    own = OwnServer({**server.env, "PODHOUSE_HOSTSTACK_DIR": str(folder)}, tmp_path / "daphne.log").start()
    yield private, own
    own.stop()
    private.stop()


def test_r1_podman_killed_under_open_pages_banner_no_stale_rows_and_recovery(browser, private_stack):
    private, own = private_stack
    name = f"phf-r1-{secrets.token_hex(3)}"
    podman("run", "-d", "--name", name, BUSYBOX, "sleep", "100000")
    pages = []
    try:
        for path in ("/user/containers/", "/user/pods/", "/user/images/"):
            context = browser.new_context(**CONTEXT)
            page = context.new_page()
            page.set_default_timeout(60_000)
            # Straight to the list page (the overview asks podman for more than this needs).
            page.goto(f"{own.url}/login/?next={path}")
            page.fill("input[name=username]", ADMIN[0])
            page.fill("input[name=password]", ADMIN[1])
            page.click("button[type=submit]")
            page.wait_for_url(f"**{path}")
            page.wait_for_load_state("networkidle")
            pages.append(page)
        containers = pages[0]
        row = containers.locator("#containers-body tr", has_text=name)
        # (text, not innerText: a container row is `content-visibility: auto`, and a row
        # just swapped in has no rendered text until the next frame)
        assert "running" in row.text_content()

        private.kill()
        killed = time.monotonic()
        for page in pages:
            page.wait_for_function(BANNER_VISIBLE, timeout=10_000)
        banner_after = time.monotonic() - killed
        # Nothing stale shown as live: no list keeps its rows while podman is away.
        for page, body in zip(pages, ("containers-body", "pods-body", "images-body")):
            assert page.locator(f"#{body} tr.podman-away").count() == 1
            assert page.locator(f"#{body} tr:not(.podman-away)").count() == 0
        # A change while podman's service is away (the CLI works without it).
        podman("stop", "-t", "0", name)

        private.start()
        back = time.monotonic()
        containers.wait_for_function(BANNER_HIDDEN, timeout=15_000)
        containers.locator("#containers-body tr", has_text=name).wait_for(timeout=15_000)
        lists_after = time.monotonic() - back
        for page in pages[1:]:
            page.wait_for_function(BANNER_HIDDEN, timeout=15_000)
            page.wait_for_function("document.querySelectorAll('tr.podman-away').length === 0", timeout=15_000)
        row_text = containers.locator("#containers-body tr", has_text=name).text_content()
        print(f"R1: banner {banner_after:.2f} s after the kill; lists back {lists_after:.2f} s after the return")
        assert "exited" in row_text and "running" not in row_text, row_text
        assert banner_after < 2.0
        assert lists_after < 5.0
    finally:
        for page in pages:
            page.context.close()
        podman("rm", "-f", "-t", "0", name)
