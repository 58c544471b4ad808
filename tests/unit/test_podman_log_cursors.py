"""Cursors of Podman's logs API (engine/podman/log_cursors.py)."""
from datetime import datetime, timezone

import pytest

from engine.podman.log_cursors import BadLogCursor, PodmanLogCursor, PodmanLogReader

JOURNAL_CURSOR = ("s=e6a9503090bb41e6956c2bc36d0c332f;i=18f;b=0fbcd9e5798b421981b08c951e5ac0e4;"
                  "m=301e72b5;t=660d55e07b21a;x=c39c686220cb19c7")


def test_podman_log_cursor_round_trip_and_bad_input():
    cursor = PodmanLogCursor.parse("podman;t=2026-11-22T03:52:43Z;n=2")
    assert str(cursor) == "podman;t=2026-11-22T03:52:43Z;n=2" and cursor.count == 2
    assert cursor.since == datetime(2026, 11, 22, 3, 52, 43, tzinfo=timezone.utc).timestamp()
    for bad in ("podman;t=x;n=1", JOURNAL_CURSOR, "podman;t=2026-11-22T03:52:43Z;n=", ""):
        with pytest.raises(BadLogCursor):
            PodmanLogCursor.parse(bad)


def test_podman_log_reader_numbers_lines_of_one_second_and_resumes_after_them():
    lines = [("stdout", "2026-11-22T03:52:43Z a"), ("stderr", "2026-11-22T03:52:43Z b"),
             ("stdout", "2026-11-22T03:52:44.5+00:00 c"), ("stdout", "2026-11-22T03:52:44.5+00:00 d")]
    first = [PodmanLogReader().entry(*pair) for pair in lines[:1]]
    reader = PodmanLogReader()
    entries = [reader.entry(*pair) for pair in lines]
    assert [e.message for e in entries] == ["a", "b", "c", "d"] and entries[1].priority == 3
    assert entries[0].cursor == first[0].cursor
    resumed = PodmanLogReader(PodmanLogCursor.parse(entries[2].cursor))
    assert [e.message for e in (resumed.entry(*p) for p in lines) if e] == ["d"]
