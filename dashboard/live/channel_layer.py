"""The channel layer of a Podhouse process (settings.CHANNEL_LAYERS): Channels' in-memory
layer, changed for pages that stay open for days, a hundred at a time.

Channels' InMemoryChannelLayer
  - ends a group membership a day after it was made (group_expiry), so a page open
    longer silently stopped being live;
  - drops a message for a page whose queue is full (capacity 100) without a word, and
    takes a page whose oldest message waited a minute out of every group;
  - sends a group message as one task and one deep copy per member, after a sweep of
    every channel and group (a third of the layer's time under the soak of 100 pages,
    bench/bench_soak.py).
Here a membership lasts until the page's socket closes (dashboard.consumers.base
leaves its groups then); a page that falls CAPACITY messages behind loses its queue
and gets one "layer.behind" message instead, on which its consumer closes the socket
with "try again later" and the page reconnects and draws itself again (nothing is
skipped in silence); a group message goes straight into each member's queue, as a
shallow copy: the data inside it is shared and read-only.  What a closed page left in
its queue is swept, at most every SWEEP_SECONDS, once it is in no group and its oldest
message is older than the layer's expiry."""
from __future__ import annotations

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

CAPACITY = 2000  # messages waiting for one page; a page this far behind is redrawn
BEHIND = {"type": "layer.behind"}
SWEEP_SECONDS = 30.0


class ProcessChannelLayer(InMemoryChannelLayer):
    def __init__(self, capacity: int = CAPACITY, **kwargs):
        super().__init__(capacity=capacity, **kwargs)
        self._swept_at = time.monotonic()

    def _clean_expired(self) -> None:
        """Memberships end with their socket; only the queues of closed pages go."""
        now = time.monotonic()
        if now - self._swept_at < SWEEP_SECONDS:
            return
        self._swept_at = now
        members = set().union(*self.groups.values()) if self.groups else set()
        for channel, queue in list(self.channels.items()):
            if channel not in members and not queue.empty() and queue._queue[0][0] < time.time():
                del self.channels[channel]

    def _deliver(self, channel: str, message: dict) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        if queue.full():
            log.warning("channel %s fell %d messages behind: it is told to start again", channel, queue.qsize())
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait((time.time() + self.expiry, dict(BEHIND)))
            return
        if queue.qsize() == 1 and queue._queue[0][1] == BEHIND:
            return  # told to start again already: what it reads then includes this
        queue.put_nowait((time.time() + self.expiry, dict(message)))

    async def send(self, channel: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        self._clean_expired()
        self._deliver(channel, message)

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            self._deliver(channel, message)
