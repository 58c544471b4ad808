"""The benches' page on the embedded stack: daphne as the e2e tests run it and a
logged-in Chromium (live_page), after the host stack is up (use_host_stack)."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from dashboard.host import hoststack  # noqa: E402


class _TempFactory:
    """What the e2e server fixture needs of pytest's tmp_path_factory."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="phl-bench-"))

    def mktemp(self, name: str) -> Path:
        path = self.base / f"{name}-{uuid.uuid4().hex[:6]}"
        path.mkdir()
        return path

    def getbasetemp(self) -> Path:
        return self.base


def use_host_stack():
    """Bring the host stack up if needed; podman and journalctl run here then talk to it."""
    state = hoststack.up(install=False)
    os.environ.update(state.environment())
    return state


@contextlib.contextmanager
def live_page():
    """(server, page): daphne as the e2e tests run it, and a logged-in Chromium page."""
    from playwright.sync_api import sync_playwright

    from e2e import conftest as e2e

    state = use_host_stack()
    serve = e2e.server.__wrapped__(state, _TempFactory())
    server = next(serve)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
            page = browser.new_context(**e2e.CONTEXT).new_page()
            page.set_default_timeout(60_000)
            e2e.log_in(page, server, e2e.ADMIN)
            yield server, page
            browser.close()
    finally:
        with contextlib.suppress(StopIteration):
            next(serve)
