"""The websocket of one log pane.

The browser opens /ws/<scope>/logs/ and sends what to show:
  {"type": "open", "kind", "name", "priority", "since", "until", "text", "boot",
   "lines": N, "follow": true, "after": cursor-or-null}
and later, for older lines, {"type": "earlier", "cursor": cursor, "lines": N}.  The server answers with
compact JSON that static/js/logpane.js renders (an htmx fragment per line costs the
browser several times more at 20,000 lines/s):
  {"t": "source", "description", "note"}            what the pane shows
  {"t": "lines", "lines": [[cursor, time_us, priority, origin, pid, message], ...]}
  {"t": "earlier", "lines": [...], "more": bool}   older lines, oldest first
  {"t": "end"}                                       not following: nothing more comes
  {"t": "error", "message"}                          bad input or journalctl's refusal
Lines come in batches of at most 500, each sent as soon as the source has
nothing more ready (no timer holds a line back).  Given "after" the
pane gets exactly the lines after that cursor, so a reconnect loses and repeats none.
The follower's journalctl dies with the socket (its task is the consumer's own)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from contextlib import aclosing

from dashboard.host import hoststack, journal, scopes
from dashboard.consumers.base import PodhouseConsumer
from dashboard.host.podman_clients import client_for
from engine.podman import PodmanClient
from engine.podman.errors import PodmanError
from engine.podman.log_file import first_of, log_file_pairs
from engine.podman.log_cursors import BadLogCursor, LogLine, PodmanLogCursor, PodmanLogReader

DEFAULT_LINES = 200
EARLIER_LINES = 1000
# The journal entry's time comes from journald's clock: a margin so that a line
# written while the first page was read is not missed (none can be repeated: that
# page was empty).
FLOOR_MARGIN = 1.0


async def open_query(scope_name: str, params: dict) -> tuple[journal.LogSource, journal.LogQuery, scopes.Scope]:
    """The source and query a pane (or a download) asks for; BadQuery says what is wrong."""
    try:
        scope = scopes.get_scope(scope_name)
    except scopes.UnknownScope as error:
        raise journal.BadQuery(str(error)) from None
    state = hoststack.load_state()
    try:
        source = await journal.resolve_source(
            str(params.get("kind") or "all"), str(params.get("name") or ""), podman=client_for(scope.name),
            env=scope.child_env(), user=scope.is_user, embedded=bool(state and state.embedded))
    except PodmanError as error:
        raise journal.BadQuery(f"podman: {error}") from None
    query = journal.build_query(source.terms, priority=params.get("priority"), boot=params.get("boot"),
                                since=params.get("since"), until=params.get("until"),
                                text=params.get("text"), description=source.description)
    return source, query, scope


async def _cancel(task: asyncio.Future | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _starting_with(first, rest):
    """`first` (a pair already taken from `rest`, or None when `rest` had nothing), then `rest`."""
    if first is None:
        return
    yield first
    async for item in rest:
        yield item


def line_count(value, default: int) -> int:
    try:
        return max(1, min(int(value), journal.MAX_LINES))
    except (TypeError, ValueError):
        return default


class LogPaneConsumer(PodhouseConsumer):
    async def setup(self):
        self.streaming = False
        self.source: journal.LogSource | None = None
        self.query: journal.LogQuery | None = None
        self.env: dict[str, str] | None = None

    async def do_open(self, params: dict):
        if self.streaming:
            await self.send_error("this pane is already open: open a new socket for another query")
            return
        try:
            source, query, scope = await open_query(self.kwargs["scope"], params)
            after = params.get("after")
            if after is not None and not source.via_podman:
                journal.check_cursor(after)
        except journal.BadQuery as error:
            await self.send_error(str(error))
            return
        self.source, self.query, self.env = source, query, scope.child_env()
        await self.send_json({"t": "source", "description": source.description, "note": source.note,
                              "kind": source.kind, "name": source.name})
        follow = bool(params.get("follow", True)) and query.until is None
        self.streaming = True
        if source.via_podman:
            self.spawn(self.stream_podman(scope, source, after, line_count(params.get("lines"), DEFAULT_LINES), follow),
                       "log-pane-podman")
        else:
            self.spawn(self.stream(after, line_count(params.get("lines"), DEFAULT_LINES), follow), "log-pane")

    async def do_earlier(self, message: dict):
        await self.earlier(message.get("cursor"), message.get("lines"))

    async def stream(self, after: str | None, lines: int, follow: bool):
        try:
            floor = None
            if after is None or not follow:
                floor = time.time() - FLOOR_MARGIN
                entries = await journal.read_entries(self.query, self.env, lines=lines, after=after)
                if entries:
                    await self.send_lines(entries)
                    after = entries[-1].cursor
            if not follow:
                await self.send_json({"t": "end"})
                return
            follower = journal.JournalFollower(self.query, self.env, after=after,
                                               since_floor=None if after else floor)
            async with aclosing(follower.batches()) as batches:
                async for batch in batches:
                    await self.send_lines(batch)
        except journal.JournalError as error:
            await self.send_error(f"journalctl: {error}")

    async def stream_podman(self, scope: scopes.Scope, source: journal.LogSource, after: str | None,
                            lines: int, follow: bool):
        """A container whose log driver is not journald: Podman's logs API, with cursors
        made of each line's timestamp and its rank among the lines of that second.  When
        following a log file this process can read (k8s-file), the file is read too
        and each line goes out from whichever has it first (engine/podman/log_file.py)."""
        try:
            resume = PodmanLogCursor.parse(after) if after else None
        except BadLogCursor as error:
            await self.send_error(str(error))
            return
        try:
            # A client of its own for a stream held open: not one of the shared pool's
            # connections.  The follow stream is asked for first, from the log's start,
            # while the history is read: its lines wait in the socket until the history
            # is sent, then those up to the history's last line are skipped.  Podman's
            # slow start of a stream is thus hidden behind the history read, and the
            # seam is exact (both readers count ranks from the log's first line).
            async with PodmanClient(scope.podman_socket) as own, contextlib.AsyncExitStack() as closing:
                stream = own.container_logs(source.name, follow=follow, timestamps=True,
                                            since=resume.since if resume else None)
                closing.push_async_callback(stream.aclose)
                opened = asyncio.ensure_future(anext(stream, None)) if follow else None
                closing.push_async_callback(_cancel, opened)
                if resume is None:
                    # The last lines, read from the log's start and not with podman's tail:
                    # a line's rank counts from the first line of its second, which a tail
                    # read cannot know, and a resume or "load earlier" relies on it.
                    last, _ = await self.podman_lines_before(None, lines)
                    if last:
                        await self.send_lines(last)
                        resume = PodmanLogCursor.parse(last[-1].cursor)
                    if not follow:
                        await self.send_json({"t": "end"})
                        return
                reader = PodmanLogReader(resume)
                pairs = _starting_with(await opened, stream) if opened is not None else stream
                lines = reader.entries(pairs)
                if follow and source.log_path and os.access(source.log_path, os.R_OK):
                    # Podman polls the file every 250 ms; read it here as well, woken
                    # by inotify, and send each line from whichever has it first.
                    lines = first_of(lines, PodmanLogReader(resume).entries(log_file_pairs(source.log_path)))
                async with aclosing(journal.batched(lines)) as batches:
                    async for batch in batches:
                        await self.send_lines(batch)
            await self.send_json({"t": "end"})
        except PodmanError as error:
            await self.send_error(f"podman: {error}")

    async def send_lines(self, entries: list[journal.Entry | LogLine]):
        await self.send_json({"t": "lines", "lines": entries})

    async def earlier(self, cursor, lines):
        if self.query is None:
            await self.send_error("open the pane first")
            return
        count = line_count(lines, EARLIER_LINES)
        if self.source.via_podman:
            await self.earlier_from_podman(cursor, count)
            return
        try:
            entries = await journal.read_entries(self.query, self.env, lines=count, before=journal.check_cursor(cursor))
        except (journal.BadQuery, journal.JournalError) as error:
            await self.send_error(str(error))
            return
        await self.send_json({"t": "earlier", "lines": entries, "more": len(entries) == count})

    async def earlier_from_podman(self, cursor, count: int):
        try:
            stop = PodmanLogCursor.parse(cursor)
        except BadLogCursor as error:
            await self.send_error(str(error))
            return
        try:
            entries, more = await self.podman_lines_before(stop, count)
        except PodmanError as error:
            await self.send_error(f"podman: {error}")
            return
        await self.send_json({"t": "earlier", "lines": entries, "more": more})

    async def podman_lines_before(self, stop: PodmanLogCursor | None, count: int):
        """The last `count` lines before the line at `stop` (before the end when None),
        and whether there are more.  Podman's logs API reads a log from its start only."""
        kept: deque[LogLine] = deque(maxlen=count + 1)
        reader = PodmanLogReader()
        pairs = client_for(self.kwargs["scope"]).container_logs(
            self.source.name, timestamps=True)
        async with aclosing(pairs):
            async for stream, line in pairs:
                entry = reader.entry(stream, line)
                if stop is not None and entry.cursor == str(stop):
                    break
                kept.append(entry)
        more = len(kept) > count
        return (list(kept)[1:] if more else list(kept)), more
