"""Live units over websockets.  Pages join the watcher's groups (dashboard.live.unit_watch):
the list joins the units of its type, a unit's page joins that unit; both join the
watcher's status for the banner.  Each message is htmx out-of-band HTML."""
from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from dashboard.host import scopes
from dashboard.live import unit_watch
from dashboard.consumers.base import LoginRequiredConsumer
from dashboard.permissions import can_operate
from dashboard.host.systemd import SystemdError
from dashboard.views.units import KINDS, detail_context, dom_id, render_row

CLOSE_BAD_REQUEST = 4400


class UnitWatchConsumer(LoginRequiredConsumer):
    """What both pages share: the scope, the watcher, the status banner, `since`."""

    async def on_connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.query = {k: v[-1] for k, v in query.items()}
        try:
            self.unit_scope = scopes.get_scope(self.scope["url_route"]["kwargs"]["scope"])
            self.since = int(self.query.get("since", "0"))
        except (scopes.UnknownScope, ValueError):
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.can_operate = await database_sync_to_async(can_operate)(self.scope["user"])
        self.watch = await unit_watch.watch_for(self.unit_scope)
        self.joined = [unit_watch.status_group(self.unit_scope.name), *self.watch_groups()]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        if not self.watch.live:
            await self.units_status({"live": False, "message": self.watch.status_message})
        await self.catch_up(self.watch.changed_since(self.since))

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def units_status(self, event):
        await self.send(text_data=render_to_string("units/_banner.html", event))

    async def units_rows(self, event):
        await self.catch_up(event["rows"])

    def watch_groups(self) -> list[str]:
        raise NotImplementedError

    async def catch_up(self, rows: dict):
        raise NotImplementedError


class UnitsConsumer(UnitWatchConsumer):
    """The list page of one kind (service, socket, timer, target)."""

    def watch_groups(self):
        self.kind = self.query.get("kind", "service")
        if self.kind not in KINDS:
            self.kind = "service"
        mine = {name for name in self.watch.versions if name.rpartition(".")[2] == self.kind}
        # On the page for sure: present and unchanged since it was rendered.  Changed
        # since: maybe on the page, maybe not (the first update deletes, then appends).
        self.shown = {n for n in mine if n in self.watch.rows and self.watch.versions[n] <= self.since}
        self.unsure = {n for n in mine if self.watch.versions[n] > self.since}
        return [unit_watch.kind_group(self.unit_scope.name, self.kind)]

    async def catch_up(self, rows):
        deletes, replaces, appends = [], [], []
        for name, row in rows.items():
            if name.rpartition(".")[2] != self.kind:
                continue
            if name in self.unsure:
                self.unsure.discard(name)
                deletes.append(f'<tr id="{dom_id(name)}" hx-swap-oob="delete"></tr>')
            if row is None:
                if name in self.shown:
                    self.shown.discard(name)
                    deletes.append(f'<tr id="{dom_id(name)}" hx-swap-oob="delete"></tr>')
            elif name in self.shown:
                replaces.append(render_row(self.unit_scope.name, row, self.can_operate, swap="true"))
            else:
                self.shown.add(name)
                appends.append(render_row(self.unit_scope.name, row, self.can_operate))
        # One message per kind of swap: the HTML parser (a <template> in htmx) drops a
        # <tbody> that follows a <tr>, so rows to append travel in their own <tbody>.
        for part in (deletes, replaces):
            if part:
                await self.send(text_data="".join(part))
        if appends:
            await self.send(text_data='<tbody hx-swap-oob="beforeend:#units-body">' + "".join(appends) + "</tbody>")


class UnitConsumer(UnitWatchConsumer):
    """A unit's own page: its state block follows the unit."""

    def watch_groups(self):
        self.unit_name = self.query.get("name", "")
        return [unit_watch.unit_group(self.unit_scope.name, self.unit_name)]

    async def catch_up(self, rows):
        if self.unit_name not in rows or self.watch.manager is None:
            return
        try:
            props = await self.watch.manager.unit_properties(self.unit_name)
        except SystemdError:
            return  # gone; the list page shows that
        context = {**detail_context(self.unit_scope.name, props, viewer=not self.can_operate), "swap": True,
                   "user_can_operate": self.can_operate}
        await self.send(text_data=render_to_string("units/_state.html", context))
