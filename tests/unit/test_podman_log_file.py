"""Reading a k8s-file log beside Podman's logs API (engine/podman/log_file.py): the
records as the API gives them, and the merge that sends each line once, first come."""
import asyncio

import pytest

from engine.podman.log_cursors import LogLine
from engine.podman.log_file import LogFileGone, RecordJoiner, api_stamp, first_of, log_file_pairs, parse_record


def test_api_stamp_is_the_second_with_gos_rfc3339_zone():
    assert api_stamp("2026-12-03T06:54:53.028141256+00:00") == "2026-12-03T06:54:53Z"
    assert api_stamp("2026-12-03T07:54:53.000000001+01:00") == "2026-12-03T07:54:53+01:00"
    assert api_stamp("2026-12-03T06:54:53Z") == "2026-12-03T06:54:53Z"
    assert api_stamp("2026-12-03T06:54:53-05:30") == "2026-12-03T06:54:53-05:30"


def test_records_and_their_parts_become_the_apis_pairs():
    assert parse_record("2026-12-03T06:54:53.1+00:00 stdout F a b  c") == (
        "2026-12-03T06:54:53.1+00:00", "stdout", False, "a b  c")
    assert parse_record("2026-12-03T06:54:53.1+00:00 stdout F") == ("2026-12-03T06:54:53.1+00:00", "stdout", False, "")
    assert parse_record("garbage") is None and parse_record("") is None
    joiner = RecordJoiner()
    records = ["2026-12-03T06:54:53.1+00:00 stdout P part-",
               "2026-12-03T06:54:54.2+00:00 stderr F err",
               "2026-12-03T06:54:54.3+00:00 stdout P two-",
               "2026-12-03T06:54:55.4+00:00 stdout F end"]
    pairs = [pair for pair in map(joiner.feed, records) if pair]
    # a line's parts carry the first part's time, as the API's line does; streams apart
    assert pairs == [("stderr", "2026-12-03T06:54:54Z err"), ("stdout", "2026-12-03T06:54:53Z part-two-end")]


async def test_the_file_is_read_from_its_start_then_followed_and_a_replaced_file_ends_it(tmp_path):
    path = tmp_path / "ctr.log"
    path.write_text("2026-12-03T06:54:53.1+00:00 stdout F one\n2026-12-03T06:54:53.2+00:00 stdout F tw")
    assert [p async for p in log_file_pairs(str(path), follow=False)] == [("stdout", "2026-12-03T06:54:53Z one")]
    pairs = log_file_pairs(str(path))
    assert await asyncio.wait_for(anext(pairs), 2) == ("stdout", "2026-12-03T06:54:53Z one")
    waiting = asyncio.ensure_future(anext(pairs))  # a record half written waits for its end
    await asyncio.sleep(0.05)
    assert not waiting.done()
    with path.open("a") as log:
        log.write("o\n2026-12-03T06:54:54.3+00:00 stdout F three\n")
    # woken by inotify, not by the one-second safety look
    assert await asyncio.wait_for(waiting, 0.5) == ("stdout", "2026-12-03T06:54:53Z two")
    assert await asyncio.wait_for(anext(pairs), 0.5) == ("stdout", "2026-12-03T06:54:54Z three")
    replaced = tmp_path / "new.log"
    replaced.write_text("")
    replaced.rename(path)
    with pytest.raises(LogFileGone):
        await asyncio.wait_for(anext(pairs), 2)


def line(n: int) -> LogLine:
    return LogLine(f"podman;t=2026-12-03T06:54:53Z;n={n}", 0, 6, "stdout", "", f"line {n}")


async def source(lines, delays, fail: BaseException | None = None):
    for item, delay in zip(lines, delays):
        await asyncio.sleep(delay)
        yield [item]
    if fail is not None:
        raise fail


async def collect(merged):
    return [l.message for chunk in [c async for c in merged] for l in chunk]


async def test_each_line_is_sent_once_by_whichever_source_has_it_first():
    lines = [line(n) for n in range(1, 7)]
    # the file has lines 1-4 early, then stops helping (rotated); the API brings all
    api = source(lines, [0.03] * 6)
    early = source(lines[:4], [0.0, 0.0, 0.0, 0.0], fail=LogFileGone("rotated"))
    tally = {}
    assert await collect(first_of(api, early, tally)) == [f"line {n}" for n in range(1, 7)]
    assert tally == {"api": 2, "early": 4, "disagreements": 0}


async def test_the_api_ends_the_merge_and_its_failure_is_raised():
    lines = [line(n) for n in range(1, 4)]
    tally = {}
    # the early source never ends (a file followed for ever): the API's end ends all
    forever = source(lines + [line(9)] * 1000, [0.0, 0.0, 0.0] + [3600] * 1000)
    assert await collect(first_of(source(lines, [0.05] * 3), forever, tally)) == ["line 1", "line 2", "line 3"]
    assert tally["early"] == 3
    with pytest.raises(RuntimeError, match="podman went away"):
        await collect(first_of(source(lines, [0.0] * 3, fail=RuntimeError("podman went away")), source([], [])))


async def test_a_file_that_disagrees_with_the_api_is_no_longer_read():
    api_lines = [line(n) for n in range(1, 6)]
    file_lines = [line(1), line(2), line(7), line(8), line(9)]  # not the API's from the third on
    tally = {}
    got = await collect(first_of(source(api_lines, [0.05] * 5), source(file_lines, [0.0, 0.0, 0.2, 0.2, 0.2]), tally))
    assert got == [f"line {n}" for n in range(1, 6)]
    assert tally == {"api": 3, "early": 2, "disagreements": 1}  # seen when the file's third came
    tally = {}
    got = await collect(first_of(source(api_lines, [0.05] * 5), source(file_lines, [0.0, 0.0, 0.0, 0.0, 0.0]), tally))
    # the file was first with all its lines, wrong ones included (sent: they cannot be
    # called back); the API's lines show each disagreement, which is logged and
    # counted, and the file is read no more
    assert got == ["line 1", "line 2", "line 7", "line 8", "line 9"] and tally["disagreements"] == 3
