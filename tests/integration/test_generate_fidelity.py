"""Fidelity: container -> unit -> the container systemd starts is the same container.

The cases of tests/fidelity_cases.py are created once (77 containers and 6 pods with
11 members, through the CLI and the API) and inspected; then for each format in
turn (Quadlet, classic) every one is generated, installed, started FOR REAL by
systemd (one daemon-reload, all at once), inspected again and compared on every
field of ContainerSpec / PodSpec (engine/podman/container_spec.read_container and
read_pod, the project's one reader) and on the OCI spec's process.args (config.json
in the container's bundle) against the argv the original was made with.  Both
formats run against the real podman 4.3 and systemd user manager of the host stack;
Quadlet is the provisioned 5.4 generator.  The run also proves that every field of
the spec got a non-default value from some case on this host.
"""
import asyncio
import json
import os
import secrets
import subprocess
import time

import pytest

from dashboard.flows import services
from dashboard.host.systemd import manager_for
from engine.podman import PodmanClient
from engine.podman.container_spec import read_container, read_pod
from engine.units import formats, install
from engine.units.options import UnitOptions
from engine.units.spec import ContainerSpec, PodSpec, compared_fields, default_of
from engine.units.verify import compare_specs
from tests import fidelity_cases as cases
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration

# sleep as PID 1 ignores SIGTERM, so stopping politely takes each container's stop
# timeout: the tests kill the containers first (a long RestartSec keeps systemd from
# restarting them meanwhile), then stop the units.
FAST = {"wanted_by": "default.target", "stop_timeout": 1, "restart_sec": 60}
CLI_PARALLEL = 4  # podman CLI processes at once (2 cores)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True)


def _make_shared(p: str, n: int) -> dict[str, str]:
    s = cases.shared(p)
    podman("network", "create", "--subnet", f"10.89.{200 + n}.0/24", s["net"])
    subprocess.run(["podman", "secret", "create", s["secret"], "-"], input=b"hush", capture_output=True, check=True)
    podman("volume", "create", s["volume"])
    os.makedirs(s["bind"], exist_ok=True)
    with open(s["envfile"], "w") as f:
        f.write("FROMFILE=yes it is\nOTHER=2\n")
    # An image with its own entrypoint, env, labels and workdir: fields equal to the
    # image's must stay the image's.
    podman("tag", BUSYBOX, f"{s['image']}-base")
    made = podman("create", f"{s['image']}-base", "true")
    podman("commit", "-q", "--change", 'ENTRYPOINT ["/bin/sh","-c"]', "--change", "ENV IMG=1 OTHER=2",
           "--change", "LABEL from=image", "--change", "WORKDIR /tmp", made, s["image"])
    podman("rm", made)
    # An image whose Cmd is /sbin/init and that has no entrypoint (the systemd case).
    made = podman("create", BUSYBOX, "sh", "-c",
                  'mkdir -p /sbin && printf "#!/bin/sh\\nexec sleep 100000\\n" > /sbin/init && chmod +x /sbin/init')
    podman("start", "-a", made)
    podman("commit", "-q", "--change", 'CMD ["/sbin/init"]', made, s["sysimage"])
    podman("rm", made)
    return s


def _remove_shared(p: str) -> None:
    s = cases.shared(p)
    subprocess.run(["sh", "-c", f"podman pod rm -f -t 0 $(podman pod ls -q --filter name=^{p}-) 2>/dev/null; "
                                f"podman rm -f -t 0 $(podman ps -aq --filter name=^{p}-) >/dev/null 2>&1; "
                                f"podman volume rm -f {s['volume']}; podman secret rm {s['secret']}; "
                                f"podman network rm -f {s['net']}; "
                                f"podman rmi -f {s['image']} {s['image']}-base {s['sysimage']}; "
                                f"rm -rf {s['bind']} {s['envfile']}"], capture_output=True)


@pytest.fixture
def world(host_stack):
    """(prefix, shared objects)."""
    p = f"gsf-{secrets.token_hex(3)}"
    try:
        yield p, _make_shared(p, 1)
    finally:
        _remove_shared(p)


async def _create_world(client: PodmanClient, p: str, s: dict) -> dict:
    """Create every case; return the names: containers (standalone), pods {pod: members}."""
    gate = asyncio.Semaphore(CLI_PARALLEL)

    async def cli(*args):
        async with gate:
            done = await asyncio.to_thread(_run, *args)
        assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr}"

    async def pod_with_members(pod, pod_args, members):
        await cli("pod", "create", "--name", pod, *pod_args)
        await asyncio.gather(*(cli("create", "--name", m, "--pod", pod, *a) for m, a in members.items()))

    async def api_pod(pod, spec, members):
        await client.create_pod({"name": pod, **spec})
        for member, member_spec in members.items():
            await client.create_container({"name": member, "pod": pod, **member_spec})

    cli_cases, api_cases = cases.cli_cases(p, 1, s), cases.api_cases(p, 1, s)
    pods, api_pods = cases.pod_cases(p, 1, s), cases.api_pods(p, 1, s)
    await asyncio.gather(*(cli("create", "--name", name, *args) for name, args in cli_cases.items()),
                         *(client.create_container({"name": name, **spec}) for name, spec in api_cases.items()),
                         *(pod_with_members(pod, a, m) for pod, (a, m) in pods.items()),
                         *(api_pod(pod, spec, m) for pod, (spec, m) in api_pods.items()))
    return {"containers": [*cli_cases, *api_cases],
            "pods": {pod: list(members) for pod, (_, members) in {**pods, **api_pods}.items()}}


def _process_args(record: dict) -> list[str] | None:
    """process.args of the container's OCI spec (config.json in its bundle, the
    userdata folder); None before the container was first initialised."""
    try:
        with open(os.path.join(record["StaticDir"], "config.json")) as f:
            return json.load(f)["process"]["args"]
    except FileNotFoundError:
        return None


def _asked_args(record: dict) -> list[str]:
    """The argv the original container was made to run (Config, which the reader
    takes as the truth): what its OCI spec's process.args holds once it runs."""
    config = record["Config"]
    entrypoint = config.get("Entrypoint") or []
    entrypoint = entrypoint if isinstance(entrypoint, list) else entrypoint.split(" ")
    wrapper = ["/run/podman-init", "--"] if record["HostConfig"].get("Init") else []
    return wrapper + entrypoint + list(config.get("Cmd") or [])


async def _snapshot(client: PodmanClient, names: dict) -> dict:
    """Inspect records of every container (members included), pod, infra and image."""
    containers = [*names["containers"], *(m for ms in names["pods"].values() for m in ms)]
    found = await asyncio.gather(*(client.inspect_container(c) for c in containers), return_exceptions=True)
    records = {c: r for c, r in zip(containers, found) if not isinstance(r, Exception)}  # gone: its unit failed
    pods = dict(zip(names["pods"], await asyncio.gather(*(client.inspect_pod(p) for p in names["pods"]))))
    infra_ids = {p: d["InfraContainerID"] for p, d in pods.items() if d.get("InfraContainerID")}
    infras = dict(zip(infra_ids, await asyncio.gather(*(client.inspect_container(i) for i in infra_ids.values()))))
    refs = sorted({r["ImageName"] for r in records.values()})
    images = dict(zip(refs, await asyncio.gather(*(client.inspect_image(r) for r in refs))))
    return {"containers": records, "pods": pods, "infras": infras, "images": images,
            "args": {c: _process_args(r) for c, r in records.items()}}


def _specs(snapshot: dict, names: dict) -> tuple[dict, dict]:
    member_pod = {m: pod for pod, ms in names["pods"].items() for m in ms}
    specs = {c: read_container(r, snapshot["images"][r["ImageName"]], member_pod.get(c, ""))
             for c, r in snapshot["containers"].items()}
    pod_specs = {p: read_pod(d, snapshot["infras"].get(p)) for p, d in snapshot["pods"].items()}
    return specs, pod_specs


def _generate(fmt: str, names: dict, specs: dict, pod_specs: dict) -> tuple[dict, dict]:
    generated, refused = {}, {}
    for name in names["containers"]:
        try:
            generated[name] = formats.for_container(specs[name], UnitOptions(unit_name=name, format=fmt, **FAST), True)
        except formats.FormatUnavailable as error:
            refused[name] = str(error)
    for pod, members in names["pods"].items():
        try:
            generated[pod] = formats.for_pod(pod_specs[pod], [specs[m] for m in members],
                                             UnitOptions(unit_name=pod, format=fmt, **FAST), True)
        except formats.FormatUnavailable as error:
            refused[pod] = str(error)
    return generated, refused


async def _stop_units(user_scope, units: list[str], containers: list[str], pods=()) -> None:
    chunks = [containers[i::CLI_PARALLEL] for i in range(CLI_PARALLEL)]
    await asyncio.gather(*(asyncio.to_thread(_run, "kill", *chunk) for chunk in chunks if chunk))
    if pods:
        await asyncio.to_thread(_run, "pod", "kill", *pods)
    async with manager_for(user_scope) as manager:
        await asyncio.gather(*(manager.stop(unit) for unit in units))
        for unit in units:
            if await manager.active_state(unit) == "failed":
                await manager.reset_failed(unit)


async def _run_format(fmt, client, user_scope, names, specs, timings, t0) -> dict:
    """Generate, install, start every unit of `fmt`; inspect what systemd runs; stop."""
    generated, refused = _generate(fmt, names, *specs)
    units = list(generated.values())
    planned = [item for u in units for item in install.plan(u.files, services.directories(user_scope))]
    install.install(planned)
    started = {"containers": [c for c in names["containers"] if c in generated],
               "pods": {p: ms for p, ms in names["pods"].items() if p in generated}}
    containers = [*started["containers"], *(m for ms in started["pods"].values() for m in ms)]
    try:
        async with manager_for(user_scope) as manager:
            await manager.daemon_reload()
            jobs = await asyncio.gather(*(manager.start(s) for u in units for s in u.services))
            timings[f"{fmt} started"] = time.monotonic() - t0
            restart = {name: (await manager.unit_properties(u.main_service)).get("Restart")
                       for name, u in generated.items()}
        after = await _snapshot(client, started)
        timings[f"{fmt} inspected"] = time.monotonic() - t0
    finally:
        await _stop_units(user_scope, [s for u in units for s in u.services], containers, list(started["pods"]))
        install.uninstall([item.path for item in planned])
        async with manager_for(user_scope) as manager:
            await manager.daemon_reload()
        timings[f"{fmt} stopped"] = time.monotonic() - t0
    return {"refused": refused, "started": started, "after": after, "restart": restart,
            "failures": [f"{j.unit}: {j.result} {j.message}" for j in jobs if not j.ok]}


def _mismatches(before: dict, specs: tuple, result: dict) -> dict[str, list[str]]:
    """name -> every difference between the original and what the unit runs."""
    container_specs, pod_specs = specs
    after = result["after"]
    new_specs, new_pod_specs = _specs(after, result["started"])
    mismatches = {}
    for name, new in new_specs.items():
        diff = [str(d) for d in compare_specs(container_specs[name], new)[1]]
        if after["args"][name] != _asked_args(before["containers"][name]):
            diff.append(f"process.args: {_asked_args(before['containers'][name])} -> {after['args'][name]}")
        if diff:
            mismatches[name] = diff
    for pod, new in new_pod_specs.items():
        diff = [str(d) for d in compare_specs(pod_specs[pod], new)[1]]
        if new.members != pod_specs[pod].members:
            diff.append(f"members: {pod_specs[pod].members} -> {new.members}")
        if diff:
            mismatches[pod] = diff
    return mismatches


async def test_started_services_run_the_same_containers(world, user_scope):
    """The cases are created once; each format in turn replaces them with what its
    units run (same names), compared with the first snapshot."""
    p, s = world
    t0, timings = time.monotonic(), {}
    # a long timeout: the API answers slowly while many containers are made at once
    async with PodmanClient(user_scope.podman_socket, timeout=300) as client:
        names = await _create_world(client, p, s)
        before = await _snapshot(client, names)
        timings["created"] = time.monotonic() - t0
        specs = _specs(before, names)
        results = {}
        try:
            for fmt in ("quadlet", "classic"):
                results[fmt] = await _run_format(fmt, client, user_scope, names, specs, timings, t0)
                print(fmt, "failures:", results[fmt]["failures"], "refused:", sorted(results[fmt]["refused"]),
                      "mismatches:", json.dumps(_mismatches(before, specs, results[fmt]), indent=1, default=str),
                      flush=True)
        finally:
            print("fidelity timings (s since start):", {k: round(v, 1) for k, v in timings.items()})
    container_specs, pod_specs = specs
    assert len(container_specs) >= 60 and len(pod_specs) >= 6
    for fmt, result in results.items():
        assert not result["failures"], (fmt, result["failures"])
        # Only what Quadlet cannot carry unchanged is refused (auto falls back to classic).
        expected = [f"{p}-empty", f"{p}-podnoinfra"] if fmt == "quadlet" else []
        assert sorted(result["refused"]) == expected, result["refused"]
        after = result["after"]
        assert set(after["containers"]) == {*result["started"]["containers"],
                                            *(m for ms in result["started"]["pods"].values() for m in ms)}
        new_specs, new_pod_specs = _specs(after, result["started"])
        for name, record in after["containers"].items():
            assert record["Id"] != before["containers"][name]["Id"], f"{fmt}: {name} was not recreated by systemd"
            assert (record["Config"].get("Labels") or {}).get("PODMAN_SYSTEMD_UNIT"), f"{name} is not run by a unit"
        for pod, new in new_pod_specs.items():
            pod_id = after["pods"][pod]["Id"]
            assert pod_id != before["pods"][pod]["Id"]
            assert {after["containers"][m]["Pod"] for m in new.members} == {pod_id}
        mismatches = _mismatches(before, specs, result)
        assert not mismatches, (fmt, json.dumps(mismatches, indent=1, default=str))
        # the case: an image whose Cmd is /sbin/init, run with --systemd=always
        assert after["args"][f"{p}-sysinit"] == ["/sbin/init"]
        if fmt == "classic":
            assert new_pod_specs[f"{p}-podnoinfra"].infra is False
        # systemd took over the restart policy.
        restart = result["restart"]
        assert restart[f"{p}-always"] == "always" and restart[f"{p}-onfail"] == "on-failure"
        assert restart[f"{p}-plain"] == "on-failure"

    # Every field of the spec got a non-default value from some case on this host.
    unset = [f.name for f in compared_fields(ContainerSpec)
             if all(getattr(spec, f.name) == default_of(f) for spec in container_specs.values())]
    assert sorted(unset) == sorted(cases.HOST_DISCARDS), unset
    unset_pod = [f.name for f in compared_fields(PodSpec)
                 if all(getattr(spec, f.name) == default_of(f) for spec in pod_specs.values())]
    assert sorted(unset_pod) == sorted(cases.POD_NOT_SETTABLE), unset_pod


def _units(snapshot, name, fmt):
    data = snapshot["containers"][name]
    return formats.for_container(read_container(data, snapshot["images"][data["ImageName"]]),
                                 UnitOptions(unit_name=name, format=fmt, **FAST), True)


@pytest.fixture
def prefix(host_stack):
    p = f"gsf-{secrets.token_hex(3)}"
    yield p, None
    subprocess.run(["sh", "-c", f"podman rm -f -t 0 $(podman ps -aq --filter name=^{p}) >/dev/null 2>&1"],
                   capture_output=True)


async def test_container_sees_exactly_the_escaped_values(prefix, user_scope):
    """Thousands of generated values go into one container's env and argv; systemd
    starts it for real (both formats) and /proc/1 inside shows the exact bytes
    (`; :` keeps sh as PID 1 instead of exec-ing sleep)."""
    import random

    p, _ = prefix
    rng = random.Random(5)
    alphabet = " \t\n%$\\\"';#=&|*?~`{}[]()<>!\x01\x1b\x7f" + "aZ9_-./:" + "éü✓漢\u0085\u2028"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(1500)]
    env = {f"V{i}": v for i, v in enumerate(values[:1000])}
    words = [v for v in values[1000:] if v and v != ";"]
    name = f"{p}-seen"
    async with PodmanClient(user_scope.podman_socket) as client:
        await client.create_container({"name": name, "image": BUSYBOX, "env": env,
                                       "command": ["sh", "-c", "sleep 100000; :", *words]})
        snapshot = {"containers": {name: await client.inspect_container(name)},
                    "pods": {}, "images": {BUSYBOX: await client.inspect_image(BUSYBOX)}}
    for fmt in ("quadlet", "classic"):
        units = _units(snapshot, name, fmt)
        planned = install.plan(units.files, services.directories(user_scope))
        install.install(planned)
        try:
            async with manager_for(user_scope) as manager:
                await manager.daemon_reload()
                job = await manager.start(units.main_service)
                assert job.ok, job.message
                environ = subprocess.run(["podman", "exec", name, "cat", "/proc/1/environ"], capture_output=True, check=True).stdout
                cmdline = subprocess.run(["podman", "exec", name, "cat", "/proc/1/cmdline"], capture_output=True, check=True).stdout
        finally:
            await _stop_units(user_scope, units.services, [name])
            install.uninstall([item.path for item in planned])
        seen_env = dict(e.decode().partition("=")[::2] for e in environ.split(b"\0") if e)
        assert {k: seen_env.get(k) for k in env} == env, fmt
        assert [w.decode() for w in cmdline.split(b"\0")[:-1]] == ["sh", "-c", "sleep 100000; :", *words], fmt
