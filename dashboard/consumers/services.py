"""The state of a service Podhouse just generated, live on the dialog's outcome:
the unit watcher's rows for that unit become an out-of-band state badge, and when
the unit fails the last journal lines come along."""
from __future__ import annotations

from django.template.loader import render_to_string

from dashboard import services
from dashboard.live import unit_watch
from dashboard.consumers.units import UnitWatchConsumer


class ServiceStateConsumer(UnitWatchConsumer):
    def watch_groups(self):
        self.unit_name = self.query.get("name", "")
        self.last_state = None
        return [unit_watch.unit_group(self.unit_scope.name, self.unit_name)]

    async def catch_up(self, rows):
        if self.unit_name not in rows:
            return
        row = rows[self.unit_name]
        state = (row or {}).get("active_state") or "inactive"
        if state == self.last_state:
            return
        self.last_state = state
        journal = await services.journal_lines(self.unit_scope, self.unit_name) if state == "failed" else []
        await self.send(text_data=render_to_string("services/_live_state.html", {
            "state": state, "sub_state": (row or {}).get("sub_state", ""), "journal": journal}))
