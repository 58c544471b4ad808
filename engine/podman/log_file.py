"""Following a k8s-file container log by reading conmon's file, beside Podman's logs API.

Podman's logs API follows a k8s-file log by polling the file every 250 ms (podman 4.3),
so each line reaches a follower 0-250 ms after it was written, in a phase of its own.
A reader of the file that is woken by inotify has the line at once.  The API stays the
source of truth (it knows when the container is gone, and works where the file cannot
be read: another user's containers, a remote host); the file only makes lines early:
`first_of` merges the two, line for line.

A line of the file is `<RFC 3339 time with nanoseconds> <stream> <P|F> <text>`: P is
a part of a line that goes on in the next record, F ends it.  `log_file_pairs` gives
the same (stream, "<stamp> <text>") pairs as the API with timestamps, the stamp cut to
the second as podman 4.3 writes it, so PodmanLogReader (log_cursors.py) numbers
both alike and their cursors are the same.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
import os
from collections import deque
from typing import AsyncIterator

from engine.podman.log_cursors import LogLine

log = logging.getLogger(__name__)

# inotify(7): what wakes the reader.
IN_MODIFY, IN_ATTRIB, IN_MOVE_SELF, IN_DELETE_SELF = 0x2, 0x4, 0x800, 0x400
WATCHED = IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF
# Looked at this often anyway: a missed event (or no inotify) costs at most this much.
SAFETY_POLL = 1.0
READ_SIZE = 1 << 16


class LogFileGone(Exception):
    """The file was replaced, cut or removed (rotation, the container removed): its
    reader stops, and the API goes on alone."""


def api_stamp(file_stamp: str) -> str:
    """The time of a file record as podman 4.3's logs API writes it: cut to the second,
    `Z` for UTC (Go's RFC 3339 layout), another offset kept as it is."""
    whole, _, rest = file_stamp.partition(".")
    if rest:
        zone = rest.lstrip("0123456789")
    else:  # no fraction: the zone follows the seconds
        whole, zone = file_stamp[:19], file_stamp[19:]
    if zone in ("Z", "+00:00", "-00:00"):
        zone = "Z"
    return whole + zone


def parse_record(record: str) -> tuple[str, str, bool, str] | None:
    """(time, stream, partial, text) of one record of the file; None for what is not one."""
    parts = record.split(" ", 3)
    if len(parts) < 3 or parts[2] not in ("P", "F"):
        return None
    return parts[0], parts[1], parts[2] == "P", parts[3] if len(parts) == 4 else ""


class RecordJoiner:
    """Records in, API-like pairs out: the parts of a line (P records) are joined to
    the record that ends it, which carries the first part's time (as the API does)."""

    def __init__(self):
        self._parts: dict[str, tuple[str, list[str]]] = {}  # stream -> (first stamp, texts)

    def feed(self, record: str) -> tuple[str, str] | None:
        parsed = parse_record(record)
        if parsed is None:
            return None
        stamp, stream, partial, text = parsed
        first, texts = self._parts.pop(stream, (stamp, []))
        texts.append(text)
        if partial:
            self._parts[stream] = (first, texts)
            return None
        return stream, f"{api_stamp(first)} {''.join(texts)}"


class _Inotify:
    """One inotify watch on a file, as an asyncio event; OSError where inotify cannot be had."""

    def __init__(self, path: str):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, os.fsencode(path), WATCHED) < 0:
            error = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(error, f"inotify_add_watch {path}")
        self.changed = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.fd, self._woken)

    def _woken(self) -> None:
        try:
            while os.read(self.fd, 4096):
                pass
        except BlockingIOError:
            pass
        self.changed.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        self.changed.clear()

    def close(self) -> None:
        self.loop.remove_reader(self.fd)
        os.close(self.fd)


async def log_file_pairs(path: str, follow: bool = True) -> AsyncIterator[tuple[str, str]]:
    """(stream, "<stamp> <text>") pairs of a k8s-file log from its first line, then,
    when following, each line as soon as conmon has written it.  Raises OSError when
    the file cannot be read, LogFileGone when it is replaced or cut."""
    handle = open(path, "rb")
    watch = None
    try:
        identity = os.fstat(handle.fileno()).st_ino
        if follow:
            try:
                watch = _Inotify(path)
            except OSError as error:
                log.info("no inotify for %s (%s): looking every %.0f s", path, error, SAFETY_POLL)
        joiner, pending = RecordJoiner(), b""
        while True:
            chunk = handle.read(READ_SIZE)
            if chunk:
                *records, pending = (pending + chunk).split(b"\n")
                for record in records:
                    pair = joiner.feed(record.decode("utf-8", errors="replace"))
                    if pair is not None:
                        yield pair
                await asyncio.sleep(0)  # a long log read from its start must not hold the loop
                continue
            if not follow:
                return
            try:
                now = os.stat(path)
            except FileNotFoundError:
                raise LogFileGone(f"{path} was removed") from None
            if now.st_ino != identity or now.st_size < handle.tell():
                raise LogFileGone(f"{path} was replaced or cut")
            if watch is not None:
                await watch.wait(SAFETY_POLL)
            else:
                await asyncio.sleep(SAFETY_POLL)
    finally:
        if watch is not None:
            watch.close()
        handle.close()


async def first_of(api: AsyncIterator[list[LogLine]], early: AsyncIterator[list[LogLine]],
                   tally: dict | None = None) -> AsyncIterator[list[LogLine]]:
    """The lines of `api`, each as soon as either source has it.  Both must give the
    same lines in the same order (two readers of one log from the same cursor): the
    n-th line is sent once, by whichever source has it first.  `api` decides the end,
    and its failure is raised; `early` failing, ending, or once giving a line whose
    cursor differs from the other's n-th only stops its help.  `tally`, when given,
    counts the lines each source sent first ("api", "early") and "disagreements"."""
    queue: asyncio.Queue = asyncio.Queue()
    # The cursors of the lines sent that the slower source has not reached yet (for its
    # check): sent[i - base] is the i-th line's.
    sent: deque[str] = deque()
    base = 0
    counts = {"api": 0, "early": 0}
    tally = {} if tally is None else tally
    tally.update(api=0, early=0, disagreements=0)
    trusted = True

    async def pump(name: str, source: AsyncIterator[list[LogLine]]) -> None:
        try:
            async for chunk in source:
                await queue.put((name, chunk, None))
        except Exception as error:  # handed over: the api's is raised, early's logged
            await queue.put((name, None, error))
            return
        await queue.put((name, None, None))

    tasks = {"api": asyncio.create_task(pump("api", api), name="log-api"),
             "early": asyncio.create_task(pump("early", early), name="log-file")}
    try:
        while True:
            name, chunk, error = await queue.get()
            if chunk is None:
                if name == "api":
                    if error is not None:
                        raise error
                    return
                if error is not None and not isinstance(error, LogFileGone):
                    log.info("reading the log file stopped: %s", error)
                trusted = False
                continue
            if name == "early" and not trusted:
                continue
            out = []
            for line in chunk:
                index = counts[name]
                counts[name] += 1
                if index < base + len(sent):
                    if sent[index - base] != line.cursor:
                        tally["disagreements"] += 1
                        if trusted:
                            log.warning("the log file and the logs API disagree at line %d (%s, %s): the file is "
                                        "no longer read", index, sent[index - base], line.cursor)
                            trusted = False
                            tasks["early"].cancel()
                    continue
                if name == "early" and not trusted:
                    break
                sent.append(line.cursor)
                tally[name] += 1
                out.append(line)
            behind = counts["api"] if not trusted else min(counts.values())
            while sent and base < behind:
                sent.popleft()
                base += 1
            if out:
                yield out
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        for source in (api, early):
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
