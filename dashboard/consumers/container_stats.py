"""A container's live resource use for its detail page: Podman's stats stream (one
sample a second, taken by podman from the container's cgroup), passed on as JSON while
the page is open.  Nothing runs when no page shows the container: the reading task
is the consumer's own and ends with the socket."""
from __future__ import annotations

from dashboard.consumers.base import CLOSE_NOT_FOUND, PodhouseConsumer, Refuse
from dashboard.host import scopes
from engine.podman import NotFound, PodmanClient, PodmanError

SAMPLE_SECONDS = 1


class ContainerStatsConsumer(PodhouseConsumer):
    async def setup(self):
        self.scope_name, self.container = self.kwargs["scope"], self.kwargs["name"]
        if self.scope_name not in scopes.available_scopes():
            raise Refuse(CLOSE_NOT_FOUND)

    async def ready(self):
        self.spawn(self._pass_on(), f"stats-{self.container}")

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
