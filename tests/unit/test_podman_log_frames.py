"""The libpod logs stream decoder: frames, split frames, raw (tty) output."""
import struct

from hypothesis import given, strategies as st

from engine.podman.log_frames import LogFrameDecoder


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(payload)) + payload


def test_frames_become_lines_with_their_stream():
    decoder = LogFrameDecoder()
    data = frame(1, b"out1\n") + frame(2, b"err1\n") + frame(1, b"out2\n")
    assert decoder.feed(data) + decoder.finish() == [("stdout", "out1"), ("stderr", "err1"), ("stdout", "out2")]


def test_a_frame_cut_anywhere_waits_for_its_rest():
    data = frame(1, b"hello world\n") + frame(2, b"oops\n")
    for cut in range(1, len(data)):
        decoder = LogFrameDecoder()
        lines = decoder.feed(data[:cut]) + decoder.feed(data[cut:]) + decoder.finish()
        assert lines == [("stdout", "hello world"), ("stderr", "oops")], cut


def test_a_line_split_over_frames_is_joined_and_a_last_partial_line_kept():
    decoder = LogFrameDecoder()
    lines = decoder.feed(frame(1, b"par") + frame(1, b"tial\nnext")) + decoder.finish()
    assert lines == [("stdout", "partial"), ("stdout", "next")]


def test_output_without_headers_is_read_as_stdout():
    decoder = LogFrameDecoder()
    lines = decoder.feed(b"plain tty output\r\nsecond") + decoder.finish()
    assert lines == [("stdout", "plain tty output"), ("stdout", "second")]


def test_short_raw_output_is_not_lost():
    decoder = LogFrameDecoder()
    assert decoder.feed(b"hi\n") == []
    assert decoder.finish() == [("stdout", "hi")]


@given(st.lists(st.tuples(st.sampled_from([1, 2]), st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
                                                                max_size=40)), max_size=20),
       st.integers(min_value=1, max_value=50))
def test_any_chunking_gives_the_same_lines(entries, chunk):
    data = b"".join(frame(s, (t + "\n").encode()) for s, t in entries)
    decoder = LogFrameDecoder()
    lines = []
    for start in range(0, len(data), chunk):
        lines += decoder.feed(data[start:start + chunk])
    lines += decoder.finish()
    assert lines == [("stdout" if s == 1 else "stderr", t) for s, t in entries]
