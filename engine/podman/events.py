"""Podman's event stream as typed events."""
from __future__ import annotations

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
