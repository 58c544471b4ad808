"""Image pulls in progress: a pull runs as a job of this server process
(dashboard.live.progress), so the pull outlives the request that started it; the
page follows podman's lines and a percent over a websocket
(dashboard.consumers.podman_live.PullProgressConsumer)."""
from __future__ import annotations

from asgiref.sync import sync_to_async

from dashboard import audit
from dashboard.host.podman_clients import client_for
from dashboard.live.progress import ProgressJob, ProgressJobs
from engine.podman import PodmanError

PULL_STEPS = (("getting image source", 10), ("copying blob", 20), ("copying config", 80),
              ("writing manifest", 90), ("storing signatures", 95))


def pull_percent(previous: int, message: str) -> int:
    """A progress estimate from podman's pull messages (it reports steps, not bytes):
    blobs advance the bar towards 75%, the later steps fix it."""
    lower = message.lower()
    for needle, percent in PULL_STEPS:
        if lower.startswith(needle):
            if needle == "copying blob":
                return min(75, max(previous, 20) + 10)
            return max(previous, percent)
    return previous


class ImagePulls(ProgressJobs):
    """Image pulls in progress (dashboard.live.progress): podman's lines, with a percent."""

    def __init__(self):
        super().__init__("pull")

    def start_pull(self, job: str, scope: str, reference: str, user, tls_verify: bool = True) -> ProgressJob:
        pull = ProgressJob(job, scope, info={"reference": reference, "tls_verify": tls_verify})
        return self.start(pull, lambda pull: self._pull(pull, user))

    async def _pull(self, pull: ProgressJob, user) -> None:
        reference = pull.info["reference"]
        percent = 0
        try:
            async for step in client_for(pull.scope).pull_image(reference, tls_verify=pull.info["tls_verify"]):
                percent = 100 if step.done else pull_percent(percent, step.message)
                await self.emit(pull, message=step.message, percent=percent, image_id=step.image_id)
            result, detail = "ok", ""
        except PodmanError as error:
            result, detail = "failed", str(error)
            await self.emit(pull, message=str(error), percent=percent, error=True)
        await self.emit(pull, message="done" if result == "ok" else "failed", percent=100 if result == "ok" else percent,
                        finished=True, error=result != "ok")
        await sync_to_async(audit.record)(user, "image-pull", scope=pull.scope, target=reference,
                                          result=result, detail=detail)


image_pulls = ImagePulls()
