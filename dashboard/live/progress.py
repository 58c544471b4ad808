"""Long actions that run as tasks of this server process and report their progress
to the page over a websocket: an image pull, a check or an update of containers.

A job keeps every line it emitted (each with its sequence number), so a page that
connects late first gets what happened so far and then each new line; the job
outlives the request that started it, and is forgotten a while after it ended.
The page's side is dashboard/consumers/progress.py."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from channels.layers import get_channel_layer

KEEP_FINISHED = 600.0  # seconds a finished job stays for a late page


@dataclass
class ProgressJob:
    job: str
    scope: str
    lines: list[dict] = field(default_factory=list)
    finished: bool = False
    info: dict = field(default_factory=dict)  # what the job is about, for its page


class ProgressJobs:
    """The jobs of one kind (pulls, updates); `kind` names their channel groups."""

    def __init__(self, kind: str):
        self.kind = kind
        self.jobs: dict[str, ProgressJob] = {}
        self._tasks: set[asyncio.Task] = set()

    def group(self, job: str) -> str:
        return f"progress-{self.kind}-{job}"

    def start(self, job: ProgressJob, run: Callable[[ProgressJob], Awaitable[None]]) -> ProgressJob:
        """Run `run(job)` as a task of this process; the job ends when it returns."""
        self.jobs[job.job] = job
        task = asyncio.create_task(self._run(job, run), name=f"{self.kind}-{job.job}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: ProgressJob, run) -> None:
        try:
            await run(job)
        finally:
            job.finished = True
            await asyncio.sleep(KEEP_FINISHED)
            self.jobs.pop(job.job, None)

    async def emit(self, job: ProgressJob, **line) -> None:
        line["seq"] = len(job.lines)
        job.lines.append(line)
        await get_channel_layer().group_send(self.group(job.job), {"type": "job.progress", "line": line})
