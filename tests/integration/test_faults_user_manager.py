"""R2: the user manager killed (SIGKILL) and started again, and re-executed
(daemon-reexec), under the unit watcher: it resubscribes, lists again, ends with the
same rows as a fresh ListUnits + ListUnitFiles of the manager, and what it published
brings a page rendered before the fault up to those rows (the live-list contract:
the rows the page drew, then changed_since(its position), or every rows.changed its
socket heard).

The shared host stack's manager is never touched: each test runs a PRIVATE session
bus and `systemd --user` (tests/private_user_manager.py)."""
import asyncio
import dataclasses
import time

import pytest

from dashboard.host.systemd import SystemdManager
from dashboard.live.unit_watch import UnitWatch, kind_group, row_dict, status_group
from tests.integration.test_systemd_watch import RecordingLayer, row_event
from tests.private_user_manager import PrivateUserManager

pytestmark = pytest.mark.integration
WAIT = 15.0
SLEEPER = """[Unit]
Description=Podhouse R2 sleeper {name}
[Service]
ExecStart=/bin/sleep 100000
[Install]
WantedBy=default.target
"""
# What a row of the list shows, and what ListUnits + ListUnitFiles say of it.
COMPARED = ("name", "description", "load_state", "active_state", "sub_state", "file_state", "file_path")


@pytest.fixture
def private():
    manager = PrivateUserManager()
    try:
        manager.start()
        yield manager
    finally:
        manager.close()


@pytest.fixture
async def watch(private):
    watch = UnitWatch(private.scope, RecordingLayer())
    watch.start()
    await asyncio.wait_for(watch.ready.wait(), WAIT)
    yield watch
    await watch.stop()


def shown(row: dict) -> tuple:
    return tuple(row[k] for k in COMPARED)


def watcher_rows(watch) -> dict[str, tuple]:
    return {name: shown(row_dict(row)) for name, row in watch.rows.items()}


async def fresh_listing(scope) -> dict[str, tuple]:
    manager = await SystemdManager.connect(scope)
    try:
        listed = await manager.list_all()
    finally:
        manager.close()
    return {name: shown(dataclasses.asdict(row)) for name, row in listed.items()}


async def assert_same_as_a_fresh_listing(watch, scope) -> tuple[int, int]:
    """The watcher's rows equal a new connection's ListUnits + ListUnitFiles.  Other
    suites start and stop containers meanwhile (their overlay mounts come and go in
    this manager too), so a unit that differs between two listings 0.3 s apart is in
    flux and left out; every other must be the same in the watcher as in both.
    Returns (rows compared, rows left out)."""
    deadline = time.monotonic() + WAIT
    while True:
        first = await fresh_listing(scope)
        await asyncio.sleep(0.3)  # signals sent before the listing reach the watcher
        mine = watcher_rows(watch)
        second = await fresh_listing(scope)
        moving = {n for n in set(first) | set(second) if first.get(n) != second.get(n)}
        differ = sorted(n for n in (set(mine) | set(second)) - moving if mine.get(n) != second.get(n))
        if not differ:
            return len(set(second) - moving), len(moving)
        if time.monotonic() > deadline:
            pytest.fail(f"the watcher's rows differ from a fresh listing: "
                        f"{[(n, mine.get(n), second.get(n)) for n in differ[:10]]}")


async def assert_page_catches_up(watch, page_rows, page_at: int, sent_from: int):
    """As page_catches_up, once the watcher has sent what it holds (a burst of other
    suites' mounts may be between its rows and its flush)."""
    deadline = time.monotonic() + WAIT
    while (failure := page_catches_up(watch, page_rows, page_at, sent_from)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not failure, failure


def page_catches_up(watch, page_rows: dict[str, dict], page_at: int, sent_from: int) -> str:
    """A page drew `page_rows` at position `page_at`.  Both ways a page learns what
    changed bring it to the watcher's rows: what its socket asks on opening
    (changed_since) and, for a page whose socket stayed open, every rows.changed of
    the unit kinds' groups it heard."""
    now = {name: shown(row) for name, row in ((n, row_dict(r)) for n, r in watch.rows.items())}
    caught_up = {name: shown(row) for name, row in page_rows.items()}
    for name, row in watch.changed_since(page_at).items():
        if row is None:
            caught_up.pop(name, None)
        else:
            caught_up[name] = shown(row)
    if caught_up != now:
        differ = sorted(n for n in set(caught_up) | set(now) if caught_up.get(n) != now.get(n))
        return (f"changed_since does not bring the page up to the watcher's rows: "
                f"{[(n, caught_up.get(n), now.get(n)) for n in differ[:5]]}")

    heard = {name: shown(row) for name, row in page_rows.items()}
    kind_groups = {kind_group(watch.scope.name, name.rpartition(".")[2]) for name in set(now) | set(page_rows)}
    for group, message in watch.layer.sent[sent_from:]:
        if group in kind_groups and message["type"] == "rows.changed":
            for name, row in message["rows"].items():
                if row is None:
                    heard.pop(name, None)
                else:
                    heard[name] = shown(row)
    if heard != now:
        differ = sorted(n for n in set(heard) | set(now) if heard.get(n) != now.get(n))
        history = [(i, g[:30], (m["rows"][differ[0]] or {}).get("active_state", "GONE"), m.get("position"))
                   for i, (g, m) in enumerate(watch.layer.sent) if differ[0] in m.get("rows", {})]
        return (f"the published changes do not bring an open page up to the watcher's rows: "
                f"{[(n, heard.get(n), now.get(n)) for n in differ[:5]]}; sent_from {sent_from}, "
                f"history of {differ[0]}: {history}; version {watch.versions.get(differ[0])} of {watch.version}, "
                f"counts {watch.counts}, pending {len(watch._changed)}, task done {watch._task.done()}, "
                f"muted {watch._muted}, live {watch.live}, queue {watch._queue.qsize()}")
    return ""


async def wait_status(watch, live: bool, since: int) -> int:
    return await watch.layer.wait_for(
        lambda g, m: g == status_group(watch.scope.name) and m["live"] is live, since, timeout=WAIT)


async def systemctl(private, *args):
    return await asyncio.to_thread(private.systemctl, *args)


async def test_r2_killed_user_manager_watcher_resubscribes_and_misses_nothing(private, watch):
    tag = private.name
    kept, stopped, deleted, added = (f"{tag}-{n}.service" for n in ("kept", "stopped", "deleted", "added"))
    for name in (kept, stopped, deleted):
        private.write_unit(name, SLEEPER.format(name=name))
    await systemctl(private, "daemon-reload")
    await systemctl(private, "start", kept, stopped)
    layer = watch.layer
    await layer.wait_for(row_event("user", stopped, active_state="active", sub_state="running"), timeout=WAIT)
    # A page rendered now, before the fault.
    page_at, page_rows = watch.version, {n: row_dict(r) for n, r in watch.rows.items()}
    sent_from = len(layer.sent)
    counts = dict(watch.counts)

    private.kill()
    lost = await wait_status(watch, False, sent_from)
    # While it is away: a unit file added, one deleted, one enabled by hand.
    private.write_unit(added, SLEEPER.format(name=added))
    (private.unit_dir / deleted).unlink()
    wants = private.unit_dir / "default.target.wants"
    wants.mkdir(exist_ok=True)
    (wants / kept).symlink_to(private.unit_dir / kept)

    started = time.monotonic()
    await asyncio.to_thread(private.start_manager)
    answered = time.monotonic() - started
    await wait_status(watch, True, lost)
    live_after = time.monotonic() - started
    # And after: states changed on the new manager (which knows nothing of the old one's jobs).
    await systemctl(private, "start", added)
    await systemctl(private, "start", stopped)
    await systemctl(private, "stop", stopped)
    await layer.wait_for(row_event("user", added, active_state="active"), lost, timeout=WAIT)
    await layer.wait_for(row_event("user", stopped, active_state="inactive"), lost, timeout=WAIT)

    compared, moving = await assert_same_as_a_fresh_listing(watch, private.scope)
    assert watch.rows[kept].file_state == "enabled"
    assert deleted not in watch.rows
    # The new manager is on a new bus at the same address (the session bus is the
    # manager's own dbus.socket), so the watcher, once the name stayed without owner
    # on the old bus, connected again until it could subscribe, and listed again.
    assert watch.counts["reconnects"] > counts["reconnects"]
    assert watch.counts["subscribes"] > counts["subscribes"]
    assert watch.counts["lists"] > counts["lists"]
    assert watch.live
    await assert_page_catches_up(watch, page_rows, page_at, sent_from)
    print(f"R2 kill: manager answered {answered:.2f} s after its start, watcher live {live_after:.2f} s after; "
          f"{compared} rows equal a fresh listing ({moving} in flux left out); counts {watch.counts}")


async def test_r2_daemon_reexec_with_changes_around_it_misses_nothing(private, watch):
    tag = private.name
    before, during, after = (f"{tag}-{n}.service" for n in ("before", "during", "after"))
    for name in (before, during, after):
        private.write_unit(name, SLEEPER.format(name=name))
    await systemctl(private, "daemon-reload")
    await systemctl(private, "start", before, after)
    layer = watch.layer
    await layer.wait_for(row_event("user", after, active_state="active"), timeout=WAIT)
    page_at, page_rows = watch.version, {n: row_dict(r) for n, r in watch.rows.items()}
    sent_from = len(layer.sent)
    counts = dict(watch.counts)

    # A job queued just before the reexec and one just after it, a file enabled meanwhile.
    await systemctl(private, "stop", "--no-block", before)
    started = time.monotonic()
    await systemctl(private, "daemon-reexec")
    await systemctl(private, "start", "--no-block", during)
    await systemctl(private, "enable", after)
    lost = await wait_status(watch, False, sent_from)
    await wait_status(watch, True, lost)
    live_after = time.monotonic() - started
    await layer.wait_for(row_event("user", during, active_state="active"), sent_from, timeout=WAIT)

    compared, moving = await assert_same_as_a_fresh_listing(watch, private.scope)
    assert watch.rows[before].active_state == "inactive"
    assert watch.rows[during].active_state == "active"
    assert watch.rows[after].file_state == "enabled" and watch.rows[after].active_state == "active"
    # Subscribed on the new manager (on the same bus, or on a new connection when the
    # re-execution outlasted OWNER_WAIT on a busy machine) and listed again.
    assert watch.counts["subscribes"] > counts["subscribes"]
    assert watch.counts["lists"] > counts["lists"]
    await assert_page_catches_up(watch, page_rows, page_at, sent_from)
    print(f"R2 reexec: watcher live {live_after:.2f} s after the reexec began; "
          f"{compared} rows equal a fresh listing ({moving} in flux left out); counts {watch.counts}")
