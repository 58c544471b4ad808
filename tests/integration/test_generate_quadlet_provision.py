"""The host stack provides Quadlet for real: the binary runs, systemd's generator
links point at it, and the machine's apt state still knows only its own release."""
import subprocess

import pytest

from dashboard.host import hoststack, quadlet_provision

pytestmark = pytest.mark.integration


def test_quadlet_generator_is_in_place_and_apt_state_untouched(host_stack):
    assert quadlet_provision.ensure(hoststack.STATE_DIR / "quadlet", log=lambda m: None) == quadlet_provision.QUADLET
    version = subprocess.run([str(quadlet_provision.QUADLET), "-version"], capture_output=True, text=True, check=True)
    assert int(version.stdout.strip().split(".")[0]) >= 5
    for link in quadlet_provision.GENERATOR_LINKS:
        assert link.resolve() == quadlet_provision.QUADLET.resolve()
    policy = subprocess.run(["apt-cache", "policy", "podman"], capture_output=True, text=True, check=True).stdout
    assert "trixie" not in policy
    installed = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "podman"], capture_output=True, text=True).stdout
    assert installed.startswith("4."), "the OS podman stays the machine's own"
