"""The updates page, live: the containers kept current (the live-list contract of
dashboard.live.lists, on the containers' watcher), the progress of a check or an
update of containers (dashboard.flows.updates), and the state of the auto-update schedule
(dashboard.flows.update_schedule)."""
from django.template.loader import render_to_string

from dashboard.flows import update_schedule, updates
from dashboard.consumers.podman_live import PodmanListConsumer
from dashboard.consumers.progress import JobProgressConsumer
from dashboard.consumers.units import UnitStateConsumer
from dashboard.live.lists import LISTS
from engine.autoupdate import NO_UNIT
from engine.units.schedule import SERVICE, TIMER


class UpdatableContainersConsumer(PodmanListConsumer):
    """The containers that auto-update keeps current (the route's `list` "updates"),
    or those labelled for it that it cannot ("updates-cannot"): the containers' rows
    whose "update" says so (dashboard.live.podman_rows)."""

    async def setup(self):
        self.kwargs["area"] = "containers"
        await super().setup()
        self.live_list = LISTS[self.kwargs["list"]]

    def visible(self, row):
        update = row.get("update")
        return bool(update) and bool(update["problem"]) == (self.live_list.name == "updates-cannot")

    def row_context(self):
        return {**super().row_context(), "no_unit": NO_UNIT}


class UpdateProgressConsumer(JobProgressConsumer):
    jobs = updates.jobs
    template = "updates/_step.html"


class ScheduleStateConsumer(UnitStateConsumer):
    """When the timer or its service changes (a run starts or ends, the timer is
    re-armed), the schedule's status paragraph is read again and sent out of band."""

    def watched_units(self):
        return [TIMER, SERVICE]

    async def changed(self, rows):
        state = await update_schedule.read_state(self.unit_scope)
        if not state.installed:
            return
        await self.send(text_data=render_to_string("updates/_schedule_status.html", {
            "scope": self.unit_scope.name, "state": state, "timer": TIMER, "service": SERVICE, "oob": True}))
