"""Container resource use, one Podman stats stream per container per server process,
shared by every page that shows the container.

A page's socket joins the container's Channels group; the first viewer starts the
stream, each sample goes to the group (one read from podman, fanned out to every
page), and the stream stops when its last viewer leaves.  200 pages on one container
cost one stream.  An account may hold at most SOCKETS_PER_USER stats sockets at a
time (settings.STATS_SOCKETS_PER_USER): past that the socket is refused with a reason,
so one account cannot make the server hold streams for hundreds of containers."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from channels.layers import get_channel_layer

from dashboard.host import scopes
from engine.podman import NotFound, PodmanClient, PodmanError

SAMPLE_SECONDS = 1
CLOSE_TOO_MANY = 4429  # 4000-4999: left to applications; 429 as in "Too Many Requests"


def group_name(scope_name: str, container: str) -> str:
    # Group names are short ASCII; a container name may be 5,000 characters of anything.
    return f"stats.{scope_name}.{hashlib.sha1(container.encode()).hexdigest()}"


@dataclass
class _Stream:
    scope_name: str
    container: str
    viewers: set[str] = field(default_factory=set)
    task: asyncio.Task | None = None


class StatsStreams:
    """The process's streams, keyed by (scope, container)."""

    def __init__(self):
        self.streams: dict[tuple[str, str], _Stream] = {}
        self.sockets_by_user: Counter = Counter()
        self.started = 0  # streams opened on podman since the process started (for tests and benches)

    def running(self) -> int:
        return sum(1 for s in self.streams.values() if s.task is not None and not s.task.done())

    def admit(self, user_id, limit: int) -> bool:
        """Count one more socket for this account, unless it holds `limit` already."""
        if self.sockets_by_user[user_id] >= limit:
            return False
        self.sockets_by_user[user_id] += 1
        return True

    def release(self, user_id) -> None:
        self.sockets_by_user[user_id] -= 1
        if self.sockets_by_user[user_id] <= 0:
            del self.sockets_by_user[user_id]

    async def join(self, scope_name: str, container: str, channel_name: str) -> None:
        key = (scope_name, container)
        stream = self.streams.setdefault(key, _Stream(scope_name, container))
        await get_channel_layer().group_add(group_name(scope_name, container), channel_name)
        stream.viewers.add(channel_name)
        if stream.task is None or stream.task.done():
            self.started += 1
            stream.task = asyncio.create_task(self._read(stream))

    async def leave(self, scope_name: str, container: str, channel_name: str) -> None:
        key = (scope_name, container)
        await get_channel_layer().group_discard(group_name(scope_name, container), channel_name)
        stream = self.streams.get(key)
        if stream is None:
            return
        stream.viewers.discard(channel_name)
        if not stream.viewers:
            del self.streams[key]
            if stream.task is not None:
                stream.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await stream.task

    async def _read(self, stream: _Stream) -> None:
        group = group_name(stream.scope_name, stream.container)
        layer = get_channel_layer()
        end: dict
        # A client of its own: a stream held while pages are open must not take one
        # of the shared client's pooled connections from the pages' requests.
        try:
            async with PodmanClient(scopes.get_scope(stream.scope_name).podman_socket) as client:
                async for sample in client.container_stats(stream.container, SAMPLE_SECONDS):
                    await layer.group_send(group, {"type": "stats.message", "content": {"sample": sample.as_dict()}})
            end = {"gone": f"container {stream.container} was removed"}
        except NotFound:
            end = {"gone": f"no container {stream.container}"}
        except PodmanError as error:
            end = {"error": str(error)}
        # The viewers close on this; a page opened later starts a new stream.
        if self.streams.get((stream.scope_name, stream.container)) is stream:
            del self.streams[(stream.scope_name, stream.container)]
        await layer.group_send(group, {"type": "stats.message", "content": end, "last": True})


streams = StatsStreams()
