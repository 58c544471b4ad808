"""Live rows of the containers, pods and images pages, and the progress of a pull.

Each page opens one websocket (htmx ws extension).  The consumer joins its scope's
group, keeps the ids of the rows its page shows (its filters applied), and turns each
change from dashboard.live.podman_watch into out-of-band swaps: replace a row, append a new
one, delete a gone one; on a detail page (?id=...), replace its state summary."""
from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from dashboard.host import scopes
from dashboard.consumers.base import LoginRequiredConsumer
from dashboard.consumers.progress import JobProgressConsumer
from dashboard.permissions import can_operate
from dashboard.host.podman_clients import client_for
from dashboard.live.podman_watch import ensure_watching, group_name, image_pulls
from engine.podman import Container, PodmanError

BODY_IDS = {"containers": "containers-body", "pods": "pods-body", "images": "images-body"}
ROW_PREFIX = {"containers": "container-row-", "pods": "pod-row-", "images": "image-row-"}


class PodmanLiveConsumer(LoginRequiredConsumer):
    async def on_connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.scope_name, self.area = kwargs["scope"], kwargs["area"]
        if self.scope_name not in scopes.available_scopes() or self.area not in BODY_IDS:
            await self.close(code=4404)
            return
        query = {k: v[-1] for k, v in parse_qs(self.scope.get("query_string", b"").decode()).items()}
        self.detail_id = query.pop("id", "")
        from dashboard.views.containers import container_filters

        self.filters = container_filters(query)
        self.audience = "operator" if await database_sync_to_async(can_operate)(self.scope["user"]) else "viewer"
        self.group = group_name(self.scope_name, self.area)
        watch = ensure_watching(self.scope_name)
        await self.channel_layer.group_add(self.group, self.channel_name)
        # The ids of the rows the page shows, when known (after a full read); None after
        # a catch-up, when only what changed since the page's render was sent.
        self.known: set[str] | None = set()
        # Something may have changed between the page's render and this connection.
        # A list page rendered while the watcher was already following podman gets the
        # rows published since (no list call); any other page reads podman once.
        missed = None if self.detail_id else watch.since(self.area, query.get("at", ""))
        if missed is None:
            await self.podman_refresh({})
        else:
            self.known = None
            await self.podman_changed({"items": missed})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    def _matches(self, facts: dict) -> bool:
        if self.area != "containers":
            return True
        from dashboard.views.containers import container_matches

        return container_matches(Container.from_list({
            "Id": facts["id"], "Names": [facts["name"]], "Image": facts["image"], "State": facts["state"],
            "Pod": facts["pod_id"], "PodName": facts["pod_name"], "IsInfra": facts["is_infra"],
            "Labels": {"PODMAN_SYSTEMD_UNIT": facts["unit"]} if facts["unit"] else {}}), self.filters)

    async def _read_known(self) -> list:
        """The ids of the rows the page shows now (one list call per page opened)."""
        client = client_for(self.scope_name)
        if self.area == "containers":
            from dashboard.views.containers import container_matches

            items = [c for c in await client.list_containers(all=True) if container_matches(c, self.filters)]
        elif self.area == "pods":
            items = await client.list_pods()
        else:
            items = await client.list_images()
        self.known = {item.id for item in items}
        return items

    async def podman_changed(self, message):
        parts = []
        for item in message["items"]:
            ident = item["id"]
            if self.detail_id:
                if ident == self.detail_id and item.get("summary"):
                    parts.append(item["summary"][self.audience])
                continue
            row_id = f"{ROW_PREFIX[self.area]}{ident}"
            shown = item["present"] and self._matches(item["facts"])
            if shown:
                # Replaces the row of that id; static/js/podhouse.js appends it when the
                # page does not have it yet.
                parts.append(item["html"][self.audience])
                if self.known is not None:
                    self.known.add(ident)
            elif self.known is None or ident in self.known:
                if self.known is not None:
                    self.known.discard(ident)
                parts.append(f'<tr id="{escape(row_id)}" hx-swap-oob="delete" data-gone></tr>')
        if parts:
            await self.send(text_data="".join(parts))

    async def podman_refresh(self, message):
        """On connect, and after podman came back: re-read and replace the whole table
        body (or the detail page's state)."""
        if self.detail_id:
            await self._refresh_detail()
            await self.send(text_data=render_to_string("units/_banner.html", {"live": True, "message": ""}))
            return
        try:
            items = await self._read_known()
        except PodmanError:
            return  # the page already says podman is away; a refresh comes with its return
        if self.area == "containers":
            from dashboard.views.container_rows import render_container_rows
            from dashboard.views.containers import sort_containers

            rows = render_container_rows(sort_containers(items), self.scope_name, self.audience == "operator")
        elif self.area == "pods":
            from dashboard.views.pods import render_pod_rows

            rows = render_pod_rows(items, self.scope_name, self.audience == "operator")
        else:
            from dashboard.views.images import render_image_rows

            rows = render_image_rows(items, self.scope_name, self.audience == "operator")
        await self.send(text_data=f'<tbody id="{BODY_IDS[self.area]}" hx-swap-oob="innerHTML">{rows}</tbody>')
        await self.send(text_data=render_to_string("units/_banner.html", {"live": True, "message": ""}))

    async def podman_lost(self, message):
        """Podman stopped answering: say so, and show no row as live meanwhile."""
        context = {"area": self.area, "body_id": BODY_IDS[self.area]}
        await self.send(text_data=render_to_string("_podman_away.html", {**context, "part": "banner"}))
        if not self.detail_id:
            await self.send(text_data=render_to_string("_podman_away.html", {**context, "part": "rows"}))


    async def _refresh_detail(self):
        if self.area != "containers":
            return
        try:
            container = await client_for(self.scope_name).container(self.detail_id)
        except PodmanError:
            container = None
        await self.send(text_data=render_to_string("containers/_summary_state.html", {
            "c": container, "scope": self.scope_name, "user_can_operate": self.audience == "operator", "live": True}))


class PullProgressConsumer(JobProgressConsumer):
    """The progress of one image pull: first what happened so far, then each step."""

    jobs = image_pulls
    template = "images/_pull_step.html"
