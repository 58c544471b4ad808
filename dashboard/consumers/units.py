"""Live units over websockets.  Pages join the watcher's groups (dashboard.live.unit_watch):
the list joins the units of its type (the live-list contract of dashboard.live.lists),
a unit's page joins that unit; all join the watcher's status for the banner."""
from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from dashboard.consumers.base import PodhouseConsumer, Refuse
from dashboard.consumers.live_list import LiveListConsumer
from dashboard.host import scopes
from dashboard.host.systemd import SystemdError
from dashboard.live import unit_watch
from dashboard.live.lists import LISTS
from dashboard.permissions import may_act_in
from dashboard.views.units import KINDS, detail_context


class UnitWatchMixin:
    """What the unit pages share: the scope, the watcher, the status banner, `since`."""

    async def join_watch(self):
        try:
            self.unit_scope = scopes.get_scope(self.kwargs["scope"])
            self.since = int(self.query.get("since", self.query.get("at", "0")) or 0)
        except (scopes.UnknownScope, ValueError):
            raise Refuse() from None
        self.watch = await unit_watch.watch_for(self.unit_scope)

    def status_groups(self) -> list[str]:
        return [unit_watch.status_group(self.unit_scope.name)]

    async def send_status_if_down(self):
        if not self.watch.live:
            await self.units_status({"live": False, "message": self.watch.status_message})

    async def units_status(self, event):
        await self.send(text_data=render_to_string("units/_banner.html", event))


class UnitsConsumer(UnitWatchMixin, LiveListConsumer):
    """The list page of one kind (service, socket, timer, target)."""

    live_list = LISTS["units"]
    key_field = "name"

    async def setup(self):
        await self.join_watch()
        self.kind = self.query.get("kind", "service")
        if self.kind not in KINDS:
            self.kind = "service"
        await super().setup()

    def joins(self):
        return [*self.status_groups(), unit_watch.kind_group(self.unit_scope.name, self.kind)]

    async def ready(self):
        await self.send_status_if_down()
        await super().ready()

    def missed(self):
        return self.watch.changed_since(self.since)

    def visible(self, row):
        return row["name"].rpartition(".")[2] == self.kind

    async def read_all(self):
        return [unit_watch.row_dict(row) for row in self.watch.snapshot()]


class UnitStateConsumer(UnitWatchMixin, PodhouseConsumer):
    """A page that follows some units (its `watched_units()`): each change of one of
    them calls `changed(rows)`; the page's position is `since`."""

    async def setup(self):
        await self.join_watch()
        self.can_operate = await database_sync_to_async(may_act_in)(self.scope["user"], self.unit_scope)

    def watched_units(self) -> list[str]:
        raise NotImplementedError

    def joins(self):
        return [*self.status_groups(), *(unit_watch.unit_group(self.unit_scope.name, unit)
                                         for unit in self.watched_units())]

    async def ready(self):
        await self.send_status_if_down()
        await self.rows_changed({"rows": self.watch.changed_since(self.since)})

    async def rows_changed(self, message):
        rows = {name: row for name, row in message["rows"].items() if name in self.watched_units()}
        if rows:
            await self.changed(rows)

    async def changed(self, rows: dict[str, dict | None]) -> None:
        raise NotImplementedError


class UnitConsumer(UnitStateConsumer):
    """A unit's own page: its state block follows the unit."""

    def watched_units(self):
        return [self.query.get("name", "")]

    async def changed(self, rows):
        if self.watch.manager is None:
            return
        name = self.watched_units()[0]
        try:
            props = await self.watch.manager.unit_properties(name)
        except SystemdError:
            return  # gone; the list page shows that
        context = {**detail_context(self.unit_scope.name, props, viewer=not self.can_operate), "swap": True,
                   "user_can_operate": self.can_operate}
        await self.send(text_data=render_to_string("units/_state.html", context))
