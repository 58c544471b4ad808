"""The one Podman event watcher of this server process, per scope.

It subscribes once to Podman's event stream, gathers what changed (a burst of events
costs one list call per kind), turns each changed container, pod or image into its
row's data (dashboard.live.podman_rows) and publishes the rows on the list's group
with a position; every open page's consumer (dashboard/consumers/podman_live.py)
applies its filters and draws the rows with the page's own row template
(dashboard.live.lists).  Started lazily by the first page; no polling anywhere.
It imports no views: it knows data, the consumers know HTML.

It also keeps every container's row, current by those same events (one list call
when the stream opens, then the changed rows): the containers page draws from it
instead of asking podman for the whole list, which podman 4.3 answers in about 1 ms
a container (P8 of issue #12).  A page drawn from it stands at the same position as
the rows it holds, so its socket catches up exactly as after a list call."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

from channels.layers import get_channel_layer

from dashboard.host.podman_clients import client_for
from dashboard.live.lists import change_id
from dashboard.live.per_loop import PerLoop
from dashboard.live.podman_rows import container_row, image_row, pod_row
from engine.podman import Container, NotFound, PodmanError
from engine.podman.events import LOST, RECONNECTED

log = logging.getLogger(__name__)

KINDS = ("container", "pod", "image")
AREA_OF_KIND = {"container": "containers", "pod": "pods", "image": "images"}
# Rows published lately, kept so that a page opened meanwhile can catch up on them.
KEPT_ROWS = 4096
# Up to this many changed containers in one batch are inspected one by one; more, listed.
INSPECT_AT_MOST = 20


def group_name(scope: str, area: str) -> str:
    return f"podman-{scope}-{area}"


class ScopeWatch:
    def __init__(self, scope: str):
        self.scope = scope
        self.pending: dict[str, dict[str, set[str]]] = {kind: {} for kind in KINDS}
        self.wake = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        # pod id -> its inspect record, for its members' rows (name and ports never change)
        self.pods_seen: dict[str, dict] = {}
        # Catching up instead of re-listing: every published row gets a version; a page
        # remembers the version (and epoch) it was rendered at and, once its socket is
        # open, gets only the rows published since.  The epoch changes when the event
        # stream is reopened, the versions forgotten when more than KEPT_ROWS pile up.
        self.epoch = 0
        self.version = 0
        self.covered = False  # the event stream is open: everything from now on is seen
        self.forgotten: dict[str, int] = {area: 0 for area in AREA_OF_KIND.values()}
        self.published: dict[str, OrderedDict[str, tuple[int, dict | None]]] = {
            area: OrderedDict() for area in AREA_OF_KIND.values()}
        # id -> row of every container; None while it cannot be vouched for (not
        # listed yet, podman away, a read failed): pages then ask podman.
        self.containers: dict[str, dict] | None = None
        self.relist = True
        # Set while every change podman has told of is in the rows (nothing noted and
        # unread): a page drawn from them then shows what a list call would.
        self.settled = asyncio.Event()
        self.settled.set()

    @property
    def alive(self) -> bool:
        return bool(self.tasks) and not any(t.done() for t in self.tasks)

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._read(), name=f"podman-events-{self.scope}"),
                      asyncio.create_task(self._publish(), name=f"podman-publish-{self.scope}")]

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()

    def _note(self, kind: str, ident: str, action: str) -> None:
        if ident:
            self.pending[kind].setdefault(ident, set()).add(action)
            self.settled.clear()

    def position(self) -> str:
        """Where a page rendered now stands ("" when it cannot catch up later: the event
        stream is not open yet).  Taken before the page's list call."""
        return f"{self.epoch}.{self.version}" if self.covered and self.alive else ""

    def since(self, area: str, position: str) -> dict[str, dict | None] | None:
        """The rows of an area published after `position` (id -> row data, None for a
        row gone), or None when that cannot be told (another epoch, or forgotten):
        then the page must be read again."""
        epoch, _, version = position.partition(".")
        if not self.covered or not self.alive or epoch != str(self.epoch) or not version.isdigit():
            return None
        if int(version) < self.forgotten[area]:
            return None
        return {key: row for key, (v, row) in self.published[area].items() if v > int(version)}

    async def every_container(self, wait: float = 0.25) -> tuple[str, list[dict]] | None:
        """(position, every container's row) when the watcher holds them current, else
        None.  Changes podman has told of but not yet read are waited for (up to `wait`
        seconds; None after that), so a container made just before the page is on it.
        Nothing is awaited after: the rows are exactly those of the position."""
        if not self.settled.is_set():
            try:
                await asyncio.wait_for(self.settled.wait(), wait)
            except asyncio.TimeoutError:
                return None
        if self.containers is None or not self.covered or not self.alive:
            return None
        return self.position(), list(self.containers.values())

    def _record(self, area: str, rows: dict[str, dict | None]) -> None:
        self.version += 1
        kept = self.published[area]
        for key, row in rows.items():
            kept.pop(key, None)
            kept[key] = (self.version, row)
        while len(kept) > KEPT_ROWS:
            _, (version, _) = kept.popitem(last=False)
            self.forgotten[area] = max(self.forgotten[area], version)

    async def _read(self) -> None:
        # From a moment before the stream opens: podman replays what happened since, so
        # nothing falls between "covered" and the first event read.
        opened_at = time.time() - 1.0
        self.covered = True
        # A reconnect attempt a second at most while podman is away: a list comes
        # back within about a second of podman's return (R1 asks for 5 s).
        async for event in client_for(self.scope).events(since=opened_at, max_backoff=1.0):
            if event.type == RECONNECTED:
                self.epoch += 1
                self.relist = True
                self.wake.set()
                await self._refresh_all()
                continue
            if event.type == LOST:
                self.epoch += 1  # a page rendered now cannot catch up on this stream
                self.containers = None
                self.relist = True
                await self._tell_lost()
                continue
            if event.type == "container":
                self._note("container", event.id, event.action)
                if event.pod_id:
                    self._note("pod", event.pod_id, "member")
            elif event.type == "pod":
                self._note("pod", event.id, event.action)
                if event.action == "remove":
                    self.pods_seen.pop(event.id, None)
            elif event.type == "image":
                # podman 4.3 names a pulled image by its reference only, without its id
                self._note("image", event.id or f"name:{event.name}", event.action)
            else:
                continue
            self.wake.set()

    async def _refresh_all(self) -> None:
        """Events may have been missed while podman was away: every page re-reads."""
        layer = get_channel_layer()
        for area in ("containers", "pods", "images"):
            await layer.group_send(group_name(self.scope, area), {"type": "rows.refresh"})

    async def _tell_lost(self) -> None:
        """Podman is away: every page says so and stops showing its rows as live."""
        layer = get_channel_layer()
        for area in ("containers", "pods", "images"):
            await layer.group_send(group_name(self.scope, area), {"type": "podman.lost"})

    async def _list_every_container(self) -> None:
        """Read every container once; the events after it keep the rows current (the
        events noted while it runs are read after it, in this same task)."""
        try:
            listed = await client_for(self.scope).list_containers(all=True)
        except PodmanError as error:
            log.warning("podman watch %s: listing the containers: %s", self.scope, error)
            return  # tried again at the next wake (an event, or podman's return)
        self.containers = {c.id: container_row(c) for c in listed}
        self.relist = False

    async def _publish(self) -> None:
        layer = get_channel_layer()
        while True:
            if self.relist:
                await self._list_every_container()
            await self.wake.wait()
            self.wake.clear()
            batch = {kind: self.pending[kind] for kind in KINDS}
            self.pending = {kind: {} for kind in KINDS}
            try:
                readers = {"container": self._containers, "pod": self._pods, "image": self._images}
                for kind, read in readers.items():
                    if batch[kind]:
                        rows = await read(batch[kind])
                        if kind == "container" and self.containers is not None:
                            for key, row in rows.items():
                                if row is None:
                                    self.containers.pop(key, None)
                                else:
                                    self.containers[key] = row
                        if not rows:
                            continue
                        self._record(AREA_OF_KIND[kind], rows)
                        await layer.group_send(group_name(self.scope, AREA_OF_KIND[kind]),
                                               {"type": "rows.changed", "rows": rows, "position": self.position(),
                                                "change": change_id()})
            except PodmanError as error:
                # podman went away between the event and the list: the event stream
                # reconnects and then asks every page for a refresh
                log.warning("podman watch %s: %s", self.scope, error)
                self.containers, self.relist = None, True  # this batch's changes are not in it
            except Exception:  # a bad row must not stop the live updates of every page
                log.exception("podman watch %s: publishing failed", self.scope)
                self.containers, self.relist = None, True
            if not self.wake.is_set():
                self.settled.set()

    async def _containers(self, changed: dict[str, set[str]]) -> dict[str, dict | None]:
        by_id = await self._read_containers(list(changed))
        return {ident: (container_row(by_id[ident]) if ident in by_id else None) for ident in changed}

    async def _read_containers(self, ids: list[str]) -> dict[str, "Container"]:
        """The changed containers: inspected one by one for a few (podman 4.3 reads every
        container for a filtered list), one list call for a burst."""
        client = client_for(self.scope)
        if len(ids) > INSPECT_AT_MOST:
            return {c.id: c for c in await client.list_containers(all=True, filters={"id": ids})}

        async def read(ident):
            try:
                return await client.container(ident, self.pods_seen)
            except NotFound:
                return None

        found = await asyncio.gather(*(read(ident) for ident in ids))
        return {c.id: c for c in found if c is not None}

    async def _pods(self, changed: dict[str, set[str]]) -> dict[str, dict | None]:
        listed = await client_for(self.scope).list_pods(filters={"id": list(changed)})
        by_id = {p.id: p for p in listed}
        return {ident: (pod_row(by_id[ident]) if ident in by_id else None) for ident in changed}

    async def _images(self, changed: dict[str, set[str]]) -> dict[str, dict | None]:
        listed = await client_for(self.scope).list_images()
        by_id = {i.id: i for i in listed}
        rows = {}
        for ident in changed:
            if ident.startswith("name:"):
                name = ident[len("name:"):]
                full = next((i.id for i in listed if name in i.names), "")
                if not full:
                    continue  # a name that went away: its image's own event tells the rest
            else:
                full = next((i for i in by_id if i.startswith(ident)), ident)
            rows[full] = image_row(by_id[full]) if full in by_id else None
        return rows


_watches: PerLoop[ScopeWatch] = PerLoop()


def ensure_watching(scope: str) -> ScopeWatch:
    """Start (or restart, if it died) the watcher of a scope in the running loop."""
    watches = _watches.here()
    watch = watches.get(scope)
    if watch is None or not watch.alive:
        watch = watches[scope] = ScopeWatch(scope)
        watch.start()
    return watch
