"""The page's side of a job of dashboard.live.progress: first what happened so far, then
each new line, every line rendered by the job kind's fragment template."""
from __future__ import annotations

from django.template.loader import render_to_string

from dashboard.consumers.base import LoginRequiredConsumer
from dashboard.live.progress import ProgressJobs


class JobProgressConsumer(LoginRequiredConsumer):
    """Subclasses name their `jobs` and the `template` that renders one line
    (with `job` and `line` in its context)."""

    jobs: ProgressJobs
    template: str

    async def on_connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.job = kwargs["job"]
        found = self.jobs.jobs.get(self.job)
        if found is None or found.scope != kwargs.get("scope", found.scope):
            self.job = None
            await self.close(code=4404)
            return
        self.sent = -1
        await self.channel_layer.group_add(self.jobs.group(self.job), self.channel_name)
        for line in list(found.lines):
            await self.job_progress({"line": line})

    async def disconnect(self, code):
        if getattr(self, "job", None):
            await self.channel_layer.group_discard(self.jobs.group(self.job), self.channel_name)

    async def job_progress(self, message):
        line = message["line"]
        if line["seq"] <= self.sent:
            return
        self.sent = line["seq"]
        await self.send(text_data=render_to_string(self.template, {"job": self.job, "line": line}))
