"""Pure logic of dashboard/journal.py: query arguments, input checks, entry parsing,
batching, and the cursors made for containers that do not log to journald."""
import asyncio
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from dashboard.host import journal

CURSOR = ("s=e6a9503090bb41e6956c2bc36d0c332f;i=18f;b=0fbcd9e5798b421981b08c951e5ac0e4;"
          "m=301e72b5;t=660d55e07b21a;x=c39c686220cb19c7")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc).timestamp()


def test_priority_and_boot_join_every_term_of_a_disjunction():
    query = journal.build_query(journal.unit_terms("web.service", user=False, embedded=False),
                                priority="err", boot="0fbcd9e5798b421981b08c951e5ac0e4")
    args = query.filter_args()
    terms = " ".join(args).split(" + ")
    assert len(terms) == 3
    for term, field_name in zip(terms, journal.SYSTEM_UNIT_FIELDS):
        assert term.split() == [f"{field_name}=web.service", "PRIORITY=0", "PRIORITY=1", "PRIORITY=2",
                                "PRIORITY=3", "_BOOT_ID=0fbcd9e5798b421981b08c951e5ac0e4"]


def test_whole_journal_with_priority_has_one_term_and_no_plus():
    assert journal.build_query(priority="1").filter_args() == ["PRIORITY=0", "PRIORITY=1"]
    assert journal.build_query().filter_args() == []


def test_user_units_on_the_embedded_stack_also_match_system_unit_fields():
    fields = [term[0][0] for term in journal.unit_terms("a.service", user=True, embedded=True)]
    assert fields[:3] == list(journal.USER_UNIT_FIELDS) and "_SYSTEMD_UNIT" in fields
    on_a_systemd_host = [term[0][0] for term in journal.unit_terms("a.service", user=True, embedded=False)]
    assert "_SYSTEMD_UNIT" not in on_a_systemd_host


def test_containers_by_name_share_one_term_and_ids_get_their_own():
    full_id = "a" * 64
    terms = journal.container_terms(["web", "db", full_id])
    assert terms == ((("CONTAINER_NAME", "web"), ("CONTAINER_NAME", "db")), (("CONTAINER_ID_FULL", full_id),))


def test_time_and_text_arguments():
    query = journal.build_query(since="2026-11-22 10:00", until="-30m", text="a.b(c", now=NOW)
    args = query.filter_args()
    assert f"--since=@{datetime(2026, 11, 22, 10, tzinfo=timezone.utc).timestamp():.6f}" in args
    assert f"--until=@{NOW - 1800:.6f}" in args
    assert r"--grep=a\.b\(c" in args and "--case-sensitive=false" in args


@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=["Cc"]), min_size=1, max_size=30))
def test_literal_pattern_matches_the_text_itself(text):
    import re
    # Python's re agrees with PCRE on backslash-escaped punctuation.
    assert re.search(journal.literal_pattern(text), f"xx{text}yy")


@pytest.mark.parametrize("value, expected", [
    ("today", datetime(2026, 11, 22, tzinfo=timezone.utc).timestamp()),
    ("yesterday", datetime(2026, 11, 21, tzinfo=timezone.utc).timestamp()),
    ("-2h", NOW - 7200), ("-15min", NOW - 900), ("-1d", NOW - 86400), ("now", NOW),
    ("2026-11-22T11:00:00+01:00", datetime(2026, 11, 22, 10, tzinfo=timezone.utc).timestamp()),
    ("", None),
])
def test_times_people_type(value, expected):
    assert journal.parse_time(value, NOW) == expected


@pytest.mark.parametrize("value", ["9999-99-99", "yesterdayish", "1800-01-01", "+5h", "2500-01-01", "-5 fortnights"])
def test_absurd_times_are_refused_with_a_message(value):
    with pytest.raises(journal.BadQuery, match="time"):
        journal.parse_time(value, NOW)


def test_since_after_until_is_refused():
    with pytest.raises(journal.BadQuery, match="after"):
        journal.build_query(since="-1h", until="-2h", now=NOW)


@pytest.mark.parametrize("value, expected", [("err", 3), ("3", 3), ("DEBUG", 7), ("", None), (0, 0)])
def test_priorities(value, expected):
    assert journal.parse_priority(value) == expected


@pytest.mark.parametrize("value", ["8", "-1", "loud", "3; rm -rf"])
def test_bad_priorities(value):
    with pytest.raises(journal.BadQuery, match="priority"):
        journal.parse_priority(value)


def test_boots():
    assert journal.parse_boot("current", current="ab" * 16) == "ab" * 16
    assert journal.parse_boot("0fbcd9e5-798b-4219-81b0-8c951e5ac0e4") == "0fbcd9e5798b421981b08c951e5ac0e4"
    assert journal.parse_boot("all") is None
    with pytest.raises(journal.BadQuery, match="boot"):
        journal.parse_boot("-1")


@pytest.mark.parametrize("value", ["garbage", CURSOR + ";", CURSOR.replace("s=", "q="), "", None, 42, CURSOR + "\n"])
def test_malformed_cursors_are_refused(value):
    with pytest.raises(journal.BadQuery, match="cursor"):
        journal.check_cursor(value)


def test_a_real_cursor_passes():
    assert journal.check_cursor(CURSOR) == CURSOR


def test_parse_entry_takes_container_name_strips_one_newline_and_decodes_bytes():
    line = json.dumps({"__CURSOR": CURSOR, "__REALTIME_TIMESTAMP": "1795319382127130", "PRIORITY": "3",
                       "CONTAINER_NAME": "web", "SYSLOG_IDENTIFIER": "conmon", "MESSAGE": "two\n\n"})
    entry = journal.parse_entry(line)
    assert entry == journal.Entry(CURSOR, 1795319382127130, 3, "web", "", "two\n")
    binary = journal.parse_entry(json.dumps({"__CURSOR": CURSOR, "MESSAGE": list(b"caf\xc3\xa9 \xff"), "_PID": "7",
                                             "_COMM": "sh"}))
    assert binary.message == "café \ufffd" and binary.origin == "sh" and binary.priority == 6 and binary.pid == "7"
    assert "not shown" in journal.parse_entry(json.dumps({"__CURSOR": CURSOR, "MESSAGE": None})).message


def test_format_text_is_one_utc_line():
    entry = journal.Entry(CURSOR, 1795319382127130, 6, "web", "12", "hello")
    assert journal.format_text(entry) == "2026-11-22T03:49:42.127130Z web[12]: hello\n"


async def _chunks(plan):
    """Chunks of numbered entries after given pauses: [(pause_seconds, count), ...]."""
    number = 0
    for pause, count in plan:
        await asyncio.sleep(pause)
        chunk = []
        for _ in range(count):
            number += 1
            chunk.append(journal.Entry(f"c{number}", number, 6, "t", "", str(number)))
        yield chunk


async def test_batches_hold_at_most_max_lines_and_lose_nothing():
    batches = [b async for b in journal.batched(_chunks([(0, 1234), (0, 10)]), max_lines=500)]
    assert [len(b) for b in batches[:2]] == [500, 500]
    assert max(len(b) for b in batches) <= 500
    assert [e.message for b in batches for e in b] == [str(n) for n in range(1, 1245)]


async def test_every_line_goes_out_at_once_and_lines_ready_together_go_together():
    loop = asyncio.get_running_loop()
    started = loop.time()
    times = []
    async for batch in journal.batched(_chunks([(0, 1), (0.001, 1), (0.001, 1), (0.2, 1)])):
        times.append((loop.time() - started, len(batch)))
    assert [n for _, n in times] == [1, 1, 1, 1]
    assert times[2][0] < 0.04  # no window holds the third line back

    async def burst():
        # three chunks ready at once (no pause between them): one batch
        for number in range(3):
            yield [journal.Entry(f"c{number}", number, 6, "t", "", str(number))]

    batches = journal.batched(burst())
    assert [e.message for e in await anext(batches)] == ["0", "1", "2"]
    await batches.aclose()


async def test_a_failing_source_raises_where_the_batches_are_read():
    async def failing():
        yield [journal.Entry("c", 0, 6, "", "", "x")]
        raise journal.JournalError("journalctl: gone")

    got = []
    with pytest.raises(journal.JournalError, match="gone"):
        async for batch in journal.batched(failing()):
            got.append(batch)
    assert [len(b) for b in got] == [1]


async def test_closing_batches_closes_the_source():
    closed = asyncio.Event()

    async def endless():
        try:
            while True:
                yield [journal.Entry("c", 0, 6, "", "", "x")]
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    batches = journal.batched(endless())
    assert len(await anext(batches)) == 1
    await batches.aclose()
    assert closed.is_set()
