"""engine.registry against a registry served on loopback (tests/integration/
local_registry.py: no real registry is reachable from this machine) and the real
podman: the digest it reads is the one podman records when it pulls."""
import subprocess

import pytest

from engine import registry
from engine.registry import Platform, RegistryError
from tests.integration.local_registry import LocalRegistry
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration


@pytest.fixture
def published(host_stack, tmp_path):
    with LocalRegistry(tmp_path / "open") as open_registry:
        open_registry.publish(BUSYBOX, "phr/box:1")
        yield open_registry


async def test_the_digest_is_the_one_podman_records_on_pull(published):
    reference = published.reference("phr/box:1")
    digest = await registry.manifest_digest(reference, tls_verify=False)
    # asked with HEAD only (Docker Hub counts GETs against its pull limit)
    assert [method for method, path in published.requests if "/manifests/" in path] == ["HEAD"]
    podman("pull", "-q", "--tls-verify=false", reference)
    try:
        inspect = podman("image", "inspect", reference, "--format", "{{.Digest}} {{.RepoDigests}}")
        assert digest in inspect
    finally:
        subprocess.run(["podman", "rmi", reference], capture_output=True)


async def test_a_registry_without_the_digest_header_is_read_and_hashed(published):
    reference = published.reference("phr/box:1")
    with_header = await registry.manifest_digest(reference, tls_verify=False)
    published.send_digest = False
    assert await registry.manifest_digest(reference, tls_verify=False) == with_header


async def test_a_list_is_narrowed_to_the_platform(published):
    published.publish(BUSYBOX, "phr/other:1")
    amd, arm = (published.manifests[("phr/box", "1")][2], published.manifests[("phr/other", "1")][2])
    published.publish_index("phr/multi:1", {("linux", "amd64"): "phr/box:1", ("linux", "arm64"): "phr/other:1"})
    reference = published.reference("phr/multi:1")
    assert await registry.manifest_digest(reference, tls_verify=False) == amd
    assert await registry.manifest_digest(reference, platform=Platform("linux", "arm64"), tls_verify=False) == arm
    with pytest.raises(RegistryError, match="no image for linux/s390x"):
        await registry.manifest_digest(reference, platform=Platform("linux", "s390x"), tls_verify=False)


async def test_unknown_tags_and_unreachable_registries_are_explained(published):
    with pytest.raises(RegistryError, match="has no phr/box:2"):
        await registry.manifest_digest(published.reference("phr/box:2"), tls_verify=False)
    with pytest.raises(RegistryError, match="cannot reach 127.0.0.1:9"):
        await registry.manifest_digest("127.0.0.1:9/x/y:1", tls_verify=False, timeout=5)
    # TLS verified: a plain-HTTP registry is not silently used
    with pytest.raises(RegistryError, match="cannot reach"):
        await registry.manifest_digest(published.reference("phr/box:1"), tls_verify=True, timeout=5)


async def test_a_token_challenge_is_answered_with_credentials(host_stack, tmp_path):
    with LocalRegistry(tmp_path / "private", credentials=("me", "pw")) as private:
        private.publish(BUSYBOX, "phr/box:1")
        reference = private.reference("phr/box:1")
        expected = private.manifests[("phr/box", "1")][2]
        assert await registry.manifest_digest(reference, tls_verify=False, creds=("me", "pw")) == expected
        assert ("GET", "/token") in private.requests
        with pytest.raises(RegistryError, match="refused an anonymous token"):
            await registry.manifest_digest(reference, tls_verify=False)
        with pytest.raises(RegistryError, match="refused the credentials"):
            await registry.manifest_digest(reference, tls_verify=False, creds=("me", "wrong"))
