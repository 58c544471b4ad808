"""dashboard.live.podman_watch: what a page rendered at some position may have missed."""
from dashboard.live import podman_watch
from dashboard.live.podman_watch import ScopeWatch


def watch() -> ScopeWatch:
    w = ScopeWatch("user")
    w.covered = True
    w.tasks = [_Running()]  # alive, as if its tasks ran
    return w


class _Running:
    def done(self):
        return False


def row(ident, state="running"):
    return {ident: {"id": ident, "state": state}}


def test_rows_published_after_a_position_and_only_their_latest_form():
    w = watch()
    w._record("containers", row("a"))
    at = w.position()
    w._record("containers", row("b"))
    w._record("pods", row("p"))
    w._record("containers", {**row("b", "exited"), **row("c"), "d": None})
    assert [(key, r and r["state"]) for key, r in w.since("containers", at).items()] == [
        ("b", "exited"), ("c", "running"), ("d", None)]
    assert list(w.since("pods", at)) == ["p"]
    assert w.since("images", at) == {}


def test_no_catch_up_before_the_stream_is_open_across_a_reopened_stream_or_when_forgotten(monkeypatch):
    w = watch()
    w.covered = False
    assert w.position() == "" and w.since("containers", "0.0") is None
    w.covered = True
    at = w.position()
    w.epoch += 1  # the event stream was reopened: events may have been missed meanwhile
    assert w.since("containers", at) is None
    assert w.since("containers", "") is None and w.since("containers", "garbage") is None
    monkeypatch.setattr(podman_watch, "KEPT_ROWS", 2)
    at = w.position()
    w._record("containers", {**row("a"), **row("b"), **row("c")})
    assert w.since("containers", at) is None  # "a" was forgotten: the page must read podman
    at = w.position()
    w._record("containers", row("d"))
    assert list(w.since("containers", at)) == ["d"]
