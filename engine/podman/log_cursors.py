"""Cursors for Podman's logs API, for containers whose lines are not in journald.

The logs API has no cursors of its own: a PodmanLogCursor is the timestamp of a line
and its rank among the lines of that same timestamp (podman 4.3 stamps to the
second), written `podman;t=<stamp>;n=<rank>`.  PodmanLogReader numbers the lines of
a read that way and skips what a resumed reader already has.  Its LogLines have the
fields of a journal entry (dashboard/host/journal.py's Entry), so the log pane shows
both alike.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, NamedTuple


class BadLogCursor(ValueError):
    """A cursor that is not one of ours (a journal cursor, garbage)."""


class LogLine(NamedTuple):
    """One line of the logs API.  A tuple on purpose: it goes to the browser as a JSON array."""
    cursor: str
    time_us: int
    priority: int  # 3 (err) for stderr, 6 (info) for stdout
    origin: str  # the stream
    pid: str
    message: str


PODMAN_CURSOR_PATTERN = re.compile(r"podman;t=([0-9T:.+Z-]{10,40});n=(\d{1,9})")
PODMAN_TIME_PATTERN = re.compile(r"(\S+?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d) ")


@dataclass(frozen=True)
class PodmanLogCursor:
    """Where a reader of Podman's logs API is: the timestamp of its last line, and how
    many lines with that same timestamp it has (podman 4.3 stamps to the second)."""
    stamp: str
    count: int

    @classmethod
    def parse(cls, text: str) -> "PodmanLogCursor":
        match = PODMAN_CURSOR_PATTERN.fullmatch(text or "")
        if not match:
            raise BadLogCursor(f"not a log cursor of this container: {str(text)[:80]!r}")
        return cls(match.group(1), int(match.group(2)))

    def __str__(self) -> str:
        return f"podman;t={self.stamp};n={self.count}"

    @property
    def since(self) -> float:
        return _podman_time(self.stamp + " ")[1]


def _podman_time(line: str) -> tuple[str, float, str]:
    """(stamp, epoch seconds, rest of the line) of a line of the logs API with timestamps."""
    match = PODMAN_TIME_PATTERN.match(line)
    if not match:
        return "", time.time(), line
    whole, fraction, zone = match.groups()
    moment = datetime.fromisoformat(whole + ("." + fraction[:6] if fraction else "") + zone.replace("Z", "+00:00"))
    return line[:match.end() - 1], moment.timestamp(), line[match.end():]


class PodmanLogReader:
    """Turns (stream, line) pairs of Podman's logs API into LogLines with cursors, and
    skips what a resumed reader already has."""

    def __init__(self, resume: PodmanLogCursor | None = None):
        self.resume = resume
        self.stamp, self.count = "", 0

    def entry(self, stream: str, line: str) -> LogLine | None:
        stamp, when, message = _podman_time(line)
        self.count = self.count + 1 if stamp == self.stamp else 1
        self.stamp = stamp
        if self.resume is not None:
            if when < self.resume.since or (stamp == self.resume.stamp and self.count <= self.resume.count):
                return None
            self.resume = None
        priority = 3 if stream == "stderr" else 6
        return LogLine(str(PodmanLogCursor(stamp, self.count)), int(when * 1e6), priority, stream, "", message)

    async def entries(self, pairs: AsyncIterator[tuple[str, str]]) -> AsyncIterator[list[LogLine]]:
        async for stream, line in pairs:
            entry = self.entry(stream, line)
            if entry is not None:
                yield [entry]
