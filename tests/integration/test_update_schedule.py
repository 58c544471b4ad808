"""The auto-update timer in the real user manager: turned on with a calendar systemd
checked, replaced only after a confirmation, turned off without leftovers."""
import stat

import pytest
import pytest_asyncio

from dashboard.flows import update_schedule
from dashboard.host.systemd import manager_for
from engine.units import install
from engine.units.generated import marker_state
from engine.units.schedule import SERVICE, TIMER, Schedule, ScheduleError

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def scope(host_stack, user_scope):
    yield user_scope
    for path in (user_scope.unit_dir / TIMER, user_scope.unit_dir / SERVICE):
        if path.exists() and marker_state(path.read_text()) != "ours":
            path.unlink()  # a test's foreign file
    await update_schedule.turn_off(user_scope)


def update_schedule_stamp(scope):
    """Where the user manager keeps a persistent timer's last trigger (systemd.timer(5))."""
    return scope.unit_dir.parents[2] / ".local/share/systemd/timers" / f"stamp-{TIMER}"  # ~/.config/systemd/user


async def test_turned_on_the_timer_waits_for_the_calendar_then_off_leaves_nothing(scope):
    state = await update_schedule.turn_on(scope, Schedule("*-*-* 03:17:00", 0))
    assert state.installed and state.enabled == "enabled" and state.active == "active", state
    assert state.next_run is not None and (state.next_run.hour, state.next_run.minute) == (3, 17)
    assert state.schedule == Schedule("*-*-* 03:17:00", 0)
    assert not state.edited and state.last_result == ""
    env_file = update_schedule.environment_file(scope)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "PODHOUSE_STATE_DIR=" in env_file.read_text()
    async with manager_for(scope) as manager:
        props = await manager.unit_properties(SERVICE)
    assert props["LoadState"] == "loaded" and props["ActiveState"] == "inactive"

    # a new schedule replaces Podhouse's own files without asking
    state = await update_schedule.turn_on(scope, Schedule("Sun 04:00", 60, tls_verify=False))
    assert state.schedule == Schedule("Sun 04:00", 60, tls_verify=False)
    assert state.next_run.strftime("%a %H:%M") == "Sun 04:00"

    state = await update_schedule.turn_off(scope)
    assert not state.installed
    assert not (scope.unit_dir / TIMER).exists() and not (scope.unit_dir / SERVICE).exists()
    assert not env_file.exists()
    async with manager_for(scope) as manager:
        assert await manager.active_state(TIMER) == "inactive"
    # nor the Persistent= stamp, which would make the next turn_on fire at once for a
    # calendar time it "missed" while off
    assert not (update_schedule_stamp(scope)).exists()


async def test_a_calendar_systemd_cannot_read_writes_nothing(scope):
    with pytest.raises(ScheduleError, match="someday"):
        await update_schedule.turn_on(scope, Schedule("someday at noon", 0))
    assert not (scope.unit_dir / TIMER).exists()
    assert (await update_schedule.read_state(scope)).installed is False
    assert await update_schedule.next_elapse("Mon..Fri 22:30") != "never"


async def test_a_foreign_timer_is_replaced_only_after_confirmation(scope):
    foreign = scope.unit_dir / TIMER
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_text("[Timer]\nOnCalendar=hourly\n")
    with pytest.raises(install.NeedsConfirmation):
        await update_schedule.turn_on(scope, Schedule("daily", 0))
    assert foreign.read_text() == "[Timer]\nOnCalendar=hourly\n"
    assert not (scope.unit_dir / SERVICE).exists()
    state = await update_schedule.turn_on(scope, Schedule("daily", 0), confirmed=True)
    assert state.active == "active"
    backup = foreign.with_name(foreign.name + install.BACKUP_SUFFIX)
    assert backup.read_text() == "[Timer]\nOnCalendar=hourly\n"
    backup.unlink()



async def test_someone_elses_timer_of_that_name_is_not_stopped_or_removed(scope):
    foreign = scope.unit_dir / TIMER
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_text("[Timer]\nOnCalendar=hourly\n[Install]\nWantedBy=timers.target\n")
    (scope.unit_dir / SERVICE).write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n")
    async with manager_for(scope) as manager:
        await manager.daemon_reload()
        assert (await manager.start(TIMER)).ok
    with pytest.raises(install.NotOurs):
        await update_schedule.turn_off(scope)
    assert foreign.exists()
    async with manager_for(scope) as manager:
        assert await manager.active_state(TIMER) == "active"
        await manager.stop(TIMER)
