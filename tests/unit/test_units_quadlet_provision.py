"""Quadlet provisioning without the network: apt only ever sees private Dir:: options,
and nothing runs when the generator is already in place."""
import subprocess
from pathlib import Path

import pytest

from dashboard.host import quadlet_provision


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    quadlet = tmp_path / "usr/libexec/podman/quadlet"
    links = (tmp_path / "user-generators/podman-user-generator", tmp_path / "system-generators/podman-system-generator")
    monkeypatch.setattr(quadlet_provision, "QUADLET", quadlet)
    monkeypatch.setattr(quadlet_provision, "GENERATOR_LINKS", links)
    return tmp_path, quadlet, links


def test_download_uses_only_private_apt_state_and_installs_binary_and_links(fake_root, monkeypatch):
    root, quadlet, links = fake_root
    calls = []

    def fake_run(argv, cwd):
        calls.append(argv)
        if argv[0] == "apt-get" and "download" in argv:
            Path(cwd, "podman_5.4.2_amd64.deb").write_bytes(b"deb")
        if argv[0] == "dpkg":
            target = Path(argv[3], "usr/libexec/podman/quadlet")
            target.parent.mkdir(parents=True)
            target.write_text("#!/bin/sh\n")

    monkeypatch.setattr(quadlet_provision, "_run", fake_run)
    work = root / "work"
    assert quadlet_provision.ensure(work, log=lambda m: None) == quadlet
    apt_calls = [c for c in calls if c[0] == "apt-get"]
    assert [c[-1] for c in apt_calls] == ["update", "podman/trixie"]
    for call in apt_calls:
        options = dict(call[i + 1].split("=", 1) for i, word in enumerate(call) if word == "-o")
        assert options["Dir::Etc::SourceList"].startswith(str(work))
        assert options["Dir::Etc::SourceParts"] == "/dev/null"
        assert options["Dir::State::Lists"].startswith(str(work))
        assert options["Dir::Cache::Archives"].startswith(str(work))
        assert "install" not in call
    assert quadlet.read_text() == "#!/bin/sh\n" and quadlet.stat().st_mode & 0o111
    assert all(link.resolve() == quadlet for link in links)
    assert not list(work.glob("*.deb")), "the package is dropped once the binary is out"
    assert "Suites: trixie" in (work / "trixie.sources").read_text()


def test_nothing_runs_when_everything_is_there(fake_root, monkeypatch):
    root, quadlet, links = fake_root
    quadlet.parent.mkdir(parents=True)
    quadlet.write_text("#!/bin/sh\n")
    quadlet.chmod(0o755)
    for link in links:
        link.parent.mkdir(parents=True)
        link.symlink_to(quadlet)
    monkeypatch.setattr(quadlet_provision, "_run", lambda *a: pytest.fail("no command may run"))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("no command may run"))
    assert quadlet_provision.ensure(root / "work", log=lambda m: None) == quadlet


def test_dangling_link_is_replaced(fake_root, monkeypatch):
    root, quadlet, links = fake_root
    quadlet.parent.mkdir(parents=True)
    quadlet.write_text("#!/bin/sh\n")
    quadlet.chmod(0o755)
    links[0].parent.mkdir(parents=True)
    links[0].symlink_to(root / "gone")
    quadlet_provision.ensure(root / "work", log=lambda m: None)
    assert links[0].resolve() == quadlet
