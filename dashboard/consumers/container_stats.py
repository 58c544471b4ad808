"""A container's live resource use for its detail page: Podman's stats stream (one
sample a second, taken by podman from the container's cgroup), passed on as JSON while
the page is open.  Nothing runs when no page shows the container."""
from __future__ import annotations

import asyncio
import contextlib

from dashboard.host import scopes
from dashboard.consumers.base import LoginRequiredConsumer
from engine.podman import NotFound, PodmanClient, PodmanError

SAMPLE_SECONDS = 1


class ContainerStatsConsumer(LoginRequiredConsumer):
    async def on_connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.scope_name, self.container = kwargs["scope"], kwargs["name"]
        if self.scope_name not in scopes.available_scopes():
            await self.close(code=4404)
            return
        self.reader = asyncio.create_task(self._pass_on())

    async def _pass_on(self):
        # A client of its own: a stream held while the page is open must not take one
        # of the shared client's pooled connections from the pages' requests.
        try:
            async with PodmanClient(scopes.get_scope(self.scope_name).podman_socket) as client:
                async for sample in client.container_stats(self.container, SAMPLE_SECONDS):
                    await self.send_json({"sample": sample.as_dict()})
            await self.send_json({"gone": f"container {self.container} was removed"})
        except NotFound:
            await self.send_json({"gone": f"no container {self.container}"})
        except PodmanError as error:
            await self.send_json({"error": str(error)})
        await self.close()

    async def disconnect(self, code):
        reader = getattr(self, "reader", None)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
