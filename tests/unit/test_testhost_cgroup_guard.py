"""The test host's guard over the machine's cgroup mounts: which mountinfo lines it
watches, and that any difference stops it loudly, naming what went and came."""
import pytest

from dashboard.host import testhost

MOUNTINFO = """\
22 1 0:20 / /sys rw,nosuid - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
90 70 0:50 / /work/var/testhost/cgroup rw - tmpfs podhouse-testhost-cgroup rw,size=4096k
91 90 0:29 / /work/var/testhost/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
"""


@pytest.fixture
def mountinfo(monkeypatch, tmp_path):
    path = tmp_path / "mountinfo"
    path.write_text(MOUNTINFO)
    real_path = testhost.Path

    def fake_path(name, *rest):
        return path if name == "/proc/self/mountinfo" else real_path(name, *rest)

    monkeypatch.setattr(testhost, "Path", fake_path)
    return path


def test_only_the_machines_cgroup_lines_are_watched(mountinfo):
    mounts = testhost.cgroup_mounts()
    assert [line.split()[4] for line in mounts] == ["/sys/fs/cgroup", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/systemd"]
    assert testhost._hierarchies() == ["cpu", "systemd"]


def test_unchanged_mounts_pass(mountinfo):
    before = testhost.cgroup_mounts()
    assert testhost.check_cgroup_mounts(before, "after booting") == before


def test_a_lost_hierarchy_stops_everything_and_names_it(mountinfo):
    before = testhost.cgroup_mounts()
    mountinfo.write_text(MOUNTINFO.replace("32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n",
                                           "33 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu\n"))
    with pytest.raises(testhost.CgroupMountsChanged) as raised:
        testhost.check_cgroup_mounts(before, "after booting")
    message = str(raised.value)
    assert "CHANGED after booting" in message
    assert "/sys/fs/cgroup/cpu rw,relatime" in message and "/sys/fs/cgroup/cpu,cpuacct" in message
