"""Fidelity: container -> unit -> the container systemd starts is the same container.

39 containers (CLI- and API-created, 3 pods of 2-3 members, one of them all
through the API, two images) are
created, inspected, and then for each format every one of them is generated,
installed, started FOR REAL by systemd (all at once), inspected again and compared
field by field with the original.  Both formats run against the real podman 4.3 and
systemd user manager of the host stack; Quadlet is the provisioned 5.x generator.
"""
import asyncio
import json
import os
import secrets
import subprocess

import pytest

from dashboard import services
from dashboard.host.systemd import manager_for
from engine.podman import PodmanClient
from engine.units import formats, install
from engine.units.options import UnitOptions
from engine.units.spec import container_spec, pod_spec
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration

SLEEP = ["sleep", "100000"]
TRICKY_ENV = {"SPACES": "a b  c", "PERCENT": "100% %n %%", "DOLLAR": "$HOME ${HOME} $$", "QUOTES": "\"d\" 'e'",
              "BACKSLASH": "c:\\dir\\", "NEWLINE": "one\ntwo", "TAB": "a\tb", "UNICODE": "héllo wörld ✓",
              "SEMI": ";", "EMPTY": "", "HASH": "#not a comment", "EQUALS": "a=b=c"}
# sleep as PID 1 ignores SIGTERM, so stopping politely takes each container's stop
# timeout: the tests kill the containers first (a long RestartSec keeps systemd from
# restarting them meanwhile), then stop the units.
FAST = {"wanted_by": "default.target", "stop_timeout": 1, "restart_sec": 60}
TRICKY_WORDS = ["x y", "100%", "$HOME", "${X}", "'q'", '"dq"', "back\\slash", "tab\there", "new\nline", "ü", "#"]


def cli_cases(p: str, image: str) -> dict[str, list[str]]:
    """name -> `podman create` options (image and command included)."""
    return {
        f"{p}-plain": [BUSYBOX, *SLEEP],
        f"{p}-http": ["-p", "127.0.0.1::80", BUSYBOX, "httpd", "-f", "-p", "80"],
        f"{p}-ports": ["-p", "8080", "-p", "127.0.0.1::81/udp", BUSYBOX, *SLEEP],
        f"{p}-env": [*[f"--env={k}={v}" for k, v in TRICKY_ENV.items()], BUSYBOX, *SLEEP],
        f"{p}-words": [BUSYBOX, "sh", "-c", "sleep 100000", *TRICKY_WORDS],
        f"{p}-entry": ["--entrypoint", '["/bin/sh","-c","sleep 100000 # a  b"]', BUSYBOX, "arg one", "two"],
        f"{p}-entry1": ["--entrypoint", "/bin/sleep", BUSYBOX, "100000"],
        f"{p}-bind": ["-v", f"/tmp/{p}-bind:/data:ro", "-v", f"/tmp/{p}-bind:/rw", BUSYBOX, *SLEEP],
        f"{p}-volume": ["-v", f"{p}-vol:/vol", "-v", f"{p}-vol:/ro-vol:ro", BUSYBOX, *SLEEP],
        f"{p}-tmpfs": ["--tmpfs", "/run:rw,size=10m,mode=1777", "--tmpfs", "/scratch", BUSYBOX, *SLEEP],
        f"{p}-labels": ["--label", "app=web", "--label", "note=50% $off \"now\"", BUSYBOX, *SLEEP],
        f"{p}-always": ["--restart", "always", BUSYBOX, *SLEEP],
        f"{p}-onfail": ["--restart", "on-failure:3", BUSYBOX, *SLEEP],
        f"{p}-user": ["--user", "65534:65534", BUSYBOX, *SLEEP],
        f"{p}-user1": ["--user", "nobody", BUSYBOX, *SLEEP],
        f"{p}-workdir": ["-w", "/tmp", BUSYBOX, *SLEEP],
        f"{p}-host": ["--hostname", "web-1.example", BUSYBOX, *SLEEP],
        f"{p}-health": ["--health-cmd", "test -e /bin/sh && echo ok", "--health-interval", "1m30s",
                        "--health-timeout", "5s", "--health-retries", "2", "--health-start-period", "500ms",
                        BUSYBOX, *SLEEP],
        f"{p}-health2": ["--health-cmd", '["/bin/true","a b"]', BUSYBOX, *SLEEP],
        f"{p}-memory": ["--memory", "64m", BUSYBOX, *SLEEP],
        f"{p}-swap": ["--memory", "32m", "--memory-swap", "100m", BUSYBOX, *SLEEP],
        f"{p}-cpus": ["--cpus", "0.5", BUSYBOX, *SLEEP],
        f"{p}-quota": ["--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-shares", "512", BUSYBOX, *SLEEP],
        f"{p}-k8slog": ["--log-driver", "k8s-file", BUSYBOX, *SLEEP],
        f"{p}-nonet": ["--network", "none", BUSYBOX, *SLEEP],
        f"{p}-stop": ["--stop-signal", "SIGINT", "--stop-timeout", "3", BUSYBOX, *SLEEP],
        f"{p}-image": [image, "sleep 100000"],
        f"{p}-image2": ["--env", "IMG=changed", "-w", "/", image, "sleep 100000 && :"],
        f"{p}-empty": [BUSYBOX, "sh", "-c", "sleep 100000", "", ";"],
    }


def api_cases(p: str) -> dict[str, dict]:
    return {
        f"{p}-api1": {"image": BUSYBOX, "command": ["sh", "-c", "sleep 100000", "a b", "50%"],
                      "env": {"API": "x y", "DOLLAR": "$1"}, "labels": {"made": "api"}},
        f"{p}-api2": {"image": BUSYBOX, "command": SLEEP, "work_dir": "/tmp", "user": "65534",
                      "portmappings": [{"host_ip": "127.0.0.1", "host_port": 0, "container_port": 80}]},
        f"{p}-api3": {"image": BUSYBOX, "command": SLEEP, "hostname": "api-host",
                      "mounts": [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                                  "options": ["size=5m"]}]},
    }


def api_pod_members(p: str) -> dict[str, dict]:
    return {f"{p}-podapi-1": {"image": BUSYBOX, "command": ["httpd", "-f", "-p", "8080"], "env": {"PORT": "8080"}},
            f"{p}-podapi-2": {"image": BUSYBOX, "command": SLEEP, "labels": {"side": "car"}}}


def pod_fingerprint(data: dict) -> dict:
    ports = {port: sorted((b.get("HostIp") or "", b.get("HostPort") if b.get("HostPort") not in ("", "0") else "any")
                          for b in bindings or [])
             for port, bindings in ((data.get("InfraConfig") or {}).get("PortBindings") or {}).items()}
    infra = data.get("InfraContainerID")
    return {"name": data["Name"], "ports": ports,
            "labels": {k: v for k, v in (data.get("Labels") or {}).items() if k != "PODMAN_SYSTEMD_UNIT"},
            "members": sorted(c["Name"] for c in data.get("Containers") or [] if c["Id"] != infra),
            "shared": sorted(data.get("SharedNamespaces") or [])}


def pod_cases(p: str) -> dict[str, tuple[list[str], dict[str, list[str]]]]:
    return {
        f"{p}-poda": (["-p", "127.0.0.1::80", "--label", "tier=front end"],
                      {f"{p}-poda-web": ["--env", "ROLE=web 100%", BUSYBOX, "httpd", "-f", "-p", "80"],
                       f"{p}-poda-side": [BUSYBOX, *SLEEP]}),
        f"{p}-podb": ([], {f"{p}-podb-1": ["-v", f"{p}-vol:/vol", BUSYBOX, *SLEEP],
                           f"{p}-podb-2": ["--env", "N=2", BUSYBOX, "sh", "-c", "sleep 100000", "x y"],
                           f"{p}-podb-3": ["--memory", "48m", BUSYBOX, *SLEEP]}),
    }


def fingerprint(data: dict) -> dict:
    """The fields the issue lists, in a form two containers of one spec share."""
    config, host = data["Config"], data["HostConfig"]
    env = dict(e.partition("=")[::2] for e in config.get("Env") or [])
    for key in ("HOME", "HOSTNAME"):  # podman fills these in from /etc/passwd and the id
        env.pop(key, None)
    labels = {k: v for k, v in (config.get("Labels") or {}).items() if k != "PODMAN_SYSTEMD_UNIT"}
    health = config.get("Healthcheck") or {}
    ports = {port: sorted((b.get("HostIp") or "", b.get("HostPort") if b.get("HostPort") not in ("", "0") else "any")
                          for b in bindings or []) for port, bindings in (host.get("PortBindings") or {}).items()}
    return {
        "image": data.get("ImageName"), "argv": [data.get("Path"), *(data.get("Args") or [])],
        "cmd": config.get("Cmd"), "env": env, "labels": labels, "ports": ports,
        "mounts": sorted((m["Type"], m.get("Name") or m.get("Source"), m["Destination"], m.get("RW"))
                         for m in data.get("Mounts") or []),
        "tmpfs": host.get("Tmpfs") or {}, "user": config.get("User"), "workdir": config.get("WorkingDir"),
        "hostname": "default" if config.get("Hostname") == data["Id"][:12] else config.get("Hostname"),
        "health": {k: health.get(k) for k in ("Test", "Interval", "Timeout", "Retries", "StartPeriod")},
        "memory": (host.get("Memory"), host.get("MemorySwap")),
        "cpu": (host.get("NanoCpus"), host.get("CpuQuota"), host.get("CpuPeriod"), host.get("CpuShares")),
        "log": (host.get("LogConfig") or {}).get("Type"),
        "network": host.get("NetworkMode") if not data.get("Pod") else "pod",
        "stop": (config.get("StopSignal"), config.get("StopTimeout")),
        "systemd": config.get("SystemdMode", False),
    }


async def _create_all(client: PodmanClient, p: str, image: str) -> dict:
    os.makedirs(f"/tmp/{p}-bind", exist_ok=True)
    podman("volume", "create", f"{p}-vol")
    loop = asyncio.get_running_loop()

    def create_cli(name, args, pod=""):
        return loop.run_in_executor(None, lambda: podman("create", "--name", name, *(["--pod", pod] if pod else []), *args))

    await asyncio.gather(*(create_cli(n, a) for n, a in cli_cases(p, image).items()))
    for name, spec in api_cases(p).items():
        await client.create_container({"name": name, **spec})
    for pod, (pod_args, members) in pod_cases(p).items():
        podman("pod", "create", "--name", pod, *pod_args)
        await asyncio.gather(*(create_cli(n, a, pod) for n, a in members.items()))
    await client.create_pod({"name": f"{p}-podapi", "labels": {"made": "api"},
                             "portmappings": [{"host_ip": "127.0.0.1", "host_port": 0, "container_port": 8080}]})
    for member, spec in api_pod_members(p).items():
        await client.create_container({"name": member, "pod": f"{p}-podapi", **spec})
    snapshot = {"containers": {}, "pods": {}, "images": {}}
    names = [*cli_cases(p, image), *api_cases(p), *api_pod_members(p)] + [
        m for _, ms in pod_cases(p).values() for m in ms]
    for name in names:
        snapshot["containers"][name] = await client.inspect_container(name)
    for pod in [*pod_cases(p), f"{p}-podapi"]:
        snapshot["pods"][pod] = await client.inspect_pod(pod)
    for ref in (BUSYBOX, image):
        snapshot["images"][ref] = await client.inspect_image(ref)
    return snapshot


@pytest.fixture
def prefix(host_stack):
    p = f"phg-{secrets.token_hex(3)}"
    image = f"localhost/{p}-img:latest"
    # An image with its own entrypoint, env, labels and workdir: fields equal to the
    # image's must stay the image's.
    podman("tag", BUSYBOX, f"{image}-base")
    container = podman("create", f"{image}-base", "true")
    podman("commit", "-q", "--change", 'ENTRYPOINT ["/bin/sh","-c"]', "--change", "ENV IMG=1 OTHER=2",
           "--change", "LABEL from=image", "--change", "WORKDIR /tmp", container, image)
    podman("rm", container)
    yield p, image
    subprocess.run(["sh", "-c", f"podman pod rm -f $(podman pod ls -q --filter name=^{p}) 2>/dev/null; "
                                f"podman rm -f -t 0 $(podman ps -aq --filter name=^{p}) >/dev/null 2>&1; "
                                f"podman volume rm -f {p}-vol; podman rmi -f {image} {image}-base"],
                   capture_output=True)


def _units(snapshot, name, fmt, quadlet_ok=True):
    images = snapshot["images"]
    if name in snapshot["pods"]:
        pod = snapshot["pods"][name]
        members = [container_spec(snapshot["containers"][m], images[snapshot["containers"][m]["ImageName"]], pod["Name"])
                   for m in pod_spec(pod).members]
        return formats.for_pod(pod_spec(pod), members, UnitOptions(unit_name=name, format=fmt, **FAST), quadlet_ok)
    data = snapshot["containers"][name]
    return formats.for_container(container_spec(data, images[data["ImageName"]]),
                                 UnitOptions(unit_name=name, format=fmt, **FAST), quadlet_ok)


async def _stop_units(user_scope, units: list[str], containers: list[str]) -> None:
    subprocess.run(["podman", "kill", *containers], capture_output=True)
    async with manager_for(user_scope) as manager:
        await asyncio.gather(*(manager.stop(unit) for unit in units))
        for unit in units:
            if await manager.active_state(unit) == "failed":
                await manager.reset_failed(unit)


async def _run_format(fmt: str, p: str, image: str, user_scope) -> tuple[dict, dict, list]:
    async with PodmanClient(user_scope.podman_socket) as client:
        snapshot = await _create_all(client, p, image)
        targets = [n for n in snapshot["containers"] if not snapshot["containers"][n].get("Pod")] + list(snapshot["pods"])
        generated, refused = {}, {}
        for name in targets:
            try:
                generated[name] = _units(snapshot, name, fmt)
            except formats.FormatUnavailable as error:
                refused[name] = str(error)
        planned = [p_ for units in generated.values()
                   for p_ in install.plan(units.files, services.directories(user_scope))]
        install.install(planned)
        try:
            async with manager_for(user_scope) as manager:
                await manager.daemon_reload()
                jobs = await asyncio.gather(*(manager.start(u.main_service) for u in generated.values()))
                member_jobs = await asyncio.gather(*(manager.start(s) for u in generated.values() for s in u.services[1:]))
                failures = [f"{j.unit}: {j.result} {j.message}" for j in [*jobs, *member_jobs] if not j.ok]
                restart = {name: (await manager.unit_properties(u.main_service)).get("Restart")
                           for name, u in generated.items()}
                after = {name: await client.inspect_container(name) for name in snapshot["containers"]
                         if name in generated or snapshot["containers"][name].get("Pod")}
                after_pods = {name: await client.inspect_pod(name) for name in snapshot["pods"]}
        finally:
            await _stop_units(user_scope, [s for u in generated.values() for s in u.services], list(snapshot["containers"]))
            install.uninstall([p_.path for p_ in planned])
            async with manager_for(user_scope) as manager:
                await manager.daemon_reload()
        return snapshot, {"after": after, "after_pods": after_pods, "restart": restart, "generated": generated, "refused": refused}, failures


@pytest.mark.parametrize("fmt", ["quadlet", "classic"])
async def test_started_service_runs_the_same_container(fmt, prefix, user_scope):
    p, image = prefix
    snapshot, result, failures = await _run_format(fmt, p, image, user_scope)
    assert not failures, failures
    assert len(snapshot["containers"]) >= 30 and len(snapshot["pods"]) == 3
    if fmt == "quadlet":  # only the command Quadlet cannot carry is refused
        assert list(result["refused"]) == [f"{p}-empty"]
    else:
        assert not result["refused"]
    mismatches = {}
    for name, original in snapshot["containers"].items():
        if name in result["refused"] or (original.get("Pod") and any(
                name in pod_spec(pod).members and pod_name in result["refused"]
                for pod_name, pod in snapshot["pods"].items())):
            continue
        new = result["after"][name]
        assert new["Id"] != original["Id"], f"{name} was not recreated by systemd"
        before, now = fingerprint(original), fingerprint(new)
        diff = {k: (before[k], now[k]) for k in before if before[k] != now[k]}
        if diff:
            mismatches[name] = diff
        assert (new["Config"].get("Labels") or {}).get("PODMAN_SYSTEMD_UNIT"), f"{name} is not run by a unit"
    assert not mismatches, json.dumps(mismatches, indent=1, default=str)
    # Pods: a new pod of the same name, ports, labels, namespaces and members.
    for pod_name, pod in snapshot["pods"].items():
        new_pod = result["after_pods"][pod_name]
        assert new_pod["Id"] != pod["Id"]
        assert pod_fingerprint(new_pod) == pod_fingerprint(pod)
        assert {result["after"][m]["Pod"] for m in pod_spec(pod).members} == {new_pod["Id"]}
    # systemd took over the restart policy.
    assert result["restart"][f"{p}-always"] == "always"
    assert result["restart"][f"{p}-onfail"] == "on-failure"
    assert result["restart"][f"{p}-plain"] == "on-failure"


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
