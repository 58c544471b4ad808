"""The header shows upstream versions; the distribution's suffix stays in the tooltip."""
from dashboard.host.health import PartHealth


def test_short_versions():
    assert PartHealth("systemd", True, version="252.39-1~deb12u2").short_version == "252.39"
    assert PartHealth("podman", True, version="4.3.1").short_version == "4.3.1"
    assert PartHealth("journald", True).short_version == ""
