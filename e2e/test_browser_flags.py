"""The test browser's own switches: Chromium keeps only the last --disable-features of
its command line, so the list in e2e/conftest.py must hold Playwright's own (passed
before it) as well as the features it adds.  Read from the running browser's command
line, so a Playwright upgrade that changes its list fails here, not in silence."""
from pathlib import Path

import pytest

from e2e.conftest import BROWSER_UI_FEATURES, CHROMIUM

pytestmark = pytest.mark.e2e


def _browser_command_lines() -> list[list[str]]:
    """The command lines of the Chromium browser processes (not their renderers, GPU
    or utility children, which carry --type=) running now."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = [a for a in cmdline.read_bytes().decode(errors="replace").split("\0") if a]
        except OSError:
            continue
        if len(args) == 1:
            # Chromium may retitle itself (setproctitle): its arguments then read as one
            # string joined by spaces (seen in a full run, not in a short one).
            args = args[0].split(" ")
        if args and Path(args[0]).name in ("chromium", Path(CHROMIUM).name) \
                and "--remote-debugging-pipe" in args and not any(a.startswith("--type=") for a in args):
            found.append(args)
    return found


def test_the_last_disable_features_keeps_playwrights_and_adds_the_browser_ui(browser):
    lines = [args for args in _browser_command_lines()
             if any(a.startswith("--disable-features=") and BROWSER_UI_FEATURES[0] in a for a in args)]
    assert lines, "no running Chromium carries the --disable-features of e2e/conftest.py"
    for args in lines:
        lists = [a.split("=", 1)[1].split(",") for a in args if a.startswith("--disable-features=")]
        assert len(lists) >= 2, f"Playwright's own --disable-features is not on the command line: {lists}"
        playwrights, effective = lists[0], lists[-1]
        assert set(playwrights) <= set(effective), \
            f"e2e/conftest.py's PLAYWRIGHT_DISABLED_FEATURES lacks {sorted(set(playwrights) - set(effective))}"
        assert set(BROWSER_UI_FEATURES) <= set(effective)


def test_no_browser_ui_page_runs_beside_the_pages(browser):
    context = browser.new_context()
    try:
        context.new_page().goto("about:blank")
        targets = browser.new_browser_cdp_session().send("Target.getTargets")["targetInfos"]
        assert [t["url"] for t in targets if t["url"].startswith("chrome://omnibox")] == []
        assert "page" in {t["type"] for t in targets}
    finally:
        context.close()
