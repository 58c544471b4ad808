"""The page's side of a job of dashboard.live.progress: first what happened so far, then
each new line, every line rendered by the job kind's fragment template."""
from __future__ import annotations

from django.template.loader import render_to_string

from dashboard.consumers.base import CLOSE_NOT_FOUND, PodhouseConsumer, Refuse
from dashboard.live.progress import ProgressJobs


class JobProgressConsumer(PodhouseConsumer):
    """Subclasses name their `jobs` and the `template` that renders one line
    (with `job` and `line` in its context)."""

    jobs: ProgressJobs
    template: str

    async def setup(self):
        self.job = self.kwargs["job"]
        self.found = self.jobs.jobs.get(self.job)
        if self.found is None or self.found.scope != self.kwargs.get("scope", self.found.scope):
            raise Refuse(CLOSE_NOT_FOUND)
        self.sent = -1

    def joins(self):
        return [self.jobs.group(self.job)]

    async def ready(self):
        for line in list(self.found.lines):
            await self.job_progress({"line": line})

    async def job_progress(self, message):
        line = message["line"]
        if line["seq"] <= self.sent:
            return
        self.sent = line["seq"]
        await self.send(text_data=render_to_string(self.template, {"job": self.job, "line": line}))
