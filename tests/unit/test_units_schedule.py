"""engine.units.schedule: the auto-update timer's units, as text."""
import pytest

from engine.units import schedule
from engine.units.escaping import split_exec_line
from engine.units.generated import marker_state
from engine.units.schedule import Schedule, ScheduleError


def _units(wanted=Schedule(), command=("/usr/bin/python3", "/srv/podhouse/manage.py", "autoupdate", "--scope", "user"),
           env_file="/srv/podhouse/var/auto-update-user.env"):
    service, timer = schedule.auto_update_units(wanted, list(command), env_file)
    return service, timer


def _setting(text: str, key: str) -> str:
    return next(line.partition("=")[2] for line in text.splitlines() if line.startswith(key + "="))


def test_the_timer_is_podmans_by_default():
    service, timer = _units()
    assert (service.filename, timer.filename) == (schedule.SERVICE, schedule.TIMER)
    assert _setting(timer.text, "OnCalendar") == "daily"
    assert _setting(timer.text, "RandomizedDelaySec") == "900"
    assert _setting(timer.text, "Persistent") == "true"
    assert _setting(timer.text, "WantedBy") == "timers.target"
    assert _setting(service.text, "Type") == "oneshot"
    assert marker_state(service.text) == marker_state(timer.text) == "ours"


def test_odd_paths_come_back_as_written():
    command = ["/opt/pod house/.venv/bin/python", "/opt/pod house/manage.py", "autoupdate", "--scope", "user"]
    service, _ = _units(command=tuple(command), env_file="/opt/100%/a.env")
    assert split_exec_line(_setting(service.text, "ExecStart")) == [command]
    assert _setting(service.text, "EnvironmentFile") == "/opt/100%%/a.env"


def test_without_tls_the_command_says_so_and_reads_back():
    wanted = Schedule("Sun 04:00", 60, tls_verify=False)
    service, timer = _units(wanted)
    assert _setting(service.text, "ExecStart").endswith("--tls-verify false")
    assert schedule.schedule_in(timer.text, service.text) == wanted
    plain = _units(Schedule("Sun 04:00", 60))
    assert schedule.schedule_in(plain[1].text, plain[0].text) == Schedule("Sun 04:00", 60)


@pytest.mark.parametrize("form, field", [
    ({"on_calendar": "", "randomized_delay": "0"}, "on_calendar"),
    ({"on_calendar": "daily\nExecStart=/bin/sh", "randomized_delay": "0"}, None),  # folded to one line
    ({"on_calendar": "daily\x07", "randomized_delay": "0"}, "on_calendar"),
    ({"on_calendar": "100%", "randomized_delay": "0"}, "on_calendar"),
    ({"on_calendar": "x" * 201, "randomized_delay": "0"}, "on_calendar"),
    ({"on_calendar": "daily", "randomized_delay": "-1"}, "randomized_delay"),
    ({"on_calendar": "daily", "randomized_delay": "1.5"}, "randomized_delay"),
    ({"on_calendar": "daily", "randomized_delay": str(8 * 24 * 3600)}, "randomized_delay"),
])
def test_bad_fields_are_named(form, field):
    wanted, errors = schedule.read_schedule(form)
    if field is None:
        assert not errors and "\n" not in wanted.on_calendar
        _, timer = _units(wanted)
        assert not [line for line in timer.text.splitlines() if line.startswith("ExecStart")]
        assert _setting(timer.text, "OnCalendar") == "daily ExecStart=/bin/sh"  # systemd then refuses it
    else:
        assert list(errors) == [field]


def test_the_environment_file_is_literal_and_refuses_what_it_cannot_carry():
    text = schedule.environment_file_text({"DATABASE_URL": "postgres://u:p$x@h/db", "PODHOUSE_STATE_DIR": "/v"})
    assert text == "DATABASE_URL='postgres://u:p$x@h/db'\nPODHOUSE_STATE_DIR='/v'\n"
    for value in ("it's", "a\nb"):
        with pytest.raises(ScheduleError):
            schedule.environment_file_text({"DATABASE_URL": value})
    with pytest.raises(ScheduleError):
        schedule.environment_file_text({"BAD NAME": "x"})


def test_a_relative_environment_file_is_refused():
    with pytest.raises(ScheduleError):
        _units(env_file="var/a.env")
