"""A booted Debian 12 test host in a container: systemd as PID 1, the system bus,
the system journal, rootful podman behind podman.socket, Quadlet, and a login user
with lingering and rootless podman.  Podhouse is installed inside as a service,
the way the README's section for a real server says.

The machine's own cgroup mounts must come out of this unchanged.  A systemd
booted on the machine's /sys/fs/cgroup tmpfs rearranges it (seen: the machine
lost hierarchies and every pod failed afterwards), so the test host gets a
PRIVATE tmpfs holding a bind mount of each hierarchy the machine has.  The
machine's cgroup mount lines are compared before and after every start and stop;
any difference raises CgroupMountsChanged.

Framework-free (no Django import): the `testhost` management command calls
up(), down() and status() with its state folder.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dashboard.host import hoststack, quadlet_provision

NAME = "podhouse-testhost"  # the container, its network and its hostname
IMAGE = "localhost/podhouse-testhost:bookworm"
NETWORK = "podhouse-testhost"
# Away from the outer podman's 10.88/16 and the inner podman's 10.99/16.
NETWORK_SUBNET = "10.231.77.0/24"
SUITE = "bookworm"
LOGIN_USER = "tester"
LOGIN_UID = 1000
PODHOUSE_PORT_INSIDE = 8000
SOURCE_DIR_INSIDE = "/opt/podhouse"
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Beyond debootstrap's minbase: systemd and its buses, podman rootful and
# rootless, Python for Podhouse itself.
PACKAGES = (
    "systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,"
    "podman,runc,conmon,netavark,aardvark-dns,iptables,uidmap,slirp4netns,catatonit,"
    "busybox-static,ca-certificates,procps,iproute2,python3,python3-venv"
)
# A container has no consoles and no hardware to wait for.
MASKED_UNITS = ("getty@tty1.service", "console-getty.service", "systemd-udevd.service",
                "systemd-udev-trigger.service", "systemd-networkd-wait-online.service",
                "systemd-firstboot.service")


# Seen: a systemd on cgroup v1 moves itself to the ROOT of each hierarchy whose
# controller it does not use; with the machine's hierarchies bound in, its PID 1 left
# the container's blkio cgroup for the machine's blkio root, the container's blkio
# cgroup vanished and every `podman exec` failed ("error adding pid to cgroups").
# With block IO accounting on, systemd keeps blkio inside its own subtree.
SYSTEM_CONF_DROPIN = (
    "# Podhouse test host: keep every hierarchy's processes inside this container's cgroups.\n"
    "[Manager]\nDefaultBlockIOAccounting=yes\n"
)


class TestHostError(RuntimeError):
    pass


class CgroupMountsChanged(TestHostError):
    """The machine's cgroup mounts differ from what they were: stop everything."""


def _log(message: str) -> None:
    print(f"testhost: {message}", flush=True)


# --- the machine's cgroup mounts ---------------------------------------------

def cgroup_mounts() -> list[str]:
    """This machine's /proc/self/mountinfo lines for /sys/fs/cgroup and below."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    root = str(CGROUP_ROOT)
    return sorted(line for line in lines
                  if line.split()[4] == root or line.split()[4].startswith(root + "/"))


def check_cgroup_mounts(before: list[str], when: str) -> list[str]:
    after = cgroup_mounts()
    if after != before:
        gone = sorted(set(before) - set(after))
        new = sorted(set(after) - set(before))
        raise CgroupMountsChanged(
            f"THE MACHINE'S CGROUP MOUNTS CHANGED {when}.\n  gone: {gone}\n  new: {new}\n"
            "Stop, and mend them by hand before anything else runs (see docs/host-stack.md).")
    return after


def _hierarchies() -> list[str]:
    """Names of the hierarchies mounted below /sys/fs/cgroup (cpu, memory, unified, ...)."""
    return [line.split()[4].removeprefix(str(CGROUP_ROOT) + "/")
            for line in cgroup_mounts() if line.split()[4] != str(CGROUP_ROOT)]


def _is_mountpoint(path: Path) -> bool:
    return any(line.split()[4] == str(path)
               for line in Path("/proc/self/mountinfo").read_text().splitlines())


def mount_private_cgroup_tree(folder: Path) -> None:
    """A private tmpfs at `folder` with a bind mount of each machine hierarchy and
    the machine's top-level links: what nested runc needs, and a systemd that
    rearranges it touches only this copy."""
    if _is_mountpoint(folder):
        return
    folder.mkdir(parents=True, exist_ok=True)
    _run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=755", "podhouse-testhost-cgroup", str(folder)])
    _run(["mount", "--make-private", str(folder)])
    for name in _hierarchies():
        (folder / name).mkdir(parents=True, exist_ok=True)
        _run(["mount", "--bind", str(CGROUP_ROOT / name), str(folder / name)])
        _run(["mount", "--make-private", str(folder / name)])
    for entry in CGROUP_ROOT.iterdir():
        if entry.is_symlink():
            (folder / entry.name).symlink_to(os.readlink(entry))


def unmount_private_cgroup_tree(folder: Path) -> None:
    if _is_mountpoint(folder):
        _run(["umount", "-R", str(folder)])


# --- podman of the machine -----------------------------------------------------

def _outer_env() -> dict[str, str]:
    """The machine's podman as the embedded stack configures it (runc, ulimits)."""
    state = hoststack.load_state() or hoststack.host_state()
    return {**os.environ, **state.environment()}


def _podman(*args: str, check: bool = True, capture: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(["podman", *args], env=_outer_env(), text=True,
                          capture_output=capture, **kwargs)
    if check and done.returncode != 0:
        raise TestHostError(f"podman {' '.join(args[:3])} … failed: {(done.stderr or '').strip()[-1500:]}")
    return done


def inside(*argv: str, user: str | None = None, check: bool = True, timeout: float = 600,
           input: str | None = None) -> subprocess.CompletedProcess:
    """Run a command in the test host (as root, or as `user` with its runtime dir)."""
    prefix = ["exec", "-i"] if input is not None else ["exec"]
    if user:
        prefix += ["--user", user, "--workdir", f"/home/{user}",
                   "-e", f"XDG_RUNTIME_DIR=/run/user/{LOGIN_UID}",
                   "-e", f"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{LOGIN_UID}/bus",
                   "-e", f"HOME=/home/{user}"]
    return _podman(*prefix, NAME, *argv, check=check, timeout=timeout, input=input)


# --- the image -----------------------------------------------------------------

def image_exists() -> bool:
    return _podman("image", "exists", IMAGE, check=False).returncode == 0


def build_image(work: Path, mirror: str) -> float:
    """debootstrap the test host's rootfs and import it; seconds taken (0 when cached)."""
    if image_exists():
        _log(f"{IMAGE} exists: reused")
        return 0.0
    started = time.monotonic()
    cache = (work / "apt-cache").resolve()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=work) as tmp:
        root = Path(tmp) / "root"
        _log(f"debootstrap {SUITE} minbase with systemd and podman (debs cached in {cache}) ...")
        _run(["debootstrap", "--variant=minbase", f"--include={PACKAGES}", f"--cache-dir={cache}",
              SUITE, str(root), mirror], timeout=3600)
        _configure_rootfs(root)
        _log(f"importing as {IMAGE} ...")
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        _podman("import", "--change", 'CMD ["/sbin/init"]', "--change", "STOPSIGNAL SIGRTMIN+3",
                "--message", "Podhouse test host: Debian bookworm booting systemd", "-", IMAGE,
                stdin=tar.stdout)
        tar.wait()
    took = time.monotonic() - started
    _log(f"{IMAGE} built in {took:.0f} s")
    return took


def _configure_rootfs(root: Path) -> None:
    etc = root / "etc"
    for unit in MASKED_UNITS:
        mask = etc / "systemd/system" / unit
        mask.parent.mkdir(parents=True, exist_ok=True)
        if mask.exists() or mask.is_symlink():
            mask.unlink()
        mask.symlink_to("/dev/null")
    (etc / "hostname").write_text(f"{NAME}\n")
    (etc / "machine-id").write_text("")  # systemd makes one at boot
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    # The machine's CA bundle (the registries are reached through its TLS setup).
    shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", etc / "ssl/certs/ca-certificates.crt")
    # pip trusts its own certifi bundle unless told: tell it to trust the system's.
    (etc / "pip.conf").write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    # Quadlet: podman 4.3 has none; the machine's copy (quadlet_provision) runs here too.
    binary = root / str(quadlet_provision.QUADLET).lstrip("/")
    shutil.copyfile(quadlet_provision.QUADLET, binary)
    os.chmod(binary, 0o755)
    for link in quadlet_provision.GENERATOR_LINKS:
        target = root / str(link).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(quadlet_provision.QUADLET)
    # Podman inside: runc (crun refuses cgroup v1 hybrid), ulimits without
    # CAP_SYS_RESOURCE, a subnet away from the test host's own, vfs storage
    # (overlay cannot sit on the outer container's overlay).
    (etc / "containers/containers.conf").write_text(_inner_containers_conf())
    (etc / "containers/storage.conf").write_text(
        '# Podhouse test host: overlay cannot be stacked on the outer overlay.\n'
        '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\n'
        'graphroot = "/var/lib/containers/storage"\n')
    # podman.socket for root, and for every user manager.
    wants = etc / "systemd/system/sockets.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    if not (wants / "podman.socket").is_symlink():
        (wants / "podman.socket").symlink_to("/lib/systemd/system/podman.socket")
    user_wants = etc / "systemd/user/sockets.target.wants"
    user_wants.mkdir(parents=True, exist_ok=True)
    if not (user_wants / "podman.socket").is_symlink():
        (user_wants / "podman.socket").symlink_to("/usr/lib/systemd/user/podman.socket")
    # The login user, its subordinate ids and lingering (its manager runs without a login).
    _chroot(root, "useradd", "--create-home", "--uid", str(LOGIN_UID), "--shell", "/bin/bash", LOGIN_USER)
    for name in ("subuid", "subgid"):
        (etc / name).write_text(f"{LOGIN_USER}:100000:65536\n")
    linger = root / "var/lib/systemd/linger"
    linger.mkdir(parents=True, exist_ok=True)
    (linger / LOGIN_USER).write_text("")
    home = root / "home" / LOGIN_USER
    user_conf = home / ".config/containers"
    user_conf.mkdir(parents=True, exist_ok=True)
    (user_conf / "storage.conf").write_text('[storage]\ndriver = "vfs"\n')
    _chroot(root, "chown", "-R", f"{LOGIN_USER}:{LOGIN_USER}", f"/home/{LOGIN_USER}")
    # busybox for inside, imported at each boot by `up` for root and the login user.
    _busybox_tar(root / "usr/local/share/podhouse-testhost/busybox.tar")


def _inner_containers_conf() -> str:
    return (
        "# Podhouse test host: podman settings inside.\n"
        "[containers]\n"
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
        'log_driver = "journald"\n'
        "\n[network]\n"
        "# The outer podman gives this host an address in 10.88/16: the same default\n"
        "# subnet inside cut the published port off once a container started.\n"
        'default_subnet = "10.99.0.0/16"\n'
        "\n[engine]\n"
        'runtime = "runc"\n'
        'events_logger = "journald"\n'
    )


def _busybox_tar(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = Path(tmp)
        (rootfs / "bin").mkdir()
        for directory in ("etc", "tmp", "proc", "sys", "dev", "run", "var/www", "root"):
            (rootfs / directory).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shutil.which("busybox") or "/bin/busybox", rootfs / "bin/busybox")
        for applet in hoststack.BUSYBOX_APPLETS:
            os.symlink("busybox", rootfs / "bin" / applet)
        (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
        (rootfs / "etc/group").write_text("root:x:0:\nnobody:x:65534:\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(target), "."])


def _chroot(root: Path, *argv: str) -> None:
    # Only programs that edit files (useradd, chown): nothing is mounted into the chroot.
    _run(["chroot", str(root), *argv])


# --- up, down, status ------------------------------------------------------------

@dataclass
class TestHostState:
    port: int
    cgroup_folder: str
    cgroup_mounts: list[str] = field(default_factory=list)
    build_seconds: float = 0.0
    boot_seconds: float = 0.0
    install_seconds: float = 0.0
    admin_password: str = ""


def _state_file(work: Path) -> Path:
    return work / "state.json"


def load_state(work: Path) -> TestHostState | None:
    try:
        return TestHostState(**json.loads(_state_file(work).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _save_state(work: Path, state: TestHostState) -> None:
    work.mkdir(parents=True, exist_ok=True)
    _state_file(work).write_text(json.dumps(asdict(state), indent=2))


def container_running() -> bool:
    done = _podman("container", "inspect", "--format", "{{.State.Running}}", NAME, check=False)
    return done.returncode == 0 and done.stdout.strip() == "true"


def up(work: Path, port: int, mirror: str, source_tar: bytes | None) -> TestHostState:
    """Build (or reuse) the image, boot the test host, install Podhouse from
    `source_tar` (a tar of the working tree) as podhouse.service."""
    work = work.resolve()
    before = cgroup_mounts()
    if container_running():
        state = load_state(work)
        if state is None:
            raise TestHostError(f"{NAME} runs but {work}/state.json is missing: `testhost down` first")
        _log("already running")
        return state
    quadlet_provision.ensure(work / "quadlet", log=_log)
    build = build_image(work, mirror)
    folder = work / "cgroup"
    state = TestHostState(port=port, cgroup_folder=str(folder), cgroup_mounts=before, build_seconds=build)
    _save_state(work, state)
    mount_private_cgroup_tree(folder)
    check_cgroup_mounts(before, "after mounting the private cgroup tree")
    if _podman("network", "exists", NETWORK, check=False).returncode != 0:
        _podman("network", "create", "--subnet", NETWORK_SUBNET, NETWORK)
    pip_cache = work / "pip-cache"
    pip_cache.mkdir(exist_ok=True)
    system_conf = work / "system.conf.d"
    system_conf.mkdir(exist_ok=True)
    (system_conf / "podhouse-testhost.conf").write_text(SYSTEM_CONF_DROPIN)
    started = time.monotonic()
    _podman("run", "-d", "--name", NAME, "--hostname", NAME, "--network", NETWORK,
            "--privileged", "--cgroupns=host", "-v", f"{folder}:/sys/fs/cgroup:rw,rbind",
            "-v", f"{pip_cache}:/root/.cache/pip", "-v", f"{system_conf}:/etc/systemd/system.conf.d:ro",
            "--systemd=always",
            "-p", f"127.0.0.1:{port}:{PODHOUSE_PORT_INSIDE}", IMAGE, "/sbin/init")
    try:
        _wait_booted()
        state.boot_seconds = time.monotonic() - started
        check_cgroup_mounts(before, "after booting the test host")
        for user in (None, LOGIN_USER):
            inside("podman", "import", "--change", "CMD=/bin/sh",
                   "/usr/local/share/podhouse-testhost/busybox.tar", hoststack.BUSYBOX_IMAGE, user=user)
        if source_tar is not None:
            started = time.monotonic()
            state.admin_password = install_podhouse(source_tar)
            state.install_seconds = time.monotonic() - started
        _save_state(work, state)
        check_cgroup_mounts(before, "after installing Podhouse in the test host")
    except CgroupMountsChanged:
        raise
    except Exception:
        _log("up failed; the test host is left running for a look: `testhost down` removes it")
        raise
    return state


def _wait_booted(timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    word = ""
    while time.monotonic() < deadline:
        word = inside("systemctl", "is-system-running", check=False, timeout=30).stdout.strip()
        user_ok = inside("systemctl", "is-active", f"user@{LOGIN_UID}.service", check=False).stdout.strip()
        if word in ("running", "degraded") and user_ok == "active":
            if word == "degraded":
                failed = inside("systemctl", "--failed", "--no-legend", check=False).stdout.strip()
                _log(f"booted degraded; failed units: {failed}")
            return
        time.sleep(1)
    raise TestHostError(f"the test host did not boot within {timeout:.0f} s (system: {word!r})")


def install_podhouse(source_tar: bytes) -> str:
    """The README's section "On a server where systemd is PID 1", step by step;
    returns the admin password podhouse.service printed to the journal."""
    inside("mkdir", "-p", SOURCE_DIR_INSIDE)
    _untar_inside(source_tar)
    steps = [
        ["python3", "-m", "venv", f"{SOURCE_DIR_INSIDE}/.venv"],
        [f"{SOURCE_DIR_INSIDE}/.venv/bin/pip", "install", "-q", SOURCE_DIR_INSIDE],
        ["install", "-m", "644", f"{SOURCE_DIR_INSIDE}/deploy/podhouse.service", "/etc/systemd/system/"],
        ["mkdir", "-p", "/etc/podhouse"],
    ]
    for argv in steps:
        _log("inside: " + " ".join(argv))
        inside(*argv, timeout=1200)
    # Only for this test host: listen on its own network, published to the machine's loopback.
    inside("sh", "-c", "printf 'PODHOUSE_BIND=0.0.0.0\\n' > /etc/podhouse/env")
    inside("systemctl", "daemon-reload")
    inside("systemctl", "enable", "--now", "podhouse.service")
    _wait_http()
    log = inside("journalctl", "-u", "podhouse.service", "-o", "cat", "--no-pager").stdout
    for line in log.splitlines():
        if line.strip().startswith("password:"):
            return line.split(":", 1)[1].strip()
    return ""


def _untar_inside(source_tar: bytes) -> None:
    done = subprocess.run(["podman", "exec", "-i", NAME, "tar", "-x", "-C", SOURCE_DIR_INSIDE],
                          input=source_tar, env=_outer_env(), capture_output=True)
    if done.returncode != 0:
        raise TestHostError(f"copying the source in failed: {done.stderr.decode(errors='replace')[-800:]}")


def _wait_http(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = inside("python3", "-c",
                      "import urllib.request as u; u.urlopen('http://127.0.0.1:%d/login/', timeout=2)"
                      % PODHOUSE_PORT_INSIDE, check=False, timeout=30)
        if done.returncode == 0:
            return
        time.sleep(1)
    status = inside("systemctl", "status", "podhouse.service", "--no-pager", check=False).stdout
    raise TestHostError(f"podhouse.service does not answer within {timeout:.0f} s:\n{status[-2000:]}")


def down(work: Path) -> list[str]:
    """Remove the container and network it made and unmount the private tree;
    the image stays (the cache)."""
    work = work.resolve()
    before = cgroup_mounts()
    state = load_state(work)
    done = []
    if _podman("container", "exists", NAME, check=False).returncode == 0:
        _podman("rm", "-f", "-t", "20", NAME)
        done.append(f"container {NAME}")
    if _podman("network", "exists", NETWORK, check=False).returncode == 0:
        _podman("network", "rm", NETWORK)
        done.append(f"network {NETWORK}")
    folder = Path(state.cgroup_folder) if state else work / "cgroup"
    if _is_mountpoint(folder):
        unmount_private_cgroup_tree(folder)
        done.append(f"private cgroup tree {folder}")
    check_cgroup_mounts(before, "while stopping the test host")
    if state is not None and state.cgroup_mounts:
        check_cgroup_mounts(state.cgroup_mounts, "since the test host was started")
    _state_file(work).unlink(missing_ok=True)
    return done


def status(work: Path) -> dict[str, str]:
    work = work.resolve()
    state = load_state(work)
    report = {"image": "present" if image_exists() else "absent",
              "container": "running" if container_running() else "absent"}
    if report["container"] == "running":
        report["systemd"] = inside("systemctl", "is-system-running", check=False).stdout.strip()
        report["podman.socket"] = inside("systemctl", "is-active", "podman.socket", check=False).stdout.strip()
        report[f"{LOGIN_USER} manager"] = inside("systemctl", "is-active", f"user@{LOGIN_UID}.service",
                                                 check=False).stdout.strip()
        report["podhouse.service"] = inside("systemctl", "is-active", "podhouse.service",
                                            check=False).stdout.strip()
    if state is not None:
        report["url"] = f"http://127.0.0.1:{state.port}/"
        report["cgroup mounts"] = ("as found" if cgroup_mounts() == state.cgroup_mounts
                                   else "CHANGED since up")
    return report


def _run(argv: list[str], timeout: float = 600) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if done.returncode != 0:
        raise TestHostError(f"{' '.join(argv[:3])} … failed: {(done.stderr or done.stdout).strip()[-2000:]}")


# --- the suites, run inside ------------------------------------------------------

TEST_TREE_INSIDE = "/opt/podhouse-tests"
TEST_VENV_INSIDE = "/opt/podhouse-test-venv"
# What matters on a real host: podman (containers, pods, events), journald logs by
# container, pod and unit, systemd units live over the bus, generate-and-enable.
# Their fixtures work in `host_scope`: system when run as root, user as LOGIN_USER.
REAL_HOST_TESTS = (
    "tests/integration/test_podman_client.py",
    "tests/integration/test_podman_watch.py",
    "tests/integration/test_journal_queries.py",
    "tests/integration/test_systemd_client.py",
    "tests/integration/test_systemd_watch.py",
    "tests/integration/test_generate_flow.py",
)


# Rootless podman on cgroup v1 (the test host has the machine's v1 hybrid; a Debian
# 12 server boots v2) cannot pause ("this container does not have a cgroup"), give
# stats ("only available for cgroup v2"), apply memory limits (silently 0) or run
# Quadlet's --cgroups=split (exit 126).  Left out of the login user's run, by name.
ROOTLESS_CGROUP_V2_ONLY = (
    "tests/integration/test_podman_client.py::test_container_lifecycle",
    "tests/integration/test_podman_client.py::test_every_create_field_reaches_podman",
    "tests/integration/test_podman_client.py::test_stats_follow_a_busy_container_through_stop_and_removal",
    "tests/integration/test_generate_flow.py::test_enable_then_remove_leaves_nothing_behind[quadlet]",
    "tests/integration/test_generate_flow.py::test_pod_members_start_after_the_pod_and_stop_with_it[quadlet]",
)


def cgroup_v1() -> bool:
    return not (CGROUP_ROOT / "cgroup.controllers").exists()


def run_suite(source_tar: bytes, paths: tuple[str, ...] = REAL_HOST_TESTS,
              accounts: tuple[str, ...] = ("root", LOGIN_USER), extra: tuple[str, ...] = ()) -> dict[str, int]:
    """Copy the working tree in and run pytest on `paths` as each account
    (root: the system scope; LOGIN_USER: its user scope).  Exit code per account."""
    if not container_running():
        raise TestHostError(f"{NAME} is not running: `manage.py testhost up` first")
    inside("rm", "-rf", TEST_TREE_INSIDE)
    inside("mkdir", "-p", TEST_TREE_INSIDE)
    done = subprocess.run(["podman", "exec", "-i", NAME, "tar", "--no-same-owner", "-x", "-C", TEST_TREE_INSIDE],
                          input=source_tar, env=_outer_env(), capture_output=True)
    if done.returncode != 0:
        raise TestHostError(f"copying the tests in failed: {done.stderr.decode(errors='replace')[-800:]}")
    if inside("test", "-x", f"{TEST_VENV_INSIDE}/bin/pytest", check=False).returncode != 0:
        _log("making the test venv inside (once per boot)")
        inside("python3", "-m", "venv", TEST_VENV_INSIDE)
        inside(f"{TEST_VENV_INSIDE}/bin/pip", "install", "-q", f"{TEST_TREE_INSIDE}[test]", timeout=1800)
    results = {}
    for account in accounts:
        user = None if account == "root" else account
        home = "/root" if user is None else f"/home/{user}"
        argv = ["exec", "--workdir", TEST_TREE_INSIDE, "-e", f"PODHOUSE_STATE_DIR={home}/podhouse-test-state"]
        if user:
            argv += ["--user", user, "-e", f"XDG_RUNTIME_DIR=/run/user/{LOGIN_UID}",
                     "-e", f"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{LOGIN_UID}/bus", "-e", f"HOME={home}"]
        deselect = []
        if user and cgroup_v1():
            deselect = [arg for node in ROOTLESS_CGROUP_V2_ONLY for arg in ("--deselect", node)]
            _log(f"as {account} on cgroup v1, left out (rootless needs cgroup v2): "
                 + ", ".join(ROOTLESS_CGROUP_V2_ONLY))
        _log(f"pytest as {account} on {len(paths)} files")
        started = time.monotonic()
        run = _podman(*argv, NAME, f"{TEST_VENV_INSIDE}/bin/python", "-m", "pytest", "-p", "no:cacheprovider",
                      *deselect, *extra, *paths, check=False, capture=False, timeout=3600)
        _log(f"pytest as {account}: exit {run.returncode} in {time.monotonic() - started:.0f} s")
        results[account] = run.returncode
    return results
