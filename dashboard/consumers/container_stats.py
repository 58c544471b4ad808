"""A container's live resource use for its detail page: Podman's stats stream (one
sample a second, taken by podman from the container's cgroup), passed on as JSON while
the page is open.  The stream is shared by every page showing the container
(dashboard.live.stats_streams); nothing runs when no page shows it."""
from __future__ import annotations

from django.conf import settings

from dashboard.consumers.base import CLOSE_NOT_FOUND, PodhouseConsumer, Refuse
from dashboard.host import scopes
from dashboard.live.stats_streams import CLOSE_TOO_MANY, streams


class ContainerStatsConsumer(PodhouseConsumer):
    async def connect(self):
        # The per-account limit is checked before the handshake is accepted.
        user = self.scope.get("user")
        self.counted = None
        self.stream_joined = False
        if user is not None and user.is_authenticated:
            limit = settings.STATS_SOCKETS_PER_USER
            if not streams.admit(user.pk, limit):
                await self.accept()
                await self.close(code=CLOSE_TOO_MANY, reason=(
                    f"This account has {limit} resource views open already: close some pages."))
                return
            self.counted = user.pk
        await super().connect()

    async def setup(self):
        self.scope_name, self.container = self.kwargs["scope"], self.kwargs["name"]
        if self.scope_name not in scopes.available_scopes():
            raise Refuse(CLOSE_NOT_FOUND)
        await streams.join(self.scope_name, self.container, self.channel_name)
        self.stream_joined = True

    async def stats_message(self, message):
        await self.send_json(message["content"])
        if message.get("last"):
            await self.close()

    async def closed(self):
        if self.stream_joined:
            self.stream_joined = False
            await streams.leave(self.scope_name, self.container, self.channel_name)

    async def disconnect(self, code):
        await super().disconnect(code)
        if self.counted is not None:
            streams.release(self.counted)
            self.counted = None
