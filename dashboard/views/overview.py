"""The overview of a scope: bars of how containers, pods and units are doing, the
images' count and size, and what needs attention.  Kept live by
dashboard/consumers/overview.py, which re-renders the body when something changes."""
from __future__ import annotations

import asyncio

from dashboard import overview
from dashboard.host import scopes
from dashboard.live import unit_watch
from dashboard.live.per_loop import PerLoop
from dashboard.host.podman_clients import client_for
from dashboard.views.rendering import arender
from engine.podman import PodmanError


async def overview_context(scope_name: str) -> dict:
    """Everything the body shows, from one list call per kind and the unit watcher's rows."""
    client = client_for(scope_name)
    answers = await asyncio.gather(client.list_containers(all=True), client.list_pods(), client.list_images(),
                                   return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, PodmanError):
            raise answer
    podman_error = next((str(a) for a in answers if isinstance(a, PodmanError)), "")
    containers, pods, images = ([] if isinstance(a, BaseException) else a for a in answers)
    watch = await unit_watch.watch_for(scopes.get_scope(scope_name))
    rows = watch.snapshot()
    units_bar = overview.units_bar(rows)
    image_count, image_bytes = overview.images_total(images)
    return {"scope": scope_name, "podman_error": podman_error, "units_live": watch.live,
            "containers_bar": overview.containers_bar(containers),
            "container_count": sum(1 for c in containers if not c.is_infra),
            "pods_bar": overview.pods_bar(pods), "pod_count": len(pods),
            "units_bar": units_bar, "unit_count": sum(s.count for s in units_bar),
            "image_count": image_count, "image_bytes": image_bytes,
            "attention": overview.attention(containers, rows)}


# The overview being computed per (loop, scope), with when it began: every open page
# that a change wakes asks at the same moment, and one set of list calls serves them all.
_in_flight: PerLoop[tuple[float, asyncio.Future]] = PerLoop()


async def shared_overview_context(scope_name: str, not_before: float) -> dict:
    """overview_context, shared with the other pages asking now; a computation begun
    before `not_before` (loop time of the change that woke the caller) is not reused."""
    loop = asyncio.get_running_loop()
    in_flight = _in_flight.here()
    began, future = in_flight.get(scope_name, (0.0, None))
    if future is None or began < not_before:
        began, future = in_flight[scope_name] = (loop.time(), asyncio.ensure_future(overview_context(scope_name)))
    return await asyncio.shield(future)


async def overview_page(request, scope):
    context = await overview_context(scope.name)
    return await arender(request, "overview/page.html", context)
