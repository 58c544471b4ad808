"""Reading and following journald with `journalctl -o json`, the way Cockpit's bridge does.

A LogQuery says which entries: a source (the matches of a container, a pod's member
containers or a unit) narrowed by priority, boot, time and text.  `read_entries` gives
a page of entries (the last N, the N before a cursor, the N after a cursor);
`JournalFollower` gives the entries after a cursor in batches as they are written and
kills its journalctl when closed.  Every Entry carries its journal cursor, so a reader
resumes exactly after the last line it has.  Framework-free: no Django import.
"""
from __future__ import annotations

import asyncio
import json
import re
import string
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator, NamedTuple

PRIORITY_NAMES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
# Only what a log line shows: journalctl still adds __CURSOR and the timestamps, and
# the smaller JSON roughly halves its cost and ours at high rates.
OUTPUT_FIELDS = "MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,_COMM,_PID,CONTAINER_NAME"
CURSOR_PATTERN = re.compile(r"s=[0-9a-f]{32};i=[0-9a-f]+;b=[0-9a-f]{32};m=[0-9a-f]+;t=[0-9a-f]+;x=[0-9a-f]+")
BOOT_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
CONTAINER_ID_PATTERN = re.compile(r"[0-9a-f]{64}")
RELATIVE_TIME = re.compile(r"-(\d{1,6})\s*(s|sec|m|min|h|hour|d|day)s?")
RELATIVE_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
# Unit fields, measured on real entries.  A unit's own output carries _SYSTEMD_UNIT
# (system manager) or _SYSTEMD_USER_UNIT (user manager on a systemd host); the
# manager's messages about it carry UNIT / USER_UNIT; a crash COREDUMP_(USER_)UNIT.
# The embedded stack's `systemd --user` runs outside any user slice (cgroup v1
# hybrid, no systemd PID 1), so journald files its units' output under _SYSTEMD_UNIT.
SYSTEM_UNIT_FIELDS = ("_SYSTEMD_UNIT", "UNIT", "COREDUMP_UNIT")
USER_UNIT_FIELDS = ("_SYSTEMD_USER_UNIT", "USER_UNIT", "COREDUMP_USER_UNIT")
MAX_LINES = 10_000
BATCH_LINES = 500


class BadQuery(ValueError):
    """Input that cannot make a journal query; the message is shown to the user as is."""


class JournalError(RuntimeError):
    """journalctl refused or failed; carries its own words."""


class Entry(NamedTuple):
    """One journal line.  A tuple on purpose: it goes to the browser as a JSON array."""
    cursor: str
    time_us: int
    priority: int
    origin: str  # container name, else syslog identifier, else command
    pid: str
    message: str


Match = tuple[str, str]


@dataclass(frozen=True)
class LogQuery:
    # A disjunction of terms, each a conjunction of FIELD=value matches (journalctl's
    # `A B + C` form).  Empty: the whole journal.
    terms: tuple[tuple[Match, ...], ...] = ()
    priority: int | None = None  # this one and the more severe ones
    boot: str | None = None  # boot id, 32 hex digits
    since: float | None = None  # epoch seconds
    until: float | None = None
    text: str = ""
    description: str = "the whole journal"

    def filter_args(self) -> list[str]:
        """journalctl arguments of this query.  Priority and boot go into every term by
        hand: journalctl's own -p and -b join only the last term of a `+` list."""
        extra: list[Match] = []
        if self.priority is not None:
            extra += [("PRIORITY", str(p)) for p in range(self.priority + 1)]
        if self.boot:
            extra.append(("_BOOT_ID", self.boot))
        terms = self.terms or ((),)
        args: list[str] = []
        for index, term in enumerate(terms):
            if index:
                args.append("+")
            args += [f"{name}={value}" for name, value in (*term, *extra)]
        if self.since is not None:
            args.append(f"--since=@{self.since:.6f}")
        if self.until is not None:
            args.append(f"--until=@{self.until:.6f}")
        if self.text:
            args += [f"--grep={literal_pattern(self.text)}", "--case-sensitive=false"]
        return args


def literal_pattern(text: str) -> str:
    """A PCRE pattern matching `text` literally (a backslash before punctuation is
    always literal in PCRE), so that a search for `a.b(` is not a broken regex."""
    return "".join("\\" + c if c in string.punctuation else c for c in text)


def container_terms(names: list[str]) -> tuple[tuple[Match, ...], ...]:
    """Matches of containers by name, or by full id for a 64-hex-digit id.  Values of one
    field in one term are alternatives, so one term covers all names."""
    by_id = tuple(("CONTAINER_ID_FULL", n) for n in names if CONTAINER_ID_PATTERN.fullmatch(n))
    by_name = tuple(("CONTAINER_NAME", n) for n in names if not CONTAINER_ID_PATTERN.fullmatch(n))
    return tuple(term for term in (by_name, by_id) if term)


def unit_terms(unit: str, *, user: bool, embedded: bool) -> tuple[tuple[Match, ...], ...]:
    fields = USER_UNIT_FIELDS if user else SYSTEM_UNIT_FIELDS
    if user and embedded:
        fields = fields + SYSTEM_UNIT_FIELDS
    return tuple(((f, unit),) for f in fields)


def check_cursor(cursor: str) -> str:
    if not isinstance(cursor, str) or not CURSOR_PATTERN.fullmatch(cursor):
        raise BadQuery(f"not a journal cursor: {str(cursor)[:80]!r}")
    return cursor


def parse_priority(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text in PRIORITY_NAMES:
        return PRIORITY_NAMES.index(text)
    if text.isdigit() and int(text) < len(PRIORITY_NAMES):
        return int(text)
    raise BadQuery(f"unknown priority {str(value)[:40]!r}: use 0-7 or {', '.join(PRIORITY_NAMES)}")


def parse_boot(value: str | None, current: str | None = None) -> str | None:
    """'' or 'all' for every boot, 'current' (or '0') for this one, or a 32-hex boot id."""
    text = (value or "").strip().lower().replace("-", "")
    if text in ("", "all"):
        return None
    if text in ("current", "0"):
        return current or current_boot_id()
    if BOOT_ID_PATTERN.fullmatch(text):
        return text
    raise BadQuery(f"not a boot: {str(value)[:40]!r} (use 'current', 'all' or a boot id)")


def current_boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")


def parse_time(value: str | None, now: float | None = None) -> float | None:
    """Epoch seconds of a time given as ISO 8601 (UTC unless it says otherwise), as
    'now', 'today', 'yesterday', or relative like '-15m', '-2h', '-1d'."""
    text = (value or "").strip()
    if not text:
        return None
    now = time.time() if now is None else now
    lowered = text.lower()
    midnight = datetime.fromtimestamp(now, timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if lowered == "now":
        return now
    if lowered == "today":
        return midnight.timestamp()
    if lowered == "yesterday":
        return (midnight - timedelta(days=1)).timestamp()
    relative = RELATIVE_TIME.fullmatch(lowered)
    if relative:
        return now - int(relative.group(1)) * RELATIVE_UNITS[relative.group(2)]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"not a time: {text[:60]!r} (use e.g. 2026-01-31 14:00, -15m, -2h, today)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if not 1970 <= moment.year <= 2200:
        raise BadQuery(f"time out of range: {text[:60]!r}")
    return moment.timestamp()


def build_query(terms=(), *, priority=None, boot=None, since=None, until=None, text="",
                description="the whole journal", now: float | None = None) -> LogQuery:
    """A LogQuery from what a person typed; BadQuery says what is wrong."""
    query = LogQuery(terms=tuple(terms), priority=parse_priority(priority), boot=parse_boot(boot),
                     since=parse_time(since, now), until=parse_time(until, now),
                     text=(text or "").strip()[:200], description=description)
    if query.since is not None and query.until is not None and query.since > query.until:
        raise BadQuery("'since' is after 'until': nothing can match")
    if "\n" in query.text or "\0" in query.text:
        raise BadQuery("the text to find must be one line")
    return query


def _message(value) -> str:
    # journald stores non-UTF-8 messages as byte arrays and oversize ones as null.
    if isinstance(value, list):
        value = bytes(value).decode("utf-8", "replace")
    elif value is None:
        return "[message not shown: too large or binary]"
    text = str(value)
    return text[:-1] if text.endswith("\n") else text


def parse_entry(line: bytes | str) -> Entry:
    data = json.loads(line)
    try:
        priority = int(data.get("PRIORITY", 6))
    except (TypeError, ValueError):
        priority = 6
    origin = data.get("CONTAINER_NAME") or data.get("SYSLOG_IDENTIFIER") or data.get("_COMM") or ""
    return Entry(data["__CURSOR"], int(data.get("__REALTIME_TIMESTAMP", 0)), priority,
                 origin if isinstance(origin, str) else "", str(data.get("_PID", "")),
                 _message(data.get("MESSAGE")))


def format_text(entry: Entry) -> str:
    """One line as `journalctl -o short-iso-precise` would print it, in UTC."""
    moment = datetime.fromtimestamp(entry.time_us / 1e6, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    origin = f"{entry.origin}[{entry.pid}]" if entry.pid else entry.origin
    return f"{moment}Z {origin}: {entry.message}\n"


def journalctl_argv(query: LogQuery, *positioning: str) -> list[str]:
    if any(arg.startswith(("--cursor=", "--after-cursor=")) for arg in positioning):
        # journalctl refuses --since beside a cursor ("Please specify only one of
        # --since=, --cursor=, and --after-cursor="): a read from a cursor filters by time itself.
        query = replace(query, since=None)
    return ["journalctl", "--no-pager", "--quiet", "--output=json", f"--output-fields={OUTPUT_FIELDS}",
            *positioning, *query.filter_args()]


async def _spawn(argv: list[str], env: dict[str, str] | None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, limit=1 << 20)


async def _end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass
    await proc.wait()


def _failure(stderr: bytes, returncode: int | None) -> JournalError:
    words = stderr.decode(errors="replace").strip() or f"journalctl exited with status {returncode}"
    return JournalError(words.splitlines()[-1])


async def read_entries(query: LogQuery, env: dict[str, str] | None = None, *, lines: int = 200,
                       before: str | None = None, after: str | None = None) -> list[Entry]:
    """Oldest first: the last `lines` entries, or the `lines` just before the entry at
    cursor `before`, or the `lines` just after cursor `after`."""
    lines = max(1, min(int(lines), MAX_LINES))
    if before is not None:
        positioning = ["--reverse", f"--cursor={check_cursor(before)}", f"--lines={lines + 1}"]
    elif after is not None:
        positioning = [f"--after-cursor={check_cursor(after)}", f"--lines={lines}"]
    else:
        positioning = ["--reverse", f"--lines={lines}"]
    proc = await _spawn(journalctl_argv(query, *positioning), env)
    try:
        out, err = await proc.communicate()
    finally:
        await _end(proc)
    # journalctl exits 1 when --grep matched nothing; that is an empty answer, not a failure.
    if proc.returncode != 0 and err.strip():
        raise _failure(err, proc.returncode)
    entries = [parse_entry(line) for line in out.splitlines() if line.strip()]
    if before is not None:
        floor = None if query.since is None else query.since * 1_000_000
        entries = [e for e in entries if e.cursor != before and (floor is None or e.time_us >= floor)][:lines]
    if after is None:
        entries.reverse()
    return entries


async def stream_lines(query: LogQuery, env: dict[str, str] | None = None) -> AsyncIterator[Entry]:
    """Every entry of the query, oldest first, read as journalctl writes them (for
    downloads of any size); the journalctl ends with the iteration, however it ends."""
    proc = await _spawn(journalctl_argv(query), env)
    try:
        while line := await proc.stdout.readline():
            if line.strip():
                yield parse_entry(line)
    finally:
        await _end(proc)


async def batched(chunks: AsyncIterator[list[Entry]], *, max_lines: int = BATCH_LINES) -> AsyncIterator[list[Entry]]:
    """Regroup chunks of entries into batches of at most `max_lines`.  A batch goes out
    as soon as the source has nothing more ready: no line waits for a timer, and the
    lines that came while the previous batch was being sent go out together (a fast
    source makes fewer, fuller batches).  The source is read ahead by at most a few
    batches, then waits."""
    ready: deque[Entry] = deque()
    arrived = asyncio.Event()  # lines are ready, or the source has ended
    room = asyncio.Event()
    room.set()
    ended = False
    failure: BaseException | None = None
    high_water = 4 * max_lines

    async def pump() -> None:
        nonlocal ended, failure
        try:
            async for chunk in chunks:
                ready.extend(chunk)
                arrived.set()
                if len(ready) >= high_water:
                    room.clear()
                    await room.wait()
        except Exception as error:  # handed to the reader, raised where it reads
            failure = error
        finally:
            ended = True
            arrived.set()

    pumping = asyncio.create_task(pump())
    try:
        while True:
            await arrived.wait()
            if ready:
                out = [ready.popleft() for _ in range(min(max_lines, len(ready)))]
                if len(ready) < high_water:
                    room.set()
                yield out
            elif ended:
                if failure is not None:
                    raise failure
                return
            else:
                arrived.clear()
    finally:
        # The source may be suspended inside the pump: cancel it and let it unwind
        # (its own finally kills journalctl), then close it.
        pumping.cancel()
        await asyncio.gather(pumping, return_exceptions=True)
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


@dataclass
class JournalFollower:
    """The entries of `query` written after cursor `after` (or, without a cursor, after
    time `since_floor`, or the last `last_lines` entries), in batches (see `batched`).  If journalctl ends under it (for
    instance journald was restarted) a new one takes over after the last cursor read,
    so no line is lost and none comes twice.  `close()` kills journalctl."""
    query: LogQuery
    env: dict[str, str] | None = None
    after: str | None = None
    since_floor: float | None = None
    last_lines: int = 0
    restarts: int = 0
    _proc: asyncio.subprocess.Process | None = field(default=None, repr=False)
    _closed: bool = False

    def _argv(self) -> list[str]:
        if self.after:
            # --lines=all: with --follow, journalctl otherwise prints only the last 10
            # entries, even after a cursor (seen with systemd 252).
            return journalctl_argv(self.query, "--follow", "--lines=all",
                                   f"--after-cursor={check_cursor(self.after)}")
        query = self.query
        if self.since_floor is not None and (query.since is None or query.since < self.since_floor):
            query = replace(query, since=self.since_floor)
        lines = "all" if query.since is not None else str(self.last_lines)
        return journalctl_argv(query, "--follow", f"--lines={lines}")

    async def chunks(self) -> AsyncIterator[list[Entry]]:
        """Entries as journalctl writes them, one list per read of its output."""
        try:
            while not self._closed:
                self._proc = proc = await _spawn(self._argv(), self.env)
                read_before, pending = self.after, b""
                while chunk := await proc.stdout.read(1 << 16):
                    *complete, pending = (pending + chunk).split(b"\n")
                    entries = [parse_entry(line) for line in complete if line.strip()]
                    if entries:
                        self.after = entries[-1].cursor
                        yield entries
                err = await proc.stderr.read()
                await _end(proc)
                if self._closed:
                    return
                if self.after == read_before and err.strip():
                    raise _failure(err, proc.returncode)
                self.restarts += 1
                await asyncio.sleep(0.2)  # a pause before the next journalctl, not a poll
        finally:
            await self.close()

    def batches(self, **batching) -> AsyncIterator[list[Entry]]:
        return batched(self.chunks(), **batching)

    async def close(self) -> None:
        self._closed = True
        if self._proc is not None:
            await _end(self._proc)


# -- what to read for a container, a pod or a unit ----------------------------------

SOURCE_KINDS = ("all", "container", "pod", "unit")
UNIT_NAME_PATTERN = re.compile(r"[A-Za-z0-9:_.\\@-]{1,255}")
UNIT_SUFFIXES = (".service", ".socket", ".timer", ".target", ".scope", ".slice", ".mount", ".path")
# Drivers whose lines podman sends to journald (passthrough writes to conmon's
# stdout, which journald files under the unit that runs it).
JOURNALD_DRIVERS = ("journald", "passthrough", "")


@dataclass(frozen=True)
class LogSource:
    kind: str
    name: str
    terms: tuple[tuple[Match, ...], ...]
    description: str
    log_driver: str = "journald"
    note: str = ""
    log_path: str = ""  # a k8s-file container's log file (engine/podman/log_file.py)

    @property
    def via_podman(self) -> bool:
        """A container with another log driver (k8s-file): journald has no lines of it."""
        return self.log_driver not in JOURNALD_DRIVERS


async def journal_field_values(field_name: str, env: dict[str, str] | None = None) -> set[str]:
    """Every value journald has for a field (`journalctl -F`, read from its index)."""
    proc = await _spawn(["journalctl", "--no-pager", f"--field={field_name}"], env)
    try:
        out, _ = await proc.communicate()
    finally:
        await _end(proc)
    return set(out.decode(errors="replace").splitlines())


async def resolve_source(kind: str, name: str, *, podman, env: dict[str, str] | None = None,
                         user: bool = True, embedded: bool = False) -> LogSource:
    """The journal matches of a container, a pod or a unit.  `podman` is the scope's
    PodmanClient.  A container podman no longer knows is still found by the lines it
    left in the journal: logs outlive their containers."""
    from engine.podman.errors import NotFound  # the engine is optional for units

    kind, name = (kind or "all").strip().lower(), (name or "").strip()
    if kind not in SOURCE_KINDS:
        raise BadQuery(f"unknown kind {kind[:20]!r}: use {', '.join(SOURCE_KINDS)}")
    if kind == "all" or not name:
        return LogSource("all", "", (), "the whole journal")
    if len(name) > 255 or "\n" in name or "=" in name:
        raise BadQuery(f"not a {kind} name: {name[:60]!r}")
    if kind == "unit":
        if not UNIT_NAME_PATTERN.fullmatch(name):
            raise BadQuery(f"not a unit name: {name[:60]!r}")
        if not name.endswith(UNIT_SUFFIXES):
            name += ".service"
        return LogSource("unit", name, unit_terms(name, user=user, embedded=embedded), f"unit {name}")
    if kind == "pod":
        try:
            pod = await podman.inspect_pod(name)
        except NotFound:
            raise BadQuery(f"no pod {name!r} here") from None
        members = sorted(c.get("Name") or c.get("Id") for c in pod.get("Containers") or [])
        if not members:
            raise BadQuery(f"pod {name!r} has no containers")
        # By id: an earlier, removed container of the same name left lines too.
        ids = [c.get("Id") or c.get("Name") for c in pod.get("Containers") or []]
        return LogSource("pod", pod.get("Name", name), container_terms(ids),
                         f"pod {pod.get('Name', name)} ({', '.join(members)})")
    try:
        container = await podman.inspect_container(name)
    except NotFound:
        if name in await journal_field_values("CONTAINER_NAME", env):
            return LogSource("container", name, container_terms([name]), f"container {name}",
                             note="podman no longer knows this container; its journal lines remain")
        raise BadQuery(f"no container {name!r}: podman does not know it and the journal has no lines from it") from None
    real_name = container.get("Name", name).lstrip("/")
    log_config = (container.get("HostConfig") or {}).get("LogConfig") or {}
    driver = log_config.get("Type") or ""
    # By full id (CONTAINER_ID_FULL), not by name: a removed container of the same
    # name left lines in the journal that are not this container's.
    source = LogSource("container", real_name, container_terms([container.get("Id") or real_name]),
                       f"container {real_name}", log_driver=driver, log_path=log_config.get("Path") or "")
    if source.via_podman:
        return replace(source, note=f"log driver {driver}: read through Podman's logs API, not journald")
    return source
