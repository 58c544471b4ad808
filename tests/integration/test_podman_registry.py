"""Pulls through the loopback registry (tests/integration/local_registry.py), with
podman's progress; the registry's own test."""
import pytest

from tests.integration.local_registry import LocalRegistry

pytestmark = pytest.mark.integration


async def test_pull_through_the_local_registry_shows_progress(user_scope, tmp_path):
    from engine.podman import NotFound, PodmanClient, PodmanError

    with LocalRegistry(tmp_path) as registry:
        registry.publish("localhost/busybox:latest", "phc/pulled:1")
        reference = registry.reference("phc/pulled:1")
        async with PodmanClient(user_scope.podman_socket) as client:
            try:
                steps = [step async for step in client.pull_image(reference, tls_verify=False)]
                assert steps[-1].done
                assert (await client.inspect_image(reference))["Id"] == steps[-1].image_id
                assert any(step.message.startswith("Copying blob") for step in steps)
                with pytest.raises(PodmanError):
                    async for _ in client.pull_image(registry.reference("phc/missing:1"), tls_verify=False):
                        pass
            finally:
                try:
                    await client.remove_image(reference, force=True)
                except NotFound:
                    pass
