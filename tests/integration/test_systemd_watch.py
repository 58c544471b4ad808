"""dashboard.live.unit_watch on the real user manager: list once, then signals only; mute
during daemon-reload; survive daemon-reexec."""
import asyncio

import pytest

from dashboard.live.unit_watch import UnitWatch, kind_group, status_group, unit_group
from tests.integration.test_systemd_client import SLEEPER, scratch_units  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration
WAIT = 10.0


class RecordingLayer:
    """Stands in for the Channels layer: keeps what the watcher sends, per group."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []
        self.arrived = asyncio.Event()

    async def group_send(self, group, message):
        self.sent.append((group, message))
        self.arrived.set()

    async def wait_for(self, predicate, since=0, timeout=WAIT):
        """The index of the first message from `since` on that matches."""
        async def scan():
            seen = since
            while True:
                for index in range(seen, len(self.sent)):
                    if predicate(*self.sent[index]):
                        return index
                seen = len(self.sent)
                self.arrived.clear()
                await self.arrived.wait()
        return await asyncio.wait_for(scan(), timeout)


def row_event(scope_name, unit, **state):
    def predicate(group, message):
        row = message.get("rows", {}).get(unit) if message["type"] == "rows.changed" else None
        return (group == kind_group(scope_name, unit.rpartition('.')[2]) and row is not None
                and all(row[k] == v for k, v in state.items()))
    return predicate


@pytest.fixture
async def watch(host_scope):
    layer = RecordingLayer()
    watch = UnitWatch(host_scope, layer)
    watch.start()
    await asyncio.wait_for(watch.ready.wait(), WAIT)
    yield watch
    await watch.stop()


async def systemctl(units, *args):
    return await asyncio.to_thread(units.systemctl, *args)


async def test_lists_once_then_lives_on_signals(watch, scratch_units):
    name = scratch_units.write(SLEEPER)
    await systemctl(scratch_units, "daemon-reload")
    layer = watch.layer
    await layer.wait_for(row_event(scratch_units.scope.name, name, file_state="disabled"))
    lists_before, get_all_before = watch.counts["lists"], watch.counts["get_all"]

    since = len(layer.sent)
    await systemctl(scratch_units, "start", name)
    await layer.wait_for(row_event(scratch_units.scope.name, name, active_state="active", sub_state="running"), since)
    loaded = watch.rows[name]
    # The per-unit group hears it too.
    assert any(g == unit_group(scratch_units.scope.name, name) and m["rows"][name]["active_state"] == "active"
               for g, m in layer.sent)
    since = len(layer.sent)
    await systemctl(scratch_units, "stop", name)
    await layer.wait_for(row_event(scratch_units.scope.name, name, active_state="inactive"), since)
    assert watch.counts["lists"] == lists_before, "start/stop must not list again"
    # Only pages of services hear of a service.
    assert not any(name in m.get("rows", {}) for g, m in layer.sent if g == kind_group(scratch_units.scope.name, "socket"))
    # At the listing the unit was known only from its file (not loaded): its UnitNew
    # costs one GetAll, which brings its description and load state (a PropertiesChanged
    # carries neither).
    assert watch.counts["get_all"] > get_all_before
    assert (loaded.load_state, loaded.description) == ("loaded", f"Podhouse test sleeper {name}")
    assert watch.rows[name].active_state == "inactive"


async def test_enable_is_seen_through_unit_files_changed(watch, scratch_units):
    name = scratch_units.write(SLEEPER)
    await systemctl(scratch_units, "daemon-reload")
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, file_state="disabled"))
    since = len(watch.layer.sent)
    await systemctl(scratch_units, "enable", name)
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, file_state="enabled"), since)


async def test_daemon_reload_is_muted_then_listed_again(watch, scratch_units):
    lists_before = watch.counts["lists"]
    name = scratch_units.write(SLEEPER)
    await systemctl(scratch_units, "daemon-reload")
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, file_state="disabled"))
    assert watch.counts["lists"] == lists_before + 1
    # A deleted unit file leaves the list at the next reload.
    scratch_units.systemctl("stop", name, check=False)
    (scratch_units.scope.unit_dir / name).unlink()
    await systemctl(scratch_units, "daemon-reload")
    await watch.layer.wait_for(lambda g, m: m["type"] == "rows.changed" and m["rows"].get(name, 0) is None)
    assert name not in watch.rows


async def test_changed_since_gives_what_a_page_missed(watch, scratch_units):
    rendered_at = watch.version
    name = scratch_units.write(SLEEPER)
    await systemctl(scratch_units, "daemon-reload")
    await systemctl(scratch_units, "start", name)
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, active_state="active"))
    missed = watch.changed_since(rendered_at)
    assert missed[name]["active_state"] == "active"
    assert all(watch.versions[n] > rendered_at for n in missed)


async def test_survives_daemon_reexec(watch, scratch_units):
    name = scratch_units.write(SLEEPER)
    await systemctl(scratch_units, "daemon-reload")
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, file_state="disabled"))
    since = len(watch.layer.sent)
    await systemctl(scratch_units, "daemon-reexec")
    # Pages are told that contact is lost, then that it is back.
    lost = await watch.layer.wait_for(lambda g, m: g == status_group(scratch_units.scope.name) and m["live"] is False, since)
    await watch.layer.wait_for(lambda g, m: g == status_group(scratch_units.scope.name) and m["live"] is True, lost)
    assert watch.live
    # And signals flow again on the new manager.
    await systemctl(scratch_units, "start", name)
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, active_state="active"))


async def test_reconnects_when_the_bus_connection_drops(watch, scratch_units):
    reconnects = watch.counts["reconnects"]
    since = len(watch.layer.sent)
    watch.manager.bus.disconnect()
    lost = await watch.layer.wait_for(lambda g, m: g == status_group(scratch_units.scope.name) and m["live"] is False, since)
    await watch.layer.wait_for(lambda g, m: g == status_group(scratch_units.scope.name) and m["live"] is True, lost)
    assert watch.counts["reconnects"] == reconnects + 1
    name = scratch_units.write(SLEEPER)
    await systemctl(scratch_units, "daemon-reload")
    await systemctl(scratch_units, "start", name)
    await watch.layer.wait_for(row_event(scratch_units.scope.name, name, active_state="active"))
