"""Create-form settings: every field's validation, the SpecGenerator built, and the
round trip settings -> spec -> (podman's inspect) -> settings."""
import pytest

from engine.podman.container_spec import (ContainerSettings, InvalidSettings, parse_duration_ns, parse_size,
                                          pod_spec, settings_from_inspect, valid_image_reference, validate)

IMAGE = "localhost/busybox:latest"


def errors_of(**fields) -> dict:
    with pytest.raises(InvalidSettings) as caught:
        validate(ContainerSettings(**{"image": IMAGE, **fields}))
    return caught.value.errors


def test_minimal_settings_default_to_the_journald_log_driver():
    assert validate(ContainerSettings(image=IMAGE)) == {"image": IMAGE, "log_configuration": {"driver": "journald"}}


def test_every_field_reaches_the_spec():
    spec = validate(ContainerSettings(
        image=IMAGE, name="web-1", command="sh -c 'echo hi; sleep 9'", entrypoint="/bin/env", env="A=1\nB=two words",
        ports="8080:80\n127.0.0.1:5353:53/udp", volumes="/srv/www:/www:ro\ndata-1:/data", labels="app=web\ntier=front",
        restart_policy="on-failure", restart_tries="4", memory="256m", cpus="1.5", health_cmd="wget -q localhost",
        health_interval="1m30s", health_timeout="5s", health_retries="2", health_start_period="500ms",
        log_driver="k8s-file", network="host", user="1000:100", workdir="/www", systemd="always", sdnotify="conmon"))
    assert spec["name"] == "web-1"
    assert spec["command"] == ["sh", "-c", "echo hi; sleep 9"]
    assert spec["entrypoint"] == ["/bin/env"]
    assert spec["env"] == {"A": "1", "B": "two words"}
    assert spec["portmappings"] == [{"container_port": 80, "host_port": 8080, "protocol": "tcp"},
                                    {"container_port": 53, "host_port": 5353, "protocol": "udp", "host_ip": "127.0.0.1"}]
    assert spec["mounts"] == [{"destination": "/www", "source": "/srv/www", "type": "bind", "options": ["ro"]}]
    assert spec["volumes"] == [{"Name": "data-1", "Dest": "/data", "Options": []}]
    assert spec["labels"] == {"app": "web", "tier": "front"}
    assert (spec["restart_policy"], spec["restart_tries"]) == ("on-failure", 4)
    assert spec["resource_limits"] == {"memory": {"limit": 256 * 1024 ** 2}, "cpu": {"quota": 150_000, "period": 100_000}}
    assert spec["healthconfig"] == {"Test": ["CMD-SHELL", "wget -q localhost"], "Interval": 90 * 10 ** 9,
                                    "Timeout": 5 * 10 ** 9, "Retries": 2, "StartPeriod": 5 * 10 ** 8}
    assert spec["log_configuration"] == {"driver": "k8s-file"}
    assert spec["netns"] == {"nsmode": "host"}
    assert (spec["user"], spec["work_dir"], spec["systemd"], spec["sdnotifyMode"]) == ("1000:100", "/www", "always", "conmon")


def test_a_named_network_is_joined_in_bridge_mode():
    spec = validate(ContainerSettings(image=IMAGE, network="backend"))
    assert spec["netns"] == {"nsmode": "bridge"} and spec["Networks"] == {"backend": {}}


@pytest.mark.parametrize("field, value, fragment", [
    ("image", "", "required"),
    ("image", "Not An Image!", "not an image reference"),
    ("image", "UPPER:tag", "not an image reference"),
    ("name", "-starts-with-dash", "starts with a letter or digit"),
    ("name", "has space", "starts with a letter or digit"),
    ("command", "echo 'unclosed", "cannot split"),
    ("entrypoint", 'sh "', "cannot split"),
    ("env", "1ABC=x", "KEY=value"),
    ("env", "NOEQUALS", "KEY=value"),
    ("env", "BAD-KEY=x", "KEY=value"),
    ("labels", "=x", "key=value"),
    ("ports", "80:99999", "outside 1-65535"),
    ("ports", "0", "outside 1-65535"),
    ("ports", "eighty", "container-port"),
    ("ports", "8080:80\n8080:81", "twice"),
    ("ports", "999.1.1.1:80:80", "not an IPv4"),
    ("volumes", "/data", "SOURCE:/container/path"),
    ("volumes", "/a:relative", "must be absolute"),
    ("volumes", "/a:/b:bogus", "unknown option"),
    ("volumes", "bad name!:/b", "neither an absolute host path nor a volume name"),
    ("restart_policy", "sometimes", "choose one of"),
    ("memory", "lots", "not a size"),
    ("memory", "1k", "at least 6m"),
    ("cpus", "many", "not a number of CPUs"),
    ("cpus", "0", "between 0.01"),
    ("health_interval", "soon", "not a duration"),
    ("health_retries", "-1", "positive whole number"),
    ("log_driver", "syslog", "choose one of"),
    ("network", "bad net!", "not a network name"),
    ("user", "root user", "user[:group]"),
    ("workdir", "relative/dir", "absolute"),
    ("systemd", "maybe", "choose one of"),
    ("sdnotify", "loud", "choose one of"),
    ("pod", "bad pod!", "not a pod name"),
])
def test_each_bad_field_gets_its_own_clear_message(field, value, fragment):
    errors = errors_of(**{field: value, **({"health_cmd": "true"} if field.startswith("health") else {})})
    assert field in errors, errors
    assert any(fragment in message for message in errors[field]), errors[field]


def test_all_problems_are_reported_at_once():
    errors = errors_of(name="bad name", env="1=x", ports="nope", memory="x")
    assert set(errors) == {"name", "env", "ports", "memory"}


def test_retries_only_with_on_failure_and_timings_only_with_a_health_command():
    assert "restart_policy" in errors_of(restart_policy="always", restart_tries="3")
    assert "health_cmd" in errors_of(health_interval="10s")


def test_a_container_in_a_pod_publishes_no_ports_of_its_own_and_has_no_network():
    errors = errors_of(pod="web", ports="8080:80", network="backend")
    assert "ports" in errors and "network" in errors


@pytest.mark.parametrize("ref", ["localhost/busybox:latest", "busybox", "docker.io/library/alpine:3.19",
                                 "registry.example.com:5000/team/app@sha256:" + "a" * 64, "6e6b6b78ff25",
                                 "quay.io/podman/hello"])
def test_valid_image_references(ref):
    assert valid_image_reference(ref)


@pytest.mark.parametrize("ref", ["", "a b", "Busybox", "busybox:", ":tag", "a//b", "host/-x"])
def test_invalid_image_references(ref):
    assert not valid_image_reference(ref)


def test_sizes_and_durations():
    assert parse_size("512m") == 512 * 1024 ** 2 and parse_size("1G") == 1024 ** 3 and parse_size("1048576") == 1048576
    assert parse_duration_ns("1h2m3s") == 3723 * 10 ** 9 and parse_duration_ns("250ms") == 250 * 10 ** 6
    for bad in ("", "5 minutes", "m"):
        with pytest.raises(ValueError):
            parse_duration_ns(bad)


def test_pod_spec_checks_name_ports_and_labels():
    assert pod_spec("web", "8080:80", "a=b") == {"name": "web", "labels": {"a": "b"},
                                                 "portmappings": [{"container_port": 80, "host_port": 8080,
                                                                   "protocol": "tcp"}]}
    with pytest.raises(InvalidSettings) as caught:
        pod_spec("", "x", "=")
    assert set(caught.value.errors) == {"name", "ports", "labels"}


# An inspect record as podman 4.3 gives it (trimmed to what settings_from_inspect reads).
INSPECT = {
    "Name": "web-1", "Pod": "", "ImageName": IMAGE, "State": {"Running": True},
    "Config": {"Image": IMAGE, "Cmd": ["sleep", "600"], "Entrypoint": "", "User": "1000:100", "WorkingDir": "/www",
               "Env": ["A=1", "B=two words", "PATH=/usr/bin", "TERM=xterm", "container=podman"],
               "Labels": {"app": "web"}, "SystemdMode": True, "sdNotifyMode": "conmon",
               "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 10 ** 10, "Timeout": 3 * 10 ** 10, "Retries": 3}},
    "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                                    "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}]},
                   "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}, "Memory": 64 * 1024 ** 2,
                   "CpuQuota": 50000, "CpuPeriod": 100000, "LogConfig": {"Type": "journald"}, "NetworkMode": "bridge"},
    "Mounts": [{"Type": "volume", "Name": "data-1", "Destination": "/data", "RW": True},
               {"Type": "bind", "Source": "/srv", "Destination": "/srv", "RW": False}],
}


def test_settings_from_inspect_give_back_what_was_asked():
    s = settings_from_inspect(INSPECT, {"Env": ["PATH=/usr/bin"], "Cmd": ["sh"]})
    assert (s.name, s.image, s.command, s.entrypoint) == ("web-1", IMAGE, "sleep 600", "")
    assert s.env.splitlines() == ["A=1", "B=two words"]
    assert sorted(s.ports.splitlines()) == ["127.0.0.1:5353:53/udp", "8080:80/tcp"]
    assert sorted(s.volumes.splitlines()) == ["/srv:/srv:ro", "data-1:/data"]
    assert (s.restart_policy, s.restart_tries, s.memory, s.cpus) == ("on-failure", "3", "64m", "0.5")
    assert (s.health_cmd, s.health_interval, s.health_timeout, s.health_retries) == ("true", "10s", "30s", "3")
    assert (s.systemd, s.sdnotify, s.log_driver, s.user, s.workdir, s.start) == ("always", "conmon", "journald", "1000:100", "/www", True)
    # and they validate into a spec again
    assert validate(s)["volumes"] == [{"Name": "data-1", "Dest": "/data", "Options": []}]


def test_systemd_mode_is_recovered_from_the_command():
    init = {**INSPECT, "Config": {**INSPECT["Config"], "Cmd": ["/sbin/init"]}}
    assert settings_from_inspect(init).systemd == "true"
    off = {**INSPECT, "Config": {**INSPECT["Config"], "Cmd": ["/sbin/init"], "SystemdMode": False}}
    assert settings_from_inspect(off).systemd == "false"


def test_form_data_is_read_field_by_field():
    s = ContainerSettings.from_mapping({"image": " localhost/x ", "env": "A=1\n", "start": "1", "unknown": "x"})
    assert (s.image, s.env, s.start, s.log_driver) == ("localhost/x", "A=1\n", True, "journald")
