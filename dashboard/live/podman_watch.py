"""The one Podman event watcher of this server process, per scope.

It subscribes once to Podman's event stream, gathers what changed (a burst of events
costs one list call per kind), renders each changed row once per audience (operator,
viewer) and fans it out with group_send.  Every open page's consumer
(dashboard/consumers/podman_live.py) applies its own filters and sends out-of-band
swaps.  Started lazily by the first websocket; no polling anywhere.

Also the image pulls in progress: a pull runs as a job of this process
(dashboard.live.progress), so the pull outlives the request."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

from dashboard import audit
from dashboard.host.podman_clients import client_for
from dashboard.live.progress import ProgressJob, ProgressJobs
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


def container_facts(c) -> dict:
    """What a consumer needs to apply its filters, without the Container object."""
    return {"id": c.id, "name": c.name, "image": c.image, "state": c.state, "pod_id": c.pod_id,
            "pod_name": c.pod_name, "unit": c.systemd_unit, "is_infra": c.is_infra}


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
        self.published: dict[str, OrderedDict[str, tuple[int, dict]]] = {
            area: OrderedDict() for area in AREA_OF_KIND.values()}

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

    def position(self) -> str:
        """Where a page rendered now stands ("" when it cannot catch up later: the event
        stream is not open yet).  Taken before the page's list call."""
        return f"{self.epoch}.{self.version}" if self.covered and self.alive else ""

    def since(self, area: str, position: str) -> list[dict] | None:
        """The rows of an area published after `position`, or None when that cannot be
        told (another epoch, or forgotten): then the page must be read again."""
        epoch, _, version = position.partition(".")
        if not self.covered or not self.alive or epoch != str(self.epoch) or not version.isdigit():
            return None
        if int(version) < self.forgotten[area]:
            return None
        return [item for v, item in self.published[area].values() if v > int(version)]

    def _record(self, area: str, items: list[dict]) -> None:
        self.version += 1
        kept = self.published[area]
        for item in items:
            kept.pop(item["id"], None)
            kept[item["id"]] = (self.version, item)
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
                await self._refresh_all()
                continue
            if event.type == LOST:
                self.epoch += 1  # a page rendered now cannot catch up on this stream
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
            await layer.group_send(group_name(self.scope, area), {"type": "podman.refresh"})

    async def _tell_lost(self) -> None:
        """Podman is away: every page says so and stops showing its rows as live."""
        layer = get_channel_layer()
        for area in ("containers", "pods", "images"):
            await layer.group_send(group_name(self.scope, area), {"type": "podman.lost"})

    async def _publish(self) -> None:
        layer = get_channel_layer()
        while True:
            await self.wake.wait()
            self.wake.clear()
            batch = {kind: self.pending[kind] for kind in KINDS}
            self.pending = {kind: {} for kind in KINDS}
            try:
                readers = {"container": self._containers, "pod": self._pods, "image": self._images}
                for kind, read in readers.items():
                    if batch[kind]:
                        items = await read(batch[kind])
                        self._record(AREA_OF_KIND[kind], items)
                        await layer.group_send(group_name(self.scope, AREA_OF_KIND[kind]),
                                               {"type": "podman.changed", "items": items})
            except PodmanError as error:
                # podman went away between the event and the list: the event stream
                # reconnects and then asks every page for a refresh
                log.warning("podman watch %s: %s", self.scope, error)
            except Exception:  # a bad row must not stop the live updates of every page
                log.exception("podman watch %s: publishing failed", self.scope)

    async def _containers(self, changed: dict[str, set[str]]) -> list[dict]:
        from dashboard.views.container_rows import render_container_row

        by_id = await self._read_containers(list(changed))
        items = []
        for ident, actions in changed.items():
            c = by_id.get(ident)
            item = {"id": ident, "present": c is not None, "created": "create" in actions}
            if c is not None:
                item["facts"] = container_facts(c)
                item["html"] = {audience: render_container_row(c, self.scope, audience == "operator")
                                for audience in ("operator", "viewer")}
                item["summary"] = {audience: render_to_string("containers/_summary_state.html", {
                    "c": c, "scope": self.scope, "user_can_operate": audience == "operator", "live": True})
                    for audience in ("operator", "viewer")}
            items.append(item)
        return items

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

    async def _pods(self, changed: dict[str, set[str]]) -> list[dict]:
        from dashboard.views.pods import render_pod_row

        listed = await client_for(self.scope).list_pods(filters={"id": list(changed)})
        by_id = {p.id: p for p in listed}
        items = []
        for ident, actions in changed.items():
            p = by_id.get(ident)
            item = {"id": ident, "present": p is not None, "created": "create" in actions}
            if p is not None:
                item["facts"] = {"id": p.id, "name": p.name, "state": p.state}
                item["html"] = {audience: render_pod_row(p, self.scope, audience == "operator")
                                for audience in ("operator", "viewer")}
            items.append(item)
        return items

    async def _images(self, changed: dict[str, set[str]]) -> list[dict]:
        from dashboard.views.images import render_image_row

        listed = await client_for(self.scope).list_images()
        by_id = {i.id: i for i in listed}
        items = []
        for ident, actions in changed.items():
            if ident.startswith("name:"):
                name = ident[len("name:"):]
                full = next((i.id for i in listed if name in i.names), "")
                if not full:
                    continue  # a name that went away: its image's own event tells the rest
            else:
                full = next((i for i in by_id if i.startswith(ident)), ident)
            i = by_id.get(full)
            item = {"id": full, "present": i is not None, "created": bool(actions & {"pull", "import", "tag", "loadfromarchive", "build", "commit"})}
            if i is not None:
                item["facts"] = {"id": i.id, "name": i.name}
                item["html"] = {audience: render_image_row(i, self.scope, audience == "operator")
                                for audience in ("operator", "viewer")}
            items.append(item)
        return items


_watches: dict[tuple[int, str], ScopeWatch] = {}


def ensure_watching(scope: str) -> ScopeWatch:
    """Start (or restart, if it died) the watcher of a scope in the running loop."""
    key = (id(asyncio.get_running_loop()), scope)
    watch = _watches.get(key)
    if watch is None or not watch.alive:
        watch = _watches[key] = ScopeWatch(scope)
        watch.start()
    return watch


def live_socket_url(scope: str, area: str, query: str = "") -> str:
    """The websocket of a live list page, with where the page stands in the watcher's
    changes.  Call it before the page reads podman: what is published after that
    position is what the page may have missed."""
    at = ensure_watching(scope).position()
    params = "&".join(p for p in (query, f"at={at}" if at else "") if p)
    return f"/ws/podman/{scope}/{area}/" + (f"?{params}" if params else "")


# -- image pulls ------------------------------------------------------------------------

PULL_STEPS = (("getting image source", 10), ("copying blob", 20), ("copying config", 80),
              ("writing manifest", 90), ("storing signatures", 95))


def pull_percent(previous: int, message: str) -> int:
    """A progress estimate from podman's pull messages (it reports steps, not bytes):
    blobs advance the bar towards 75%, the later steps fix it."""
    lower = message.lower()
    for needle, percent in PULL_STEPS:
        if lower.startswith(needle):
            if needle == "copying blob":
                return min(75, max(previous, 20) + 10)
            return max(previous, percent)
    return previous


class ImagePulls(ProgressJobs):
    """Image pulls in progress (dashboard.live.progress): podman's lines, with a percent."""

    def __init__(self):
        super().__init__("pull")

    def start_pull(self, job: str, scope: str, reference: str, user, tls_verify: bool = True) -> ProgressJob:
        pull = ProgressJob(job, scope, info={"reference": reference, "tls_verify": tls_verify})
        return self.start(pull, lambda pull: self._pull(pull, user))

    async def _pull(self, pull: ProgressJob, user) -> None:
        reference = pull.info["reference"]
        percent = 0
        try:
            async for step in client_for(pull.scope).pull_image(reference, tls_verify=pull.info["tls_verify"]):
                percent = 100 if step.done else pull_percent(percent, step.message)
                await self.emit(pull, message=step.message, percent=percent, image_id=step.image_id)
            result, detail = "ok", ""
        except PodmanError as error:
            result, detail = "failed", str(error)
            await self.emit(pull, message=str(error), percent=percent, error=True)
        await self.emit(pull, message="done" if result == "ok" else "failed", percent=100 if result == "ok" else percent,
                        finished=True, error=result != "ok")
        await sync_to_async(audit.record)(user, "image-pull", scope=pull.scope, target=reference,
                                          result=result, detail=detail)


image_pulls = ImagePulls()
