"""dashboard.host.systemd against the real user manager of the host stack: every action,
a unit that fails to start, and a unit that does not exist."""
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from dashboard.host.systemd import NoSuchUnit, SystemdError, manager_for
from dashboard.host.unit_files import container_link, read_unit_file
from tests.scope_cli import systemctl

pytestmark = pytest.mark.integration

SLEEPER = """[Unit]
Description=Podhouse test sleeper {tag}
[Service]
ExecStart=/bin/sleep 1000
ExecReload=/bin/true
[Install]
WantedBy=default.target
"""
FAILING = """[Unit]
Description=Podhouse test failing
[Service]
Type=oneshot
ExecStart=/bin/false
"""


class ScratchUnits:
    """phs-<random>.service files in the user unit folder, removed afterwards."""

    def __init__(self, scope):
        self.scope = scope
        self.paths: list[Path] = []

    def write(self, text: str, suffix: str = "") -> str:
        name = f"phs-{secrets.token_hex(4)}{suffix}.service"
        path = self.scope.unit_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(tag=name))
        self.paths.append(path)
        return name

    def install(self, text: str, start: bool = False) -> str:
        """write, then daemon-reload (and start) with systemctl, as another process would."""
        name = self.write(text)
        self.systemctl("daemon-reload")
        if start:
            self.systemctl("start", name)
        return name

    def systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(systemctl(self.scope, *args), env=self.scope.child_env(),
                              capture_output=True, text=True, check=check)

    def remove(self):
        names = [p.name for p in self.paths]
        if names:
            self.systemctl("stop", *names, check=False)
            self.systemctl("reset-failed", *names, check=False)
        for path in self.paths:
            # What enable or mask left: links in *.wants/ folders, or a link to /dev/null.
            for link in path.parent.glob(f"*.wants/{path.name}"):
                link.unlink()
            path.unlink(missing_ok=True)
            for dropins in path.parent.glob(path.name + ".d"):
                for f in dropins.iterdir():
                    f.unlink()
                dropins.rmdir()
        self.systemctl("daemon-reload", check=False)


@pytest.fixture
def scratch_units(host_scope):
    """Imported by the other units test modules (watcher, e2e) as their fixture."""
    units = ScratchUnits(host_scope)
    yield units
    units.remove()


@pytest.fixture
async def manager(host_scope):
    async with manager_for(host_scope) as manager:
        yield manager


async def test_list_units_and_files_together(manager, scratch_units):
    name = scratch_units.write(SLEEPER)
    await manager.daemon_reload()
    rows = await manager.list_all()
    assert rows[name].file_state == "disabled"
    assert rows[name].file_path == str(scratch_units.scope.unit_dir / name)
    assert "dbus.service" in rows and rows["dbus.service"].active_state == "active"


async def test_start_restart_reload_stop(manager, scratch_units):
    name = scratch_units.write(SLEEPER)
    await manager.daemon_reload()
    started = await manager.start(name)
    assert (started.ok, started.result) == (True, "done")
    first_pid = (await manager.unit_properties(name))["MainPID"]
    assert first_pid > 0
    assert (await manager.restart(name)).result == "done"
    props = await manager.unit_properties(name)
    assert props["ActiveState"] == "active" and props["MainPID"] not in (0, first_pid)
    assert (await manager.reload(name)).result == "done"
    stopped = await manager.stop(name)
    assert stopped.result == "done"
    assert await manager.active_state(name) == "inactive"


async def test_failing_unit_reports_systemds_reason(manager, scratch_units):
    name = scratch_units.write(FAILING)
    await manager.daemon_reload()
    outcome = await manager.start(name)
    assert not outcome.ok
    assert outcome.result == "failed"
    assert "control process exited with error code" in outcome.message
    props = await manager.unit_properties(name)
    assert (props["ActiveState"], props["Result"]) == ("failed", "exit-code")
    assert (await manager.reset_failed(name)).ok
    assert await manager.active_state(name) == "inactive"


async def test_reload_of_a_stopped_unit_is_invalid(manager, scratch_units):
    name = scratch_units.write(SLEEPER)
    await manager.daemon_reload()
    outcome = await manager.reload(name)
    assert outcome.result == "invalid" and "not active" in outcome.message


async def test_unit_that_does_not_exist(manager):
    with pytest.raises(NoSuchUnit, match=r"phs-missing-\w+\.service not found"):
        await manager.start(f"phs-missing-{secrets.token_hex(3)}.service")
    with pytest.raises(NoSuchUnit):
        await manager.unit_properties(f"phs-missing-{secrets.token_hex(3)}.service")


async def test_bad_unit_name_is_systemds_error(manager):
    with pytest.raises(SystemdError) as caught:
        await manager.start("no spaces allowed.service")
    assert caught.value.name.startswith("org.freedesktop")


async def test_enable_disable_mask_unmask(manager, scratch_units):
    name = scratch_units.write(SLEEPER)
    await manager.daemon_reload()
    enabled = await manager.enable(name)
    assert enabled.ok and any(c.kind == "symlink" for c in enabled.changes)
    assert (await manager.list_unit_files())[name][1] == "enabled"
    disabled = await manager.disable(name)
    assert any(c.kind == "unlink" for c in disabled.changes)
    assert (await manager.list_unit_files())[name][1] == "disabled"
    # A file in the unit folder cannot be masked (systemd refuses to overwrite it).
    with pytest.raises(SystemdError):
        await manager.mask(name)


async def test_mask_and_unmask_a_unit_without_a_local_file(manager, scratch_units):
    # Mask a name that has no file of its own: systemd writes a /dev/null link.
    name = f"phs-{secrets.token_hex(4)}-masked.service"
    scratch_units.paths.append(scratch_units.scope.unit_dir / name)
    masked = await manager.mask(name)
    assert any(c.kind == "symlink" and c.destination == "/dev/null" for c in masked.changes)
    assert (await manager.list_unit_files())[name][1] == "masked"
    with pytest.raises(SystemdError, match="masked"):
        await manager.start(name)
    unmasked = await manager.unmask(name)
    assert any(c.kind == "unlink" for c in unmasked.changes)
    assert name not in await manager.list_unit_files()


async def test_enable_without_install_section_says_so(manager, scratch_units):
    name = scratch_units.write(FAILING)
    await manager.daemon_reload()
    outcome = await manager.enable(name)
    assert not outcome.ok and "no installation config" in outcome.message


async def test_unit_file_with_dropins_and_container_marker(manager, scratch_units):
    name = scratch_units.write(SLEEPER)
    dropin = scratch_units.scope.unit_dir / f"{name}.d" / "podhouse.conf"
    dropin.parent.mkdir()
    dropin.write_text("[Service]\nEnvironment=PODMAN_SYSTEMD_UNIT=%n\nX-Podhouse-Container=phs-web\n")
    await manager.daemon_reload()
    props = await manager.unit_properties(name)
    unit_file = read_unit_file(props["FragmentPath"], props["DropInPaths"])
    assert unit_file.path == str(scratch_units.scope.unit_dir / name)
    assert unit_file.dropins == [(str(dropin), dropin.read_text())]
    link = container_link(unit_file.combined())
    assert (link.kind, link.name) == ("container", "phs-web")
    assert os.path.basename(props["FragmentPath"]) == name


async def test_quadlet_unit_is_linked_to_its_container(manager, host_scope):
    stem = f"phs-{secrets.token_hex(4)}"
    source = host_scope.quadlet_dir / f"{stem}.container"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("[Container]\nImage=localhost/busybox:latest\nExec=sleep 1000\n")
    try:
        await manager.daemon_reload()
        path, state = (await manager.list_unit_files())[f"{stem}.service"]
        assert state == "generated"
        link = container_link(read_unit_file(path).text)
        assert (link.kind, link.name, link.how) == ("container", f"systemd-{stem}", "quadlet")
    finally:
        source.unlink()
        await manager.daemon_reload()
    assert f"{stem}.service" not in await manager.list_unit_files()
