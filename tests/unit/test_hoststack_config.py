"""Pure parts of the host stack: the containers.conf it writes and the state it records."""
import tomllib

from dashboard.host import hoststack


def test_containers_conf_uses_runc_and_limits_within_the_hard_limits():
    conf = tomllib.loads(hoststack._containers_conf_text())
    assert conf["engine"]["runtime"] == "runc"
    assert conf["containers"]["log_driver"] == "journald"
    limits = dict(item.split("=") for item in conf["containers"]["default_ulimits"])
    soft, hard = map(int, limits["nofile"].split(":"))
    assert soft == hard <= hoststack._hard_limit("RLIMIT_NOFILE", 20000)


def test_state_environment_names_the_private_config():
    state = hoststack.HostStackState(embedded=True, runtime_dir="/run/user/7",
                                     bus_address="unix:path=/run/user/7/bus",
                                     podman_socket="/run/user/7/podman/podman.sock",
                                     containers_conf="/x/containers.conf")
    assert state.environment() == {"XDG_RUNTIME_DIR": "/run/user/7",
                                   "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/7/bus",
                                   "CONTAINERS_CONF": "/x/containers.conf"}


def test_a_host_without_the_embedded_stack_records_no_private_config(monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    state = hoststack.host_state()
    assert not state.embedded and state.started == {}
    assert state.bus_address == "unix:path=/run/user/1000/bus"
    assert "CONTAINERS_CONF" not in state.environment()
