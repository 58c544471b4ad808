"""The generate-and-enable flow against the real podman, systemd and journald:
enable, pod ordering and stop, failure with journal lines, foreign files, remove."""
import asyncio
import secrets
import subprocess
import time

import pytest
import pytest_asyncio

from dashboard.flows import services
from dashboard.host.systemd import manager_for
from engine.units import install
from engine.units.options import InvalidOptions, default_target
from tests.integration.cleanup import remove_made
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration

FAST = {"stop_timeout": "0"}


@pytest_asyncio.fixture
async def name(host_stack, host_scope):
    prefix = f"phg-{secrets.token_hex(3)}"
    yield prefix
    await remove_made(host_scope, prefix)


async def _props(scope, unit):
    async with manager_for(scope) as manager:
        return await manager.unit_properties(unit)


@pytest.mark.parametrize("fmt", ["quadlet", "classic"])
async def test_enable_then_remove_leaves_nothing_behind(fmt, name, host_scope):
    podman("create", "--stop-timeout=1", "--name", name, "-e", "GREETING=hi 100%", BUSYBOX, "sleep", "100000")
    preview = await services.build(host_scope, "container", name, {"format": fmt})
    assert "created outside systemd" in preview.replaces
    assert (fmt == "quadlet") == ("ExecStart=/usr/bin/podman run" in preview.dryrun)
    outcome = await services.generate_and_enable(host_scope, "container", name, {"format": fmt, **FAST})
    assert outcome.ok and outcome.state == "active", (outcome.message, outcome.journal)
    assert "GREETING=hi 100%" in podman("inspect", name, "--format", "{{.Config.Env}}")
    props = await _props(host_scope, f"{name}.service")
    assert props["ActiveState"] == "active" and props["UnitFileState"] in ("enabled", "generated")
    made = services.podhouse_services(host_scope)[f"{name}.service"]
    assert made.format == fmt and made.source == f"container {name}"
    # Generating again from the container systemd now runs gives the same files.
    same = await services.build(host_scope, "container", name, {"format": fmt, **FAST})
    assert [p.state for p in same.planned] == ["same"], [p.diff for p in same.planned]
    assert not same.replaces

    # Regenerate: the service restarts on the new file; the old one is the backup.
    again = await services.generate_and_enable(host_scope, "container", name, {"format": fmt, "restart": "always", **FAST})
    assert again.ok and (await _props(host_scope, f"{name}.service"))["Restart"] == "always"
    backups = [p.with_name(p.name + install.BACKUP_SUFFIX) for p in made.paths]
    assert all(b.exists() for b in backups)

    removed = await services.remove(host_scope, f"{name}.service")
    assert removed.ok
    assert not any(p.exists() for p in [*made.paths, *backups])
    assert f"{name}.service" not in services.podhouse_services(host_scope)
    async with manager_for(host_scope) as manager:
        files = await manager.list_unit_files()
        assert f"{name}.service" not in files
        assert (await manager.active_state(f"{name}.service")) == "inactive"
    wants = host_scope.unit_dir / f"{default_target(host_scope.is_user)}.wants" / f"{name}.service"
    assert not wants.exists() and not wants.is_symlink()
    assert subprocess.run(["podman", "container", "exists", name]).returncode == 1


@pytest.mark.parametrize("fmt", ["quadlet", "classic"])
async def test_pod_members_start_after_the_pod_and_stop_with_it(fmt, name, host_scope):
    podman("pod", "create", "--name", name, "-p", "127.0.0.1::80")
    for member in ("a", "b"):
        podman("create", "--stop-timeout=1", "--pod", name, "--name", f"{name}-{member}", BUSYBOX, "sleep", "100000")
    outcome = await services.generate_and_enable(host_scope, "pod", name, {"format": fmt, **FAST})
    assert outcome.ok, (outcome.message, outcome.journal)
    pod_unit, members = f"{name}-pod.service", [f"{name}-a.service", f"{name}-b.service"]
    async with manager_for(host_scope) as manager:
        for member in members:  # started through the pod's Wants=; wait for their jobs
            assert (await manager.start(member)).ok
    pod_props = await _props(host_scope, pod_unit)
    for member in members:
        props = await _props(host_scope, member)
        assert props["ActiveState"] == "active"
        assert props["ActiveEnterTimestampMonotonic"] >= pod_props["ActiveEnterTimestampMonotonic"]
        assert pod_unit in props["BindsTo"] and pod_unit in props["After"]
    assert set(members) <= set(pod_props["Wants"]) and set(members) <= set(pod_props["Before"])
    pod_id = podman("pod", "inspect", name, "--format", "{{.Id}}")
    assert podman("inspect", f"{name}-a", "--format", "{{.Pod}}") == pod_id

    async with manager_for(host_scope) as manager:
        assert (await manager.stop(pod_unit)).ok
        for member in members:
            # Under load a member can still be running its ExecStopPost when the
            # pod's job returns (seen: "deactivating"); it must settle, bounded.
            state, deadline = await manager.active_state(member), time.monotonic() + 30
            while state == "deactivating" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                state = await manager.active_state(member)
            assert state in ("inactive", "failed")
    await services.remove(host_scope, pod_unit)
    assert not [s for s in services.podhouse_services(host_scope) if s.startswith(name)]


async def test_a_command_that_cannot_run_fails_the_start_and_the_journal_says_why(name, host_scope):
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "/no/such/program")
    outcome = await services.generate_and_enable(host_scope, "container", name, {"format": "classic", **FAST})
    assert not outcome.ok
    assert outcome.state in ("failed", "inactive", "activating")
    assert any("/no/such/program" in line for line in outcome.journal), outcome.journal


async def test_a_container_that_ends_at_once_is_reported_with_its_journal(name, host_scope):
    # Whether the container has already ended when the start job returns is a race
    # (under load it is often still running), so the answer may say "active": then
    # the unit must fail right after, which the dialog's live state shows with
    # these same journal lines (e2e: test_state_follows_the_unit_live...).
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "sh", "-c", f"echo {name}-bye; exit 3")
    outcome = await services.generate_and_enable(host_scope, "container", name, {"format": "classic", **FAST})
    journal = outcome.journal
    if outcome.ok:
        async with manager_for(host_scope) as manager:
            state = await services.wait_while_active(manager, outcome.service)
        assert state in ("failed", "inactive", "activating"), state
        journal = await services.journal_lines(host_scope, outcome.service)
    else:
        assert outcome.state in ("failed", "inactive", "activating")
    assert any(f"{name}-bye" in line for line in journal), journal


async def test_foreign_file_is_not_overwritten_without_confirmation(name, host_scope):
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "sleep", "100000")
    foreign = host_scope.unit_dir / f"{name}.service"
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_text("[Service]\nExecStart=/bin/true\n")
    try:
        preview = await services.build(host_scope, "container", name, {"format": "classic"})
        assert preview.needs_confirmation and "-ExecStart=/bin/true" in preview.planned[0].diff
        with pytest.raises(install.NeedsConfirmation):
            await services.enable_preview(host_scope, preview)
        assert foreign.read_text() == "[Service]\nExecStart=/bin/true\n"
        outcome = await services.enable_preview(host_scope, preview, confirmed=True)
        assert outcome.ok
        backup = foreign.with_name(foreign.name + install.BACKUP_SUFFIX)
        assert backup.read_text() == "[Service]\nExecStart=/bin/true\n"
        await services.remove(host_scope, f"{name}.service")  # stops the unit, then its files go
        assert not backup.exists()
    finally:
        foreign.unlink(missing_ok=True)


async def test_bad_options_change_nothing(name, host_scope):
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "sleep", "100000")
    with pytest.raises(InvalidOptions) as caught:
        await services.generate_and_enable(host_scope, "container", name, {"sdnotify": "healthy", "unit_name": "a b"})
    assert set(caught.value.errors) == {"sdnotify", "unit_name"}
    assert not (host_scope.unit_dir / f"{name}.service").exists()
    assert not (host_scope.quadlet_dir / f"{name}.container").exists()
