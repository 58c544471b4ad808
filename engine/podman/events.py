"""Podman's event stream as typed events."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# The type of the synthetic event a reconnecting stream yields after a gap: whoever
# keeps state from events should re-read everything, as events may have been missed.
RECONNECTED = "reconnected"
# The synthetic event a reconnecting stream yields once when its stream breaks (or
# cannot be opened): what is shown from events is no longer live until RECONNECTED.
LOST = "lost"


@dataclass(frozen=True)
class Event:
    type: str          # container, pod, image, volume, network, ... or RECONNECTED, LOST
    action: str        # create, start, died, remove, pull, ...
    id: str = ""
    name: str = ""
    time_nano: int = 0
    attributes: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> "Event":
        actor = data.get("Actor") or {}
        attributes = dict(actor.get("Attributes") or {})
        time_nano = int(data.get("timeNano") or 0) or int(data.get("time") or 0) * 1_000_000_000
        return cls(type=(data.get("Type") or "").lower(), action=(data.get("Action") or data.get("status") or ""),
                   id=actor.get("ID") or data.get("id") or "", name=attributes.get("name", ""),
                   time_nano=time_nano, attributes=attributes)

    @property
    def pod_id(self) -> str:
        return self.attributes.get("podId", "")

    @classmethod
    def reconnected(cls) -> "Event":
        return cls(type=RECONNECTED, action=RECONNECTED)

    @classmethod
    def lost(cls) -> "Event":
        return cls(type=LOST, action=LOST)


# How far back a reconnecting stream asks podman to replay.  Podman writes its events
# in the order operations finish, not in the order of their times (seen here: 297 of
# 3,333 events of a test run, up to 0.13 s out of order; an image's "remove" always
# after its later-timed "untag"), so "replay since the newest time seen" would skip
# the late-written ones.
REPLAY_OVERLAP_NS = 2_000_000_000


class ReplayFilter:
    """Tells apart, in an event stream that is opened again after a break, the events
    given before (podman replays them) from those not yet given.

    An event is known by its time, kind, action and actor, not by its time alone:
    events arrive out of time order and two can share a nanosecond, and comparing
    times dropped every late-written one (an image's removal never reached the
    lists).  The events of the last REPLAY_OVERLAP_NS before the newest
    are remembered; a stream is reopened from that far back."""

    def __init__(self, since_ns: int = 0):
        self.newest_ns = since_ns
        self._recent: deque[tuple[int, tuple]] = deque()
        self._keys: set[tuple] = set()

    def is_new(self, event: Event) -> bool:
        """True the first time an event is offered, False when it is offered again."""
        if not event.time_nano:
            return True  # nothing to know it by: given as it comes
        key = (event.time_nano, event.type, event.action, event.id, event.name)
        if key in self._keys:
            return False
        self._keys.add(key)
        self._recent.append((event.time_nano, key))
        self.newest_ns = max(self.newest_ns, event.time_nano)
        while self._recent and self._recent[0][0] < self.newest_ns - REPLAY_OVERLAP_NS:
            self._keys.discard(self._recent.popleft()[1])
        return True

    def since(self) -> str | None:
        """podman's `since` parameter for (re)opening the stream, None for "from now"."""
        if not self.newest_ns:
            return None
        start = max(self.newest_ns - REPLAY_OVERLAP_NS, 0) if self._recent else self.newest_ns
        return f"{start // 1_000_000_000}.{start % 1_000_000_000:09d}"
