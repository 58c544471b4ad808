"""The scopes are built from the host stack's state file again only when it changed."""
import json
import os

from dashboard.host import hoststack, scopes

EMBEDDED = {"embedded": True, "runtime_dir": "/run/user/0", "bus_address": "unix:path=/run/user/0/bus",
            "podman_socket": "/run/user/0/podman/podman.sock"}


def test_state_file_is_read_again_only_when_its_mtime_changes(tmp_path, monkeypatch):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(EMBEDDED))
    monkeypatch.setattr(hoststack, "STATE_FILE", state_file)
    reads = []
    real_load = hoststack.load_state
    monkeypatch.setattr(hoststack, "load_state", lambda: reads.append(1) or real_load())
    monkeypatch.setattr(scopes.os, "geteuid", lambda: 1000)  # root would get the system scope only

    assert list(scopes.available_scopes()) == ["user"]
    scopes.get_scope("user")
    scopes.get_scope("user")
    assert len(reads) == 1

    state_file.write_text(json.dumps({**EMBEDDED, "embedded": False}))
    stat = state_file.stat()
    os.utime(state_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert list(scopes.available_scopes()) == ["system", "user"]
    assert len(reads) == 2
    assert scopes.absent_scopes() == {}


def test_another_state_file_is_another_key(tmp_path, monkeypatch):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(EMBEDDED))
    second.write_text(json.dumps({**EMBEDDED, "podman_socket": "/elsewhere.sock"}))
    monkeypatch.setattr(hoststack, "STATE_FILE", first)
    assert scopes.get_scope("user").podman_socket == EMBEDDED["podman_socket"]
    monkeypatch.setattr(hoststack, "STATE_FILE", second)
    assert scopes.get_scope("user").podman_socket == "/elsewhere.sock"


def test_the_embedded_stack_says_why_it_has_no_system_scope(tmp_path, monkeypatch):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(EMBEDDED))
    monkeypatch.setattr(hoststack, "STATE_FILE", state_file)
    assert "systemd is not PID 1" in scopes.absent_scopes()["system"]
    assert str(scopes.get_scope("user")) == "user"
