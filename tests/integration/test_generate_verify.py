"""Verified before it is enabled, and the original never lost: the shadow made from
the unit's own words, and the undo of a service that does not start, against the
real podman, systemd and journald of the host stack, in both formats."""
import dataclasses
import json
import secrets
import socket
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio

from dashboard.flows import services
from dashboard.host.podman_clients import client_for
from dashboard.host.systemd import manager_for
from engine.units import formats, verify
from engine.units.options import options_from_form
from tests.integration.cleanup import remove_made
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration

FAST = {"stop_timeout": "0"}
FORMATS = ["quadlet", "classic"]


@pytest_asyncio.fixture
async def name(host_stack, user_scope):
    prefix = f"phv-{secrets.token_hex(3)}"
    yield prefix
    await remove_made(user_scope, prefix)
    assert not _shadows(prefix), "a shadow was left behind"


def _shadows(prefix: str) -> list[str]:
    names = podman("ps", "-a", "--format", "{{.Names}}").splitlines()
    pods = podman("pod", "ls", "--format", "{{.Name}}").splitlines()
    return [n for n in names + pods if n.startswith(prefix) and verify.SHADOW_MARK in n]


def _state(name: str) -> tuple[str, str]:
    record = json.loads(podman("inspect", "--type", "container", name))[0]
    return record["Id"], record["State"]["Status"]


def _nothing_written(scope, name: str, services_: list[str]) -> None:
    for service in services_:
        assert not (scope.unit_dir / service).exists(), service
        assert not (scope.unit_dir / "default.target.wants" / service).is_symlink(), service
    assert not list(scope.quadlet_dir.glob(f"{name}*"))
    assert not [s for s in services.podhouse_services(scope) if s.startswith(name)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_the_preview_is_verified_and_no_shadow_remains(fmt, name, user_scope):
    podman("create", "--name", name, "-e", "A=b c", "-l", "x=y", "-p", f"127.0.0.1:{_free_port()}:80",
           "--workdir", "/tmp", BUSYBOX, "sleep", "100000")
    preview = await services.build(user_scope, "container", name, {"format": fmt})
    check = preview.verification
    assert check.identical, (check.error, check.differences)
    assert check.compared >= 6 and check.summary == f"identical on {check.compared} settings"
    assert check.shadows and all(verify.SHADOW_MARK in s for s in check.shadows)
    assert not _shadows(name)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_forged_difference_is_caught_and_blocks_enable(fmt, name, user_scope):
    podman("run", "-d", "--name", name, BUSYBOX, "sleep", "100000")
    before = _state(name)
    preview = await services.build(user_scope, "container", name, {"format": fmt, **FAST})
    # Generate from a modified spec: the unit would run another command.
    client = client_for(user_scope.name)
    original = await verify.read_container_spec(client, name)
    forged = dataclasses.replace(original, command=["sleep", "7"])
    options = options_from_form({"format": fmt}, default_name=name, user_scope=True, podman_version=(4, 3, 1))
    preview.units = formats.for_container(forged, options, services.quadlet_available())
    preview.planned = services.install.plan(preview.units.files, services.directories(user_scope))
    if fmt == "quadlet":
        preview.dryrun = await services.quadlet_dryrun(preview.units, user_scope)
    preview.verification = await verify.verify(client, user_scope.child_env(), services.runtime_dir(user_scope),
                                               preview.units, preview.dryrun, original)
    assert [(d.label, d.original, d.shadow) for d in preview.verification.differences] == [
        ("command", "sleep 100000", "sleep 7")]
    with pytest.raises(services.DifferencesNotConfirmed):
        await services.enable_preview(user_scope, preview)
    _nothing_written(user_scope, name, [f"{name}.service"])
    assert _state(name) == before
    assert not _shadows(name)


async def test_a_unit_whose_words_cannot_make_a_container_is_not_verified(name, user_scope):
    folder = tempfile.mkdtemp(prefix="phv-")
    podman("create", "--name", name, "-v", f"{folder}:/data", BUSYBOX, "sleep", "100000")
    Path(folder).rmdir()  # the bind source is gone: `podman create` refuses it
    preview = await services.build(user_scope, "container", name, {"format": "classic"})
    assert preview.verification.error and not preview.verification.identical
    assert "Not verified" in preview.verification.summary
    assert preview.differs
    assert not _shadows(name)


def running_with_a_private_command(name: str, *create_args: str) -> None:
    """A running container whose command, /opt/sleep, exists only in its own root
    filesystem (copied in before its first start): it starts again from there, while
    a new container from the image (the service's) cannot find its command."""
    folder = Path(tempfile.mkdtemp(prefix="phv-"))
    (folder / "opt").mkdir()
    (folder / "opt" / "sleep").symlink_to("/bin/busybox")
    podman("create", "--stop-timeout=1", "--name", name, *create_args, BUSYBOX, "/opt/sleep", "100000")
    podman("cp", str(folder / "opt"), f"{name}:/")
    podman("start", name)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_bad_command_leaves_the_running_original_unchanged(fmt, name, user_scope):
    running_with_a_private_command(name)
    before = _state(name)
    assert before[1] == "running"
    outcome = await services.generate_and_enable(user_scope, "container", name, {"format": fmt, **FAST})
    assert not outcome.ok, outcome.message
    assert "renamed back and started again" in outcome.message, outcome.message
    assert any("/opt/sleep" in line for line in outcome.journal), outcome.journal
    assert _state(name) == before
    assert not podman("ps", "-a", "--filter", f"name=^{name}{services.PREVIOUS_SUFFIX}$", "--format", "{{.Names}}")
    _nothing_written(user_scope, name, [f"{name}.service"])
    async with manager_for(user_scope) as manager:
        assert await manager.active_state(f"{name}.service") == "inactive"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_port_already_taken_leaves_the_original_unchanged(fmt, name, user_scope):
    port = _free_port()
    podman("create", "--stop-timeout=1", "--name", name, "-p", f"127.0.0.1:{port}:80", BUSYBOX, "sleep", "100000")
    before = _state(name)
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        outcome = await services.generate_and_enable(user_scope, "container", name, {"format": fmt, **FAST})
    assert not outcome.ok, outcome.message
    assert "renamed back" in outcome.message, outcome.message
    assert _state(name) == before
    _nothing_written(user_scope, name, [f"{name}.service"])


@pytest.mark.parametrize("fmt", FORMATS)
async def test_success_removes_the_previous_or_keeps_it_on_request(fmt, name, user_scope):
    podman("volume", "create", f"{name}-vol")
    try:
        podman("run", "-d", "--stop-timeout=1", "--name", name, "-v", f"{name}-vol:/v", BUSYBOX, "sleep", "100000")
        old_id = _state(name)[0]
        outcome = await services.generate_and_enable(user_scope, "container", name,
                                                     {"format": fmt, **FAST}, keep_previous=True)
        assert outcome.ok, (outcome.message, outcome.journal)
        previous = f"{name}{services.PREVIOUS_SUFFIX}"
        assert _state(previous) == (old_id, "exited") or _state(previous)[0] == old_id
        assert _state(name)[0] != old_id and _state(name)[1] == "running"
        assert previous in outcome.message
        # Regenerate while a kept previous exists is fine: the container is systemd's now.
        again = await services.generate_and_enable(user_scope, "container", name, {"format": fmt, **FAST})
        assert again.ok, (again.message, again.journal)
        podman("rm", previous)
        assert podman("volume", "exists", f"{name}-vol") == ""
    finally:
        await remove_made(user_scope, name)
        podman("volume", "rm", "-f", f"{name}-vol")


async def test_success_removes_the_previous_keeping_its_volumes(name, user_scope):
    podman("volume", "create", f"{name}-vol")
    try:
        podman("run", "-d", "--stop-timeout=1", "--name", name, "-v", f"{name}-vol:/v", BUSYBOX, "sleep", "100000")
        outcome = await services.generate_and_enable(user_scope, "container", name, {"format": "classic", **FAST})
        assert outcome.ok, (outcome.message, outcome.journal)
        assert "previous container was removed" in outcome.message
        assert not podman("ps", "-a", "--filter", f"name=^{name}{services.PREVIOUS_SUFFIX}$", "--format", "{{.Names}}")
        podman("volume", "exists", f"{name}-vol")
    finally:
        await remove_made(user_scope, name)
        podman("volume", "rm", "-f", f"{name}-vol")


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_failed_regenerate_puts_the_running_service_back(fmt, name, user_scope):
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "sleep", "100000")
    first = await services.generate_and_enable(user_scope, "container", name, {"format": fmt, **FAST})
    assert first.ok, (first.message, first.journal)
    made = services.podhouse_services(user_scope)[f"{name}.service"]
    texts = {path: path.read_text() for path in made.paths}
    # The new files ask for a unit that does not exist: the start job fails.
    outcome = await services.generate_and_enable(user_scope, "container", name,
                                                 {"format": fmt, "requires": f"{name}-missing.service", **FAST})
    assert not outcome.ok
    assert "put the previous unit files back" in outcome.message and "started again" in outcome.message
    assert {path: path.read_text() for path in made.paths} == texts
    async with manager_for(user_scope) as manager:
        assert await manager.active_state(f"{name}.service") == "active"


def _pod_state(name: str) -> tuple[str, str, list[str]]:
    record = json.loads(podman("pod", "inspect", name))
    record = record[0] if isinstance(record, list) else record
    members = sorted(c["Name"] for c in record.get("Containers") or [] if c["Id"] != record.get("InfraContainerID"))
    # podman leaves InfraContainerID out of the record of a pod without one.
    return record.get("InfraContainerID") or "", record["State"], members


def _pod_without_infra(name: str) -> None:
    podman("pod", "create", "--infra=false", "--name", name)
    podman("create", "--stop-timeout=1", "--pod", name, "--name", f"{name}-a", "-e", "K=v", BUSYBOX, "sleep", "100000")


async def test_quadlet_refuses_a_pod_without_infra_and_says_why(name, user_scope):
    """Quadlet's pod service follows the infra container, so a .pod cannot carry a pod
    without one: asking for Quadlet is refused by name, and nothing is written."""
    _pod_without_infra(name)
    with pytest.raises(formats.FormatUnavailable, match="no infra container"):
        await services.build(user_scope, "pod", name, {"format": "quadlet", **FAST})
    _nothing_written(user_scope, name, [f"{name}-pod.service", f"{name}-a.service"])


@pytest.mark.parametrize("fmt", ["classic", "auto"])
async def test_a_pod_without_infra_round_trips_verified(fmt, name, user_scope):
    """Classic units (which auto falls back to) carry a pod without infra: the
    verification says identical only because the service's pod has none either."""
    _pod_without_infra(name)
    preview = await services.build(user_scope, "pod", name, {"format": fmt, **FAST})
    assert preview.verification.identical, (preview.verification.error, preview.verification.differences)
    assert not _shadows(name)
    outcome = await services.enable_preview(user_scope, preview)
    assert outcome.ok, (outcome.message, outcome.journal)
    async with manager_for(user_scope) as manager:
        assert (await manager.start(f"{name}-a.service")).ok
    infra, _state_, members = _pod_state(name)
    assert infra == "" and members == [f"{name}-a"]
    assert not _shadows(name)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_pod_whose_service_fails_comes_back_with_its_members(fmt, name, user_scope):
    port = _free_port()
    podman("pod", "create", "--name", name, "-p", f"127.0.0.1:{port}:80")
    podman("create", "--stop-timeout=1", "--pod", name, "--name", f"{name}-a", BUSYBOX, "sleep", "100000")
    original = await services.build(user_scope, "pod", name, {"format": fmt, **FAST}, verified=False)
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        outcome = await services.generate_and_enable(user_scope, "pod", name, {"format": fmt, **FAST})
    assert not outcome.ok, outcome.message
    assert f"The pod {name}" in outcome.message, outcome.message
    _nothing_written(user_scope, name, [f"{name}-pod.service", f"{name}-a.service"])
    _infra, state, members = _pod_state(name)
    assert members == [f"{name}-a"] and state in ("Created", "Exited")
    again = await services.build(user_scope, "pod", name, {"format": fmt, **FAST}, verified=False)
    assert [p.text for p in again.planned] == [p.text for p in original.planned]


async def test_what_quadlet_cannot_carry_is_named_in_the_verification(name, user_scope):
    podman("create", "--name", name, "--tty", BUSYBOX, "sleep", "100000")
    quadlet = (await services.build(user_scope, "container", name, {"format": "quadlet"})).verification
    assert any(w.startswith("--tty") and "written as PodmanArgs" in w for w in quadlet.warnings), quadlet.warnings
    assert quadlet.identical, quadlet.differences  # named, and still carried
    classic = (await services.build(user_scope, "container", name, {"format": "classic"})).verification
    assert not any(w.startswith("--tty") for w in classic.warnings), classic.warnings


@pytest.mark.parametrize("fmt", FORMATS)
async def test_an_unknown_field_blocks_enable_until_confirmed(fmt, name, user_scope):
    """--timeout is a setting Podhouse does not carry: it is named, enabling is
    refused (nothing written, the original untouched) until the user confirms it."""
    podman("run", "-d", "--stop-timeout=1", "--timeout", "300", "--name", name, BUSYBOX, "sleep", "100000")
    before = _state(name)
    preview = await services.build(user_scope, "container", name, {"format": fmt, **FAST}, for_enable=True)
    assert preview.verification.identical, preview.verification.differences  # the shadow lacks it just as well
    assert [u.partition(":")[0] for u in preview.unknown] == ["unknown field Config.Timeout (--timeout)"]
    assert not any("Config.Timeout" in w for w in preview.verification.warnings)
    with pytest.raises(services.UnknownFieldsNotConfirmed) as refused:
        await services.enable_preview(user_scope, preview, accept_differences=True)
    assert "Config.Timeout (--timeout)" in str(refused.value) and refused.value.fields == preview.unknown
    _nothing_written(user_scope, name, [f"{name}.service"])
    assert _state(name) == before
    outcome = await services.generate_and_enable(user_scope, "container", name, {"format": fmt, **FAST},
                                                 accept_unknown=True)
    assert outcome.ok, (outcome.message, outcome.journal)
    assert podman("inspect", name, "--format", "{{.Config.Timeout}}") == "0"  # as the dialog said
    assert not _shadows(name)


async def test_ordinary_containers_and_pods_have_no_unknown_field(name, user_scope):
    """Podman's own state (runtime paths, the notify socket of the unit that made a
    container, a health check's timer, systemd mode, a pod's infra) is no unknown
    field: CLI- and API-created, running or not, and a service's own container."""
    podman("run", "-d", "--name", f"{name}-run", "--health-cmd", "true", "--health-interval", "2s", BUSYBOX,
           "sleep", "100000")
    podman("create", "--name", f"{name}-sd", "--systemd=always", "--sdnotify=conmon", BUSYBOX, "sleep", "100000")
    podman("pod", "create", "--name", f"{name}-pod", "-p", f"127.0.0.1:{_free_port()}:80")
    podman("run", "-d", "--pod", f"{name}-pod", "--name", f"{name}-m", BUSYBOX, "sleep", "100000")
    client = client_for(user_scope.name)
    await client.create_container({"name": f"{name}-api", "image": BUSYBOX, "command": ["sleep", "100000"],
                                   "healthconfig": {"Test": ["CMD-SHELL", "true"], "Interval": 2_000_000_000,
                                                    "Timeout": 2_000_000_000, "Retries": 3}})
    await client.start_container(f"{name}-api")
    for kind, target in (("container", f"{name}-run"), ("container", f"{name}-sd"), ("container", f"{name}-api"),
                         ("pod", f"{name}-pod")):
        preview = await services.build(user_scope, kind, target, {"format": "classic"}, verified=False)
        assert preview.unknown == [], (target, preview.unknown)
    # A service's own container, made by systemd (with the unit's notify socket).
    outcome = await services.generate_and_enable(user_scope, "container", f"{name}-run", {"format": "quadlet", **FAST})
    assert outcome.ok, (outcome.message, outcome.journal)
    again = await services.build(user_scope, "container", f"{name}-run", {"format": "quadlet"})
    assert again.unknown == [] and again.verification.identical, (again.unknown, again.verification.differences)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_auto_update_is_asked_for_not_a_difference(fmt, name, user_scope):
    """The shadow is compared with the container as asked: the auto-update label the
    dialog adds is named as asked for, and enabling needs no acceptance."""
    podman("create", "--stop-timeout=1", "--name", name, BUSYBOX, "sleep", "100000")
    preview = await services.build(user_scope, "container", name, {"format": fmt, "auto_update": "local", **FAST})
    assert preview.verification.identical, preview.verification.differences
    assert preview.asked == ["--label io.containers.autoupdate=local"]
    outcome = await services.generate_and_enable(user_scope, "container", name,
                                                 {"format": fmt, "auto_update": "local", **FAST})
    assert outcome.ok, (outcome.message, outcome.journal)
    assert podman("inspect", name, "--format", '{{index .Config.Labels "io.containers.autoupdate"}}') == "local"


async def test_a_health_check_without_a_timer_is_a_real_difference(name, user_scope):
    """--health-interval=disable: the generator cannot write "no timer" (0 is its
    "podman's default"), so the service's container would check every 30 s: a real
    difference the user must accept."""
    podman("create", "--stop-timeout=1", "--name", name, "--health-cmd", "true", "--health-interval", "disable",
           BUSYBOX, "sleep", "100000")
    preview = await services.build(user_scope, "container", name, {"format": "classic", **FAST}, for_enable=True)
    assert [(d.label, d.original, d.shadow) for d in preview.verification.differences] == [
        ("--health-interval", "0", "30000000000")]
    with pytest.raises(services.DifferencesNotConfirmed):
        await services.enable_preview(user_scope, preview)
    _nothing_written(user_scope, name, [f"{name}.service"])
