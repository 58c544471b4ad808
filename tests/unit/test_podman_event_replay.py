"""engine.podman.events.ReplayFilter: a reopened event stream gives each event once,
however out of time order podman wrote them."""
from engine.podman.events import REPLAY_OVERLAP_NS, Event, ReplayFilter

S = 1_000_000_000


def created(ident: str, at_ns: int) -> Event:
    return Event(type="container", action="create", id=ident, name=ident, time_nano=at_ns)


def test_events_written_out_of_time_order_are_all_given():
    # podman's log of 8 concurrent creates: c2 finished (and was written) before c1
    replays = ReplayFilter()
    stream = [created("c0", 100 * S), created("c2", 100 * S + 130_000_000), created("c1", 100 * S + 5_000_000)]
    assert [e.id for e in stream if replays.is_new(e)] == ["c0", "c2", "c1"]


def test_two_events_of_the_same_nanosecond_are_both_given():
    replays = ReplayFilter()
    assert replays.is_new(created("a", 5 * S)) and replays.is_new(created("b", 5 * S))
    assert replays.is_new(Event(type="container", action="start", id="a", time_nano=5 * S))


def test_a_reopened_stream_replays_from_before_the_newest_and_skips_what_was_given():
    replays = ReplayFilter()
    given = [created("c0", 100 * S), created("c2", 100 * S + 130_000_000), created("c1", 100 * S + 5_000_000)]
    for event in given:
        replays.is_new(event)
    since = replays.since()
    seconds, nanos = (int(part) for part in since.split("."))
    assert seconds * S + nanos == 100 * S + 130_000_000 - REPLAY_OVERLAP_NS
    # podman replays from there: what was given is skipped, a late-written one is not
    replayed = [*given, created("c3", 100 * S + 60_000_000), created("c4", 101 * S)]
    assert [e.id for e in replayed if replays.is_new(e)] == ["c3", "c4"]


def test_memory_is_bounded_to_the_overlap():
    replays = ReplayFilter()
    for n in range(10_000):
        replays.is_new(created(f"c{n}", n * S // 10))  # ten a second for 1,000 s
    assert len(replays._keys) <= 10 * REPLAY_OVERLAP_NS // S + 1


def test_the_first_open_starts_where_asked_and_an_event_without_time_is_given():
    assert ReplayFilter().since() is None
    assert ReplayFilter(7 * S + 5).since() == "7.000000005"
    replays = ReplayFilter()
    untimed = Event(type="container", action="create", id="x")
    assert replays.is_new(untimed) and replays.is_new(untimed)
