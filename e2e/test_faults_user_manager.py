"""R2 in the browser: the user manager is SIGKILLed and started again under an open
units page.  The page shows the banner while it is away, and then every service row
shows what a fresh ListUnits + ListUnitFiles of the new manager says: the unit the old
manager ran (the new one does not know it runs), the unit file added while it was
away, and units started afterwards.

The shared user manager is never touched: the test runs a PRIVATE session bus and
`systemd --user` (tests/private_user_manager.py) and a daphne of its own whose host
stack state names that bus (PODHOUSE_HOSTSTACK_DIR), as R1 does for Podman."""
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.host.systemd import SystemdManager
from dashboard.live.lists import unit_dom_id
from e2e.conftest import ADMIN, CONTEXT
from e2e.private_stack import OwnServer, stack_copy
from tests.private_user_manager import PrivateUserManager

pytestmark = pytest.mark.e2e
SLEEPER = "[Unit]\nDescription=Podhouse R2 page {name}\n[Service]\nExecStart=/bin/sleep 100000\n"
BANNER_SEEN = """() => {
    window.phfBanners = [];
    new MutationObserver(() => {
        const banner = document.getElementById('live-banner');
        if (!banner.classList.contains('hidden')) window.phfBanners.push(banner.textContent);
    }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""
PAGE_ROWS = """() => Object.fromEntries([...document.querySelectorAll('#units-body tr.unit-row')]
    .map(tr => [tr.dataset.unit, [tr.dataset.active, tr.dataset.sub, tr.dataset.file]]))"""


@pytest.fixture
def private_manager(server, tmp_path):
    """(manager, server): a private user manager and a daphne whose user scope is it."""
    private = PrivateUserManager()
    own = None
    try:
        private.start()
        folder = tmp_path / "stack"
        folder.mkdir()
        stack_copy(folder, runtime_dir=private.runtime_dir, bus_address=private.bus_address)
        own = OwnServer({**server.env, "PODHOUSE_HOSTSTACK_DIR": str(folder)}, tmp_path / "daphne.log").start()
        yield private, own
    finally:
        if own is not None:
            own.stop()
        private.close()


def fresh_services(private) -> dict[str, list[str]]:
    async def listing():
        manager = await SystemdManager.connect(private.scope)
        try:
            return await manager.list_all()
        finally:
            manager.close()
    # Playwright's sync API holds this thread's event loop: list from another thread.
    with ThreadPoolExecutor(1) as pool:
        rows = pool.submit(asyncio.run, listing()).result()
    return {name: [row.active_state, row.sub_state, row.file_state]
            for name, row in rows.items() if name.endswith(".service")}


def test_r2_page_recovers_from_a_killed_user_manager_with_nothing_missed(browser, private_manager):
    private, own = private_manager
    ran, idle, added = (f"{private.name}-{n}.service" for n in ("ran", "idle", "added"))
    for name in (ran, idle):
        private.write_unit(name, SLEEPER.format(name=name))
    private.systemctl("daemon-reload")
    private.systemctl("start", ran)
    context = browser.new_context(**CONTEXT)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{own.url}/login/?next=/user/units/")
        page.fill("input[name=username]", ADMIN[0])
        page.fill("input[name=password]", ADMIN[1])
        page.click("button[type=submit]")
        page.wait_for_url("**/user/units/")
        page.wait_for_selector(f"#{unit_dom_id(ran)}[data-active=active]")
        page.wait_for_selector(f"#{unit_dom_id(idle)}[data-active=inactive]")
        page.wait_for_selector("#units-live[data-ws=open]")
        page.evaluate(BANNER_SEEN)

        private.kill()
        killed = time.monotonic()
        page.wait_for_function("window.phfBanners.length > 0", timeout=10_000)
        banner_after = time.monotonic() - killed
        private.write_unit(added, SLEEPER.format(name=added))  # while it is away

        started = time.monotonic()
        private.start_manager()
        answered = time.monotonic() - started
        page.wait_for_selector("#live-banner.hidden", state="attached", timeout=15_000)
        back_after = time.monotonic() - started
        private.systemctl("start", idle, added)
        page.wait_for_selector(f"#{unit_dom_id(added)}[data-active=active]")
        page.wait_for_selector(f"#{unit_dom_id(idle)}[data-active=active]")
        # The new manager knows nothing of the old one's job: the unit it ran is not running for it.
        page.wait_for_selector(f"#{unit_dom_id(ran)}:not([data-active=active])")

        # Every service row as a fresh listing of the new manager has it (retried: the
        # page may be a signal behind the listing for a moment).
        deadline = time.monotonic() + 10
        while True:
            expected, shown = fresh_services(private), page.evaluate(PAGE_ROWS)
            if shown == expected or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert shown == expected, {n: (shown.get(n), expected.get(n)) for n in set(shown) | set(expected)
                                   if shown.get(n) != expected.get(n)}
        print(f"R2 page: banner {banner_after:.2f} s after the kill; page live {back_after:.2f} s after the "
              f"manager's start, which answered after {answered:.2f} s; {len(expected)} service rows equal a fresh listing")
    finally:
        context.close()
