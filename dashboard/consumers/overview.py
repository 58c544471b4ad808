"""The overview page's websocket: it listens to the Podman watcher's groups and the
unit watcher's groups of its scope and, a moment after a change (a burst of changes
is one re-render), sends the page's body again."""
from __future__ import annotations

import asyncio

from django.template.loader import render_to_string

from dashboard.consumers.base import CLOSE_NOT_FOUND, PodhouseConsumer, Refuse
from dashboard.host import scopes
from dashboard.live import unit_watch
from dashboard.live.podman_watch import ensure_watching, group_name
from dashboard.views.overview import shared_overview_context

# A burst of events (a pod starting, a daemon-reload) becomes one re-render.
SETTLE_SECONDS = 0.3
# Devices are not on the overview (see dashboard.overview.units_bar).
UNIT_TYPES = ("service", "socket", "target", "timer", "path", "mount", "automount", "swap", "slice", "scope")


class OverviewConsumer(PodhouseConsumer):
    async def setup(self):
        self.scope_name = self.kwargs["scope"]
        try:
            unit_scope = scopes.get_scope(self.scope_name)
        except scopes.UnknownScope:
            raise Refuse(CLOSE_NOT_FOUND) from None
        ensure_watching(self.scope_name)
        await unit_watch.watch_for(unit_scope)
        self.pending: asyncio.Task | None = None

    def joins(self):
        return [*(group_name(self.scope_name, area) for area in ("containers", "pods", "images")),
                *(unit_watch.kind_group(self.scope_name, kind) for kind in UNIT_TYPES),
                unit_watch.status_group(self.scope_name)]

    async def ready(self):
        self._soon()  # whatever changed between the page's render and this connection

    def _soon(self) -> None:
        if self.pending is None or self.pending.done():
            self.pending = self.spawn(self._send_body(asyncio.get_running_loop().time()), "overview-body")

    async def _send_body(self, woken_at: float) -> None:
        await asyncio.sleep(SETTLE_SECONDS)
        context = await shared_overview_context(self.scope_name, not_before=woken_at)
        await self.send(text_data=render_to_string("overview/_body.html", {**context, "swap": True}))

    # Every message of the joined groups means "something changed".
    async def rows_changed(self, message):
        self._soon()

    async def rows_refresh(self, message):
        self._soon()

    async def podman_lost(self, message):
        self._soon()  # the body then says Podman does not answer

    async def units_status(self, message):
        self._soon()
