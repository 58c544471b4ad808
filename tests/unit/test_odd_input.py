"""Absurd input is refused by the validators, naming the field, before anything is
asked of podman or written into a unit file.  (tests/integration/test_odd_input.py
sends the same values through the real pages.)"""
import pytest

from engine.podman.container_spec import ContainerSettings, InvalidSettings, validate
from engine.units.options import InvalidOptions, options_from_form, seconds_text

NINES = "9" * 400
# (field, value, other fields needed for the field to count)
CONTAINER_CASES = [
    ("memory", NINES, {}), ("memory", "1e400", {}), ("memory", "nan", {}), ("memory", "²", {}),
    ("memory", "٣m", {}), ("memory", "9999999p", {}), ("memory", "10000000000t", {}),
    ("cpus", "nan", {}), ("cpus", "inf", {}), ("cpus", "1e309", {}), ("cpus", "-1", {}),
    ("health_interval", NINES + "h", {"health_cmd": "true"}),
    ("health_interval", "3000000h", {"health_cmd": "true"}),
    ("health_timeout", "1e309s", {"health_cmd": "true"}),
    ("health_start_period", "٣s", {"health_cmd": "true"}),
    ("health_retries", "²", {"health_cmd": "true"}), ("health_retries", "٣", {"health_cmd": "true"}),
    ("health_retries", "0", {"health_cmd": "true"}), ("health_retries", NINES, {"health_cmd": "true"}),
    ("restart_tries", "²", {"restart_policy": "on-failure"}),
    ("restart_tries", NINES, {"restart_policy": "on-failure"}),
    ("ports", "٣:80", {}), ("ports", "99999999999999999999999:80", {}), ("ports", "8080:٨٠", {}),
    ("name", "a\x00b", {}), ("name", "bad name", {}), ("image", "busybox\x00", {}),
    ("image", "localhost/busybox:latëst", {}), ("env", "A=b\x00c", {}), ("labels", "k=v\x00", {}),
    ("command", "sleep\x00 1", {}), ("volumes", "/tmp\x00:/x", {}), ("workdir", "/a\x00b", {}),
    ("pod", "p\x00", {}), ("network", "n\x00", {}), ("user", "u\x00", {}),
]


@pytest.mark.parametrize("field,value,extra", CONTAINER_CASES,
                         ids=[f"{f}={v[:12]!r}" for f, v, _ in CONTAINER_CASES])
def test_container_settings_refuse_odd_values_naming_the_field(field, value, extra):
    settings = ContainerSettings(**{"image": "localhost/busybox:latest", **extra, field: value})
    with pytest.raises(InvalidSettings) as refused:
        validate(settings)
    assert field in refused.value.errors, refused.value.errors


def test_sane_values_still_pass():
    spec = validate(ContainerSettings(image="localhost/busybox:latest", memory="512m", cpus="1.5",
                                      health_cmd="true", health_interval="1m30s", health_retries="3",
                                      restart_policy="on-failure", restart_tries="5", ports="8080:80"))
    assert spec["resource_limits"]["memory"]["limit"] == 512 * 1024 ** 2
    assert spec["healthconfig"]["Interval"] == 90 * 10 ** 9 and spec["healthconfig"]["Retries"] == 3
    assert spec["restart_tries"] == 5


SERVICE_CASES = [
    ("restart_sec", "nan"), ("restart_sec", "inf"), ("restart_sec", "-inf"), ("restart_sec", "1e309"),
    ("restart_sec", "1e3"), ("restart_sec", "-1"), ("restart_sec", "²"), ("restart_sec", NINES),
    ("restart_sec", "18446744073710"), ("start_timeout", "9" * 23), ("start_timeout", "0"),
    ("start_timeout", "1.5"), ("start_timeout", "٣"), ("stop_timeout", "²"), ("stop_timeout", "4294967296"),
    ("stop_timeout", "nan"), ("unit_name", "a\x00b"), ("unit_name", "a\nb"), ("after", "a\x00.service"),
    ("wanted_by", "x\x00.target"),
]


@pytest.mark.parametrize("field,value", SERVICE_CASES, ids=[f"{f}={v[:12]!r}" for f, v in SERVICE_CASES])
def test_service_options_refuse_odd_values_naming_the_field(field, value):
    with pytest.raises(InvalidOptions) as refused:
        options_from_form({field: value}, default_name="web", user_scope=True)
    assert field in refused.value.errors, refused.value.errors


def test_service_seconds_are_written_the_way_systemd_reads_them():
    options = options_from_form({"restart_sec": "10000000", "start_timeout": "18446744073709"},
                                default_name="web", user_scope=True)
    lines = options.service_lines()
    assert "RestartSec=10000000" in lines and "TimeoutStartSec=18446744073709" in lines
    assert seconds_text(0.5) == "0.5" and seconds_text(2.0) == "2" and seconds_text(0.000001) == "0.000001"
