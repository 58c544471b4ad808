"""Live rows of the containers, pods and images pages, a container's state on its
page, and the progress of a pull.

The lists follow dashboard.live.lists' contract (dashboard/consumers/live_list.py):
the page's socket catches up from the watcher's position the page was rendered at,
and each change of dashboard.live.podman_watch becomes out-of-band swaps drawn by the
page's own rows template."""
from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from dashboard.consumers.base import CLOSE_NOT_FOUND, PodhouseConsumer, Refuse
from dashboard.consumers.live_list import LiveListConsumer
from dashboard.consumers.progress import JobProgressConsumer
from dashboard.host import scopes
from dashboard.host.podman_clients import client_for
from dashboard.live.image_pulls import image_pulls
from dashboard.live.lists import LISTS
from dashboard.live.podman_rows import ROWS, container_filters, container_matches, container_row
from dashboard.live.podman_watch import ensure_watching, group_name
from dashboard.live.row_urls import list_urls
from dashboard.permissions import may_act_in
from engine.podman import PodmanError


class PodmanListConsumer(LiveListConsumer):
    """A containers, pods or images page (the route names the area)."""

    async def setup(self):
        self.scope_name, self.area = self.kwargs["scope"], self.kwargs["area"]
        if self.scope_name not in scopes.available_scopes():
            raise Refuse(CLOSE_NOT_FOUND)
        self.live_list = LISTS[self.area]
        self.filters = container_filters(self.query) if self.area == "containers" else {}
        self.watch = ensure_watching(self.scope_name)
        await super().setup()

    def joins(self):
        return [group_name(self.scope_name, self.area)]

    def missed(self):
        return self.watch.since(self.area, self.query.get("at", ""))

    def visible(self, row):
        return container_matches(row, self.filters) if self.area == "containers" else True

    def row_context(self):
        return {**super().row_context(), "urls": list_urls(self.scope_name)}

    async def refresh(self) -> bool:
        drawn = await super().refresh()
        if drawn:  # Podman answers (again): the banner of podman_lost goes
            await self.send(text_data=render_to_string("units/_banner.html", {"live": True, "message": ""}))
        return drawn

    async def podman_lost(self, message):
        """Podman stopped answering (dashboard.live.podman_watch): say so, and show no
        row as live meanwhile; rows.refresh draws them again when it answers."""
        context = {"area": self.area, "body_id": self.live_list.body_id}
        await self.send(text_data=render_to_string("_podman_away.html", {**context, "part": "banner"}))
        await self.send(text_data=render_to_string("_podman_away.html", {**context, "part": "rows"}))
        self.shown = set()

    async def read_all(self):
        client = client_for(self.scope_name)
        read = {"containers": lambda: client.list_containers(all=True), "pods": client.list_pods,
                "images": client.list_images}[self.area]
        try:
            return [ROWS[self.area](item) for item in await read()]
        except PodmanError:
            return None  # the page already says podman is away; a refresh comes with its return


class ContainerSummaryConsumer(PodhouseConsumer):
    """A container's page: its state and the actions it allows follow the container."""

    async def setup(self):
        self.scope_name, self.container_id = self.kwargs["scope"], self.query.get("id", "")
        if self.scope_name not in scopes.available_scopes() or not self.container_id:
            raise Refuse(CLOSE_NOT_FOUND)
        self.can_operate = await database_sync_to_async(may_act_in)(self.scope["user"], self.scope_name)
        ensure_watching(self.scope_name)

    def joins(self):
        return [group_name(self.scope_name, "containers")]

    async def ready(self):
        await self.rows_refresh({})  # whatever changed between the page's render and now

    async def _send(self, row: dict | None):
        await self.send(text_data=render_to_string("containers/_summary_state.html", {
            "c": row, "scope": self.scope_name, "user_can_operate": self.can_operate, "live": True}))

    async def rows_changed(self, message):
        if self.container_id in message["rows"]:
            await self._send(message["rows"][self.container_id])

    async def rows_refresh(self, message):
        try:
            row = container_row(await client_for(self.scope_name).container(self.container_id))
        except PodmanError:
            row = None
        await self._send(row)
        await self.send(text_data=render_to_string("units/_banner.html", {"live": True, "message": ""}))

    async def podman_lost(self, message):
        """Podman stopped answering: the page says its state is not live."""
        await self.send(text_data=render_to_string("_podman_away.html", {"area": "containers", "part": "banner"}))


class PullProgressConsumer(JobProgressConsumer):
    """The progress of one image pull: first what happened so far, then each step."""

    jobs = image_pulls
    template = "images/_pull_step.html"
