"""The state of a service Podhouse just generated, live on the dialog's outcome:
the unit watcher's rows for that unit become an out-of-band state badge, and when
the unit fails the last journal lines come along."""
from __future__ import annotations

from django.template.loader import render_to_string

from dashboard import services
from dashboard.consumers.units import UnitStateConsumer


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
