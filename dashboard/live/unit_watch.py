"""One watcher of systemd per server process and scope.

It lists units once (ListUnits + ListUnitFiles), subscribes once, and then lives on
signals: PropertiesChanged of units, UnitNew, UnitRemoved, UnitFilesChanged,
Reloading and JobRemoved. Changes go out on Channels groups, one per unit type of a
scope and one per unit, as the live lists' rows (dashboard.live.lists); every open
page joins the groups of what it shows, so a hundred pages cost one subscription. A
burst of signals goes out as one change per unit, at most BURST_SECONDS after it
began. GetAll is asked only for a unit never seen loaded before (new, or known only
from its file). During a daemon-reload (Reloading true .. false) signals are ignored
and the units are listed again afterwards. When the bus connection drops or the
manager re-executes (its bus name changes owner), the watcher reconnects,
resubscribes and lists again; pages show a banner meanwhile. A manager that left the
bus and does not come back on it within OWNER_WAIT (killed, then started again: the
session bus is its own dbus.socket, so the new one listens on a new bus at the same
address while the old bus lingers) is looked for on a new connection.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from pathlib import Path

from channels.layers import get_channel_layer

from dashboard.host.scopes import Scope
from dashboard.live.lists import change_id, unit_dom_id
from dashboard.live.per_loop import PerLoop
from dashboard.host.systemd import (MANAGER, MANAGER_PATH, SERVICE, UNIT, SystemdError, SystemdManager,
                                    UnitRow, unit_path_name)
from dashboard.host.unit_files import container_link, read_unit_file

log = logging.getLogger(__name__)

RECONNECT_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)
READY_TIMEOUT = 5.0
BURST_SECONDS = 0.05  # changes read in one burst go out together, at most this late
OWNER_WAIT = 5.0  # a daemon-reexec comes back on the same bus within this, even on a loaded machine
GONE_KEPT = 4096
_DISCONNECTED = object()


def kind_group(scope_name: str, kind: str) -> str:
    """All units of one type (service, socket, ...): a list page shows one type, and
    the many changes of mounts, scopes and slices then reach no page at all."""
    return f"units.{scope_name}.{kind.replace('@', '_')[:40]}"


def unit_group(scope_name: str, unit: str) -> str:
    # Group names allow only ASCII letters, digits, - _ . ; unit names carry @ \ : too.
    return f"unit.{scope_name}.{hashlib.sha1(unit.encode()).hexdigest()[:24]}"


def status_group(scope_name: str) -> str:
    return f"unitwatch.{scope_name}"


def row_dict(row: UnitRow) -> dict:
    """A unit's row as the live lists publish it (dashboard.live.lists), with its element id."""
    return {**dataclasses.asdict(row), "dom_id": unit_dom_id(row.name)}


class UnitWatch:
    def __init__(self, scope: Scope, layer=None):
        self.scope = scope
        self.layer = layer or get_channel_layer()
        self.rows: dict[str, UnitRow] = {}
        self.versions: dict[str, int] = {}  # unit -> version of its last change (or removal)
        self.version = 0
        self.live = False
        self.status_message = "Connecting to systemd…"
        self.ready = asyncio.Event()
        self.manager: SystemdManager | None = None
        self.counts = {"lists": 0, "get_all": 0, "signals": 0, "reconnects": 0, "subscribes": 0}
        self._gone: dict[str, UnitRow] = {}  # units unloaded without a file, oldest first
        self._muted = False
        self._queue: asyncio.Queue = asyncio.Queue()
        self._changed: dict[str, bool] = {}  # unit -> still present, waiting to be sent
        self._task: asyncio.Task | None = None
        self._attempt = 0  # failed connections since the watcher was last live
        self._owner_lost_at: float | None = None

    # -- life ---------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"unit-watch-{self.scope.name}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.manager:
            self.manager.close()

    async def _run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # dbus-fast raises plain Exception subclasses
                log.warning("unit watch %s: %s", self.scope.name, error)
            if self.manager:
                self.manager.close()
                self.manager = None
            await self._set_live(False, "Lost contact with systemd; reconnecting…")
            self.counts["reconnects"] += 1
            await asyncio.sleep(RECONNECT_DELAYS[min(self._attempt, len(RECONNECT_DELAYS) - 1)])
            self._attempt += 1

    async def _follow(self) -> None:
        self._queue = asyncio.Queue()
        self._owner_lost_at = None
        self._muted = False
        manager = await SystemdManager.connect(self.scope)
        self.manager = manager
        manager.bus.add_message_handler(self._on_message)
        for rule in (
            f"type='signal',sender='{SERVICE}',interface='org.freedesktop.DBus.Properties',"
            f"member='PropertiesChanged',arg0='{UNIT}'",
            f"type='signal',sender='{SERVICE}',path='{MANAGER_PATH}',interface='{MANAGER}'",
            "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
            f"member='NameOwnerChanged',arg0='{SERVICE}'",
        ):
            await manager.add_match(rule)
        await self._subscribe()
        await self._relist()
        await self._set_live(True, "")
        self._attempt = 0
        bus_gone = asyncio.ensure_future(manager.bus.wait_for_disconnect())
        bus_gone.add_done_callback(lambda _f: self._queue.put_nowait(_DISCONNECTED))
        try:
            while True:
                message = await self._next_message()
                burst_ends = asyncio.get_running_loop().time() + BURST_SECONDS
                while True:
                    if message is _DISCONNECTED:
                        raise ConnectionError("bus connection closed")
                    await self._handle(message)
                    # A storm that never lets the queue empty (every container start is
                    # mounts coming and going) must not hold the changes back for ever.
                    if self._queue.empty() or asyncio.get_running_loop().time() > burst_ends:
                        break
                    message = self._queue.get_nowait()
                await self._flush()  # once the burst is read: coalesced, in order
        finally:
            bus_gone.cancel()

    async def _next_message(self):
        if self._owner_lost_at is None:
            return await self._queue.get()
        left = self._owner_lost_at + OWNER_WAIT - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(self._queue.get(), max(left, 0.0))
        except asyncio.TimeoutError:
            raise ConnectionError("systemd left the bus and did not come back on it") from None

    async def _subscribe(self) -> None:
        self.counts["subscribes"] += 1
        await self.manager.subscribe()

    def _on_message(self, message):
        if message.message_type.name == "SIGNAL":
            self._queue.put_nowait(message)
        return None

    # -- signals --------------------------------------------------------------
    async def _handle(self, message) -> None:
        self.counts["signals"] += 1
        member = message.member
        if member == "NameOwnerChanged":
            _name, _old, new_owner = message.body
            # A daemon-reexec hands the name straight from the old manager to the new
            # one: either way the subscription and the listing are stale.
            self._muted = True
            await self._set_live(False, "systemd is re-executing; listing units again…")
            if not new_owner:
                self._owner_lost_at = asyncio.get_running_loop().time()
                return
            self._owner_lost_at = None
            await self._subscribe()
            self._muted = False
            await self._relist()
            await self._set_live(True, "")
            return
        if member == "Reloading":
            (active,) = message.body
            self._muted = active
            if not active:
                await self._relist()
            return
        if self._muted:
            return
        if member == "PropertiesChanged":
            self._unit_properties(unit_path_name(message.path), message.body[1])
        elif member == "UnitNew":
            await self._unit_new(message.body[0], message.body[1])
        elif member == "UnitRemoved":
            self._unit_removed(message.body[0])
        elif member == "UnitFilesChanged":
            await self._refresh_files()

    def _unit_properties(self, name: str, changed: dict) -> None:
        row = self.rows.get(name)
        if row is None:
            return  # UnitNew comes first and brings it in
        values = {k: v.value for k, v in changed.items()}
        updated = dataclasses.replace(
            row,
            active_state=values.get("ActiveState", row.active_state),
            sub_state=values.get("SubState", row.sub_state),
            load_state=values.get("LoadState", row.load_state),
            description=values.get("Description", row.description),
        )
        job = values.get("Job")
        if job is not None and job[0] == 0:
            updated.job_type = ""
        self._put(updated)

    async def _unit_new(self, name: str, path: str) -> None:
        if name in self.rows and self.rows[name].load_state != "not-loaded":
            return  # a row known only from its file is loaded now: its properties are news
        known = self._gone.pop(name, None)
        if known is not None:
            self._put(known)
            return
        self.counts["get_all"] += 1
        try:
            props = await self.manager.get_all(path, UNIT)
        except SystemdError:
            return  # unloaded again already (a mount of a short container run): UnitRemoved follows
        self._put(UnitRow(name=name, description=props.get("Description", ""),
                          load_state=props.get("LoadState", ""), active_state=props.get("ActiveState", ""),
                          sub_state=props.get("SubState", ""), object_path=path,
                          file_state=props.get("UnitFileState", ""),
                          file_path=props.get("FragmentPath", "")))

    def _unit_removed(self, name: str) -> None:
        row = self.rows.get(name)
        if row is None:
            return
        if row.file_state:
            # Unloaded, not gone: the file stays and so does the row, as ListUnitFiles
            # alone shows it (what a listing now would say).
            self._put(UnitRow(name=name, load_state="not-loaded", file_path=row.file_path,
                              file_state=row.file_state))
        else:
            self._gone[name] = row
            self._forget_removed(name)

    def _put(self, row: UnitRow) -> None:
        old = self.rows.get(row.name)
        if row.file_path and (old is None or old.file_path != row.file_path):
            row.container = _link_of(row.file_path)
        elif old is not None:
            row.container = old.container
        self.rows[row.name] = row
        if old is None or old.state_key() != row.state_key():
            self.version += 1
            self.versions[row.name] = self.version
            self._changed[row.name] = True

    # -- listings ---------------------------------------------------------------
    async def _relist(self) -> None:
        self.counts["lists"] += 1
        listed = await self.manager.list_all()
        for name in list(self.rows):
            if name not in listed:
                self._unit_removed_for_good(name)
        for row in listed.values():
            self._put(row)
        await self._flush()
        self.ready.set()

    async def _refresh_files(self) -> None:
        files = await self.manager.list_unit_files()
        for name, row in list(self.rows.items()):
            path, state = files.get(name, ("", ""))
            if (path, state) != (row.file_path, row.file_state):
                self._put(dataclasses.replace(row, file_path=path or row.file_path, file_state=state))
        for name, (path, state) in files.items():
            if name not in self.rows and not name.endswith("@." + name.rpartition(".")[2]):
                self._put(UnitRow(name=name, load_state="not-loaded", file_path=path, file_state=state))

    def _unit_removed_for_good(self, name: str) -> None:
        self._gone.pop(name, None)
        self._forget_removed(name)

    def _forget_removed(self, name: str) -> None:
        del self.rows[name]
        self.version += 1
        self.versions[name] = self.version
        self._changed[name] = False
        # Transient units (scopes of every container run, ...) come and go for ever:
        # keep the newest few thousand of the gone ones.  A page older than that
        # may keep a row of such a unit until it is reloaded.
        if len(self._gone) > GONE_KEPT:
            del self._gone[next(iter(self._gone))]
        if len(self.versions) > len(self.rows) + GONE_KEPT:
            removed = sorted((v, n) for n, v in self.versions.items() if n not in self.rows)
            for _version, old in removed[:len(removed) // 2]:
                del self.versions[old]

    # -- fan-out ----------------------------------------------------------------
    async def _flush(self) -> None:
        if not self._changed:
            return
        changed, self._changed = self._changed, {}
        rows = {name: (row_dict(self.rows[name]) if present else None) for name, present in changed.items()}
        by_kind: dict[str, dict] = {}
        for name, row in rows.items():
            by_kind.setdefault(name.rpartition(".")[2], {})[name] = row
        change = change_id()
        for kind, kind_rows in by_kind.items():
            await self.layer.group_send(kind_group(self.scope.name, kind), {
                "type": "rows.changed", "rows": kind_rows, "position": self.version, "change": change})
        for name, row in rows.items():
            await self.layer.group_send(unit_group(self.scope.name, name), {
                "type": "rows.changed", "rows": {name: row}, "position": self.version, "change": change})

    async def _set_live(self, live: bool, message: str) -> None:
        if (live, message) == (self.live, self.status_message):
            return
        self.live, self.status_message = live, message
        await self.layer.group_send(status_group(self.scope.name),
                                    {"type": "units.status", "live": live, "message": message})

    # -- readers ------------------------------------------------------------------
    def snapshot(self) -> list[UnitRow]:
        return sorted(self.rows.values(), key=lambda row: row.name)

    def changed_since(self, version: int) -> dict[str, dict | None]:
        """What changed after a page was rendered at `version` (None: the unit went away)."""
        return {name: (row_dict(self.rows[name]) if name in self.rows else None)
                for name, v in self.versions.items() if v > version}


def _link_of(file_path: str):
    # The list knows only the file's path, so take the drop-ins beside it (NAME.d/*.conf);
    # a unit's page reads DropInPaths, which also has those of other folders.
    dropins = sorted(str(p) for p in Path(file_path + ".d").glob("*.conf"))
    return container_link(read_unit_file(file_path, dropins).combined())


_watches: PerLoop[UnitWatch] = PerLoop()


async def watch_for(scope: Scope, *, wait: bool = True) -> UnitWatch:
    """The watcher of this scope in this process (started on first use).  With
    `wait`, returns once the first listing is in (or READY_TIMEOUT passed)."""
    watches = _watches.here()
    watch = watches.get(scope.name)
    if watch is None:
        watch = watches[scope.name] = UnitWatch(scope)
        watch.start()
    if wait and not watch.ready.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(watch.ready.wait(), READY_TIMEOUT)
    return watch
