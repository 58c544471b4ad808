"""The services Podhouse made, live: the list page (ServicesConsumer, the live-list
contract of dashboard.live.lists on the unit watcher's services), and the state of a
service Podhouse just generated on the dialog's outcome (ServiceStateConsumer): the
unit watcher's rows for that unit become an out-of-band state badge, and when the
unit fails the last journal lines come along."""
from __future__ import annotations

from django.template.loader import render_to_string

from dashboard.flows import services
from dashboard.consumers.live_list import LiveListConsumer
from dashboard.consumers.units import UnitStateConsumer, UnitWatchMixin
from dashboard.live import unit_watch
from dashboard.live.lists import LISTS
from dashboard.live.service_rows import service_changes, service_rows


class ServicesConsumer(UnitWatchMixin, LiveListConsumer):
    """The services list: each change of a service unit is looked up in the files
    Podhouse made (a unit it did not make is no row); the page's position is `since`."""

    live_list = LISTS["services"]
    key_field = "service"

    async def setup(self):
        await self.join_watch()
        await super().setup()

    def joins(self):
        return [*self.status_groups(), unit_watch.kind_group(self.unit_scope.name, "service")]

    async def ready(self):
        await self.send_status_if_down()
        await super().ready()

    def missed(self):
        return service_changes(self.unit_scope, self.watch.changed_since(self.since), self.shown or set())

    async def read_all(self):
        return service_rows(self.unit_scope, {row.name: unit_watch.row_dict(row) for row in self.watch.snapshot()})

    async def rows_changed(self, message):
        rows = service_changes(self.unit_scope, message["rows"], (self.shown or set()) | self.released)
        # no change id: these rows are this page's reading of the change, not the change as published
        await super().rows_changed({"rows": rows})


class ServiceStateConsumer(UnitStateConsumer):
    last_state = None

    def watched_units(self):
        return [self.query.get("name", "")]

    async def changed(self, rows):
        row = rows[self.watched_units()[0]]
        state = (row or {}).get("active_state") or "inactive"
        if state == self.last_state:
            return
        self.last_state = state
        name = self.watched_units()[0]
        journal = await services.journal_lines(self.unit_scope, name) if state == "failed" else []
        await self.send(text_data=render_to_string("services/_live_state.html", {
            "state": state, "sub_state": (row or {}).get("sub_state", ""), "journal": journal}))
