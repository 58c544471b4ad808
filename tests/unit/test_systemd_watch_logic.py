"""dashboard.live.unit_watch's handling of signals, with a fake manager and layer: what a
signal does to the rows, which group hears it, and when GetAll is asked."""
import types

import pytest
from dbus_fast import Variant

from dashboard.live import unit_watch
from dashboard.host.scopes import Scope
from dashboard.host.systemd import UnitRow
from dashboard.live.unit_watch import UnitWatch, kind_group, unit_group

SCOPE = Scope(name="user", podman_socket="/nowhere", bus_address="unix:path=/nowhere",
              unit_dir=None, quadlet_dir=None)


class FakeManager:
    def __init__(self, units):
        self.units = units  # name -> UnitRow, what ListUnits + ListUnitFiles would say
        self.get_all_calls = []

    async def list_all(self):
        return {name: UnitRow(**vars(row)) for name, row in self.units.items()}

    async def get_all(self, path, interface):
        self.get_all_calls.append(path)
        return {"Description": "new one", "LoadState": "loaded", "ActiveState": "active",
                "SubState": "running", "UnitFileState": "", "FragmentPath": ""}


class FakeLayer:
    def __init__(self):
        self.sent = []

    async def group_send(self, group, message):
        self.sent.append((group, message))


def signal(member, body, path="/org/freedesktop/systemd1"):
    return types.SimpleNamespace(member=member, body=body, path=path)


def changed(path_label, **props):
    return signal("PropertiesChanged",
                  ["org.freedesktop.systemd1.Unit", {k: Variant("s", v) for k, v in props.items()}, []],
                  path=f"/org/freedesktop/systemd1/unit/{path_label}")


@pytest.fixture
async def watch():
    manager = FakeManager({
        "web.service": UnitRow("web.service", "web", "loaded", "inactive", "dead", file_state="enabled"),
        "dbus.socket": UnitRow("dbus.socket", "bus", "loaded", "active", "listening", file_state="static"),
    })
    watch = UnitWatch(SCOPE, FakeLayer())
    watch.manager = manager
    await watch._relist()
    watch.layer.sent.clear()
    return watch


async def handle(watch, *messages):
    for message in messages:
        await watch._handle(message)
    await watch._flush()


async def test_property_change_reaches_its_kind_and_its_unit_only(watch):
    await handle(watch, changed("web_2eservice", ActiveState="active", SubState="running"))
    groups = [g for g, _m in watch.layer.sent]
    assert groups == [kind_group("user", "service"), unit_group("user", "web.service")]
    assert watch.layer.sent[0][1]["rows"]["web.service"]["active_state"] == "active"
    assert watch.rows["web.service"].sub_state == "running"


async def test_a_change_that_changes_nothing_shown_sends_nothing(watch):
    await handle(watch, changed("web_2eservice", ActiveState="inactive", SubState="dead"))
    assert watch.layer.sent == []


async def test_a_burst_is_coalesced_into_one_message(watch):
    await handle(watch, changed("web_2eservice", ActiveState="activating", SubState="start"),
                 changed("web_2eservice", ActiveState="active", SubState="running"))
    kind_messages = [m for g, m in watch.layer.sent if g == kind_group("user", "service")]
    assert len(kind_messages) == 1 and kind_messages[0]["rows"]["web.service"]["active_state"] == "active"


async def test_get_all_only_for_a_unit_never_seen(watch):
    path = "/org/freedesktop/systemd1/unit/run_2du1_2escope"
    await handle(watch, signal("UnitNew", ["run-u1.scope", path]))
    assert watch.manager.get_all_calls == [path]
    assert watch.rows["run-u1.scope"].description == "new one"
    await handle(watch, signal("UnitRemoved", ["run-u1.scope", path]))
    assert "run-u1.scope" not in watch.rows
    assert watch.layer.sent[-2][1]["rows"] == {"run-u1.scope": None}
    await handle(watch, signal("UnitNew", ["run-u1.scope", path]))
    assert watch.manager.get_all_calls == [path], "seen before: no second GetAll"
    assert "run-u1.scope" in watch.rows
    # Units listed at the start are known too.
    await handle(watch, signal("UnitNew", ["web.service", "/org/freedesktop/systemd1/unit/web_2eservice"]))
    assert watch.manager.get_all_calls == [path]


async def test_an_unloaded_unit_with_a_file_keeps_its_row(watch):
    await handle(watch, changed("web_2eservice", ActiveState="active", SubState="running"))
    await handle(watch, signal("UnitRemoved", ["web.service", "/org/freedesktop/systemd1/unit/web_2eservice"]))
    assert watch.rows["web.service"].active_state == "inactive"


async def test_muted_during_reload_then_listed_again(watch):
    lists = watch.counts["lists"]
    watch.manager.units["new.service"] = UnitRow("new.service", file_state="disabled")
    del watch.manager.units["dbus.socket"]
    await handle(watch, signal("Reloading", [True]),
                 changed("web_2eservice", ActiveState="failed", SubState="failed"),
                 signal("UnitRemoved", ["web.service", "/org/freedesktop/systemd1/unit/web_2eservice"]))
    assert watch.rows["web.service"].active_state == "inactive", "ignored while reloading"
    assert watch.counts["lists"] == lists
    await handle(watch, signal("Reloading", [False]))
    assert watch.counts["lists"] == lists + 1
    assert "new.service" in watch.rows and "dbus.socket" not in watch.rows
    assert watch.changed_since(0)["dbus.socket"] is None


async def test_gone_units_are_forgotten_beyond_a_bound(watch, monkeypatch):
    monkeypatch.setattr(unit_watch, "GONE_KEPT", 10)
    for i in range(40):
        path = f"/org/freedesktop/systemd1/unit/s{i}_2escope"
        await handle(watch, signal("UnitNew", [f"s{i}.scope", path]), signal("UnitRemoved", [f"s{i}.scope", path]))
    assert len(watch._gone) <= 10
    assert len(watch.versions) <= len(watch.rows) + 10
    # The newest removals are still told to a page that missed them.
    assert watch.changed_since(0)["s39.scope"] is None
