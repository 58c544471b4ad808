"""The embedded default host stack.

On a machine whose PID 1 is not systemd (a CI box, a container, a VM like this
project's own), Podhouse starts a private stack so that it still works for real:
a session D-Bus daemon, a systemd user manager, journald and the Podman API
service, with Podman's settings in a private containers.conf.  On a host where
systemd is PID 1 nothing is started and the real buses and podman.socket are used.

This module imports nothing of Django: the `hoststack` management command, the
test fixtures and the settings all use it.  The recipe it follows was measured on
Debian 12 (../shared/notes/host-stack.md; summary in docs/host-stack.md).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dashboard.host import quadlet_provision

# The stack belongs to the machine, not to a checkout: its state (PIDs, addresses,
# containers.conf, logs) lives beside its sockets, so every clone that runs `up`,
# `down` or the tests sees the same stack, and a reboot forgets it with them.
STATE_DIR = Path(os.environ.get("PODHOUSE_HOSTSTACK_DIR", f"/run/user/{os.geteuid()}/podhouse"))
STATE_FILE = STATE_DIR / "state.json"

# Debian packages each part needs; installed with apt when missing and root.
PACKAGES = {
    "podman": ["podman", "runc", "busybox-static", "uidmap"],
    "systemd": ["systemd", "dbus"],
}
BUSYBOX_IMAGE = "localhost/busybox:latest"
# Applets linked into the busybox image; enough for shells, servers and tests.
BUSYBOX_APPLETS = (
    "sh ash cat echo sleep ls env id ps kill httpd nc wget seq date printf true false "
    "test yes head tail grep sed awk mkdir rm cp mv touch hostname uname whoami top "
    "tr wc sort uniq cut tee logger find xargs stat df du free mount umount vi"
).split()


def systemd_is_pid1() -> bool:
    """True on a host booted with systemd.  /run/systemd/system alone is no proof:
    the embedded stack creates it so that `systemd --user` agrees to start."""
    try:
        return Path("/proc/1/comm").read_text().strip() == "systemd"
    except OSError:
        return False


@dataclass
class HostStackState:
    """What `up` recorded: the addresses the settings read and the PIDs it started."""

    embedded: bool
    runtime_dir: str
    bus_address: str
    podman_socket: str
    containers_conf: str = ""
    started: dict[str, int] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """Variables a child process (podman CLI, systemctl, journalctl) needs to
        talk to this stack."""
        env = {
            "XDG_RUNTIME_DIR": self.runtime_dir,
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
        }
        if self.containers_conf:
            env["CONTAINERS_CONF"] = self.containers_conf
        return env


def load_state() -> HostStackState | None:
    try:
        data = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return None
    return HostStackState(**data)


def _save_state(state: HostStackState) -> None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = STATE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    os.replace(tmp, STATE_FILE)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); look at its state.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def unix_socket_answers(path: str, kind: int = socket.SOCK_STREAM) -> bool:
    """True when something listens on the unix socket at `path`."""
    with socket.socket(socket.AF_UNIX, kind) as sock:
        sock.settimeout(1)
        try:
            sock.connect(path)
        except OSError:
            return False
    return True


def _wait_for(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise HostStackError(f"{what} did not come up within {timeout:.0f} s")


class HostStackError(RuntimeError):
    pass


def _log(message: str) -> None:
    print(f"hoststack: {message}", flush=True)


def ensure_packages() -> None:
    """apt-get install what is missing (only as root; otherwise say what to install)."""
    wanted = {"podman": "podman", "runc": "runc", "busybox": "busybox-static",
              "dbus-daemon": "dbus", "journalctl": "systemd", "newuidmap": "uidmap"}
    missing = sorted({pkg for binary, pkg in wanted.items() if shutil.which(binary) is None
                      and not Path(f"/bin/{binary}").exists()})
    if not Path("/lib/systemd/systemd").exists():
        missing.append("systemd")
    if not missing:
        return
    if os.geteuid() != 0:
        raise HostStackError("missing packages, install them as root: apt-get install " + " ".join(missing))
    _log("installing " + " ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *sorted(set(missing))], check=True, env=env)


def _containers_conf_text() -> str:
    # runc: crun 1.8 refuses cgroup v1 hybrid.  Ulimits at or below the hard limits
    # of this shell: without CAP_SYS_RESOURCE podman's defaults fail at start.
    nofile = min(20000, _hard_limit("RLIMIT_NOFILE", 20000))
    nproc = min(32768, _hard_limit("RLIMIT_NPROC", 32768))
    return (
        "# Written by `manage.py hoststack up`: Podman settings of Podhouse's embedded stack.\n"
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        'log_driver = "journald"\n'
        "\n[engine]\n"
        'runtime = "runc"\n'
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
    )


def _hard_limit(name: str, default: int) -> int:
    import resource

    hard = resource.getrlimit(getattr(resource, name))[1]
    return default if hard == resource.RLIM_INFINITY else hard


def _spawn(argv: list[str], env: dict[str, str], log_name: str) -> int:
    """Start a daemon in its own session, detached from our terminal and process
    group, so that it outlives this command and `down` can stop it by PID.  It
    works from /: a Podman service left in a checkout's folder fails every
    container start once that folder is deleted ("write child: broken pipe")."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log = open(STATE_DIR / f"{log_name}.log", "ab")
    proc = subprocess.Popen(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    log.close()
    return proc.pid


def _base_env(runtime_dir: str, bus_address: str, containers_conf: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "USER", "LOGNAME")}
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env.setdefault("HOME", str(Path.home()))
    env.update(XDG_RUNTIME_DIR=runtime_dir, DBUS_SESSION_BUS_ADDRESS=bus_address,
               CONTAINERS_CONF=containers_conf)
    return env


def host_state() -> HostStackState:
    """The state for a host where systemd is PID 1: nothing started, real sockets."""
    uid = os.geteuid()
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{uid}")
    return HostStackState(
        embedded=False,
        runtime_dir=runtime_dir,
        bus_address=os.environ.get("DBUS_SESSION_BUS_ADDRESS", f"unix:path={runtime_dir}/bus"),
        podman_socket=f"{runtime_dir}/podman/podman.sock",
    )


def up(install: bool = True) -> HostStackState:
    """Start each part that is not already running; harmless when run twice."""
    if systemd_is_pid1():
        # Nothing to record: the addresses are the host's own (host_state()).  And
        # /run/user/<uid> belongs to logind, whose tmpfs would later hide a file here.
        _log("systemd is PID 1: using the host's buses and podman.socket, starting nothing")
        return host_state()
    if install:
        ensure_packages()
    uid = os.geteuid()
    runtime_dir = f"/run/user/{uid}"
    bus_path = f"{runtime_dir}/bus"
    bus_address = f"unix:path={bus_path}"
    conf = STATE_DIR / "containers.conf"
    previous = load_state()
    state = HostStackState(embedded=True, runtime_dir=runtime_dir, bus_address=bus_address,
                           podman_socket=f"{runtime_dir}/podman/podman.sock",
                           containers_conf=str(conf),
                           started=dict(previous.started) if previous else {})
    # Forget PIDs that died since: a part that is gone gets started again.
    state.started = {k: v for k, v in state.started.items() if _pid_alive(v)}

    Path(runtime_dir).mkdir(parents=True, exist_ok=True)
    os.chmod(runtime_dir, 0o700)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    conf_text = _containers_conf_text()
    if not conf.exists() or conf.read_text() != conf_text:
        conf.write_text(conf_text)
    Path("/run/systemd/system").mkdir(parents=True, exist_ok=True)
    env = _base_env(runtime_dir, bus_address, str(conf))

    # 1. journald: creates its own sockets under /run/systemd/journal.
    journal_socket = "/run/systemd/journal/socket"
    if _write_journald_dropin() and "journald" in state.started:
        _stop_pid("journald", state.started.pop("journald"))  # our journald: restart it with the new settings
    if not unix_socket_answers(journal_socket, socket.SOCK_DGRAM):
        Path("/run/systemd/journal").mkdir(parents=True, exist_ok=True)
        Path("/var/log/journal").mkdir(parents=True, exist_ok=True)
        state.started["journald"] = _spawn(["/lib/systemd/systemd-journald"], env, "journald")
        _wait_for(lambda: unix_socket_answers(journal_socket, socket.SOCK_DGRAM), "journald")
        _log("journald started")

    # 2. the session bus the user manager registers on.
    if not unix_socket_answers(bus_path):
        with _suppress_missing():
            os.unlink(bus_path)
        state.started["dbus"] = _spawn(
            ["dbus-daemon", "--session", f"--address={bus_address}", "--nofork", "--nopidfile"],
            env, "dbus")
        _wait_for(lambda: unix_socket_answers(bus_path), "the session D-Bus daemon")
        _log(f"D-Bus session bus started at {bus_address}")

    # 3. the systemd user manager.  It must see CONTAINERS_CONF so that the podman
    # its units run uses the same settings as the API service.
    if not _user_manager_answers(env):
        state.started["systemd"] = _spawn(["/lib/systemd/systemd", "--user"], env, "systemd")
        _wait_for(lambda: _user_manager_answers(env), "the systemd user manager", timeout=30)
        _log("systemd user manager started")
    subprocess.run(["systemctl", "--user", "set-environment", f"CONTAINERS_CONF={conf}"],
                   env=env, check=True)

    # 4. the Podman API service.
    if not unix_socket_answers(state.podman_socket):
        Path(state.podman_socket).parent.mkdir(parents=True, exist_ok=True)
        with _suppress_missing():
            os.unlink(state.podman_socket)
        state.started["podman"] = _spawn(
            ["podman", "system", "service", "--time=0", f"unix://{state.podman_socket}"],
            env, "podman")
        _wait_for(lambda: unix_socket_answers(state.podman_socket), "the Podman API service")
        _log(f"Podman API service started at {state.podman_socket}")
    quadlet_provision.ensure(STATE_DIR / "quadlet", log=_log)

    _save_state(state)
    ensure_busybox_image(env)
    _write_env_file(state)
    return state


JOURNALD_DROPIN = Path("/run/systemd/journald.conf.d/podhouse.conf")
JOURNALD_DROPIN_TEXT = (
    "# Written by Podhouse's embedded host stack (manage.py hoststack up).\n"
    "# Without a system manager every conmon runs in init.scope, so all containers\n"
    "# share one rate-limit bucket and journald drops their lines (seen: 'Suppressed\n"
    "# 62504 messages from init.scope').  No log line may be lost: no rate limit.\n"
    "[Journal]\nRateLimitIntervalSec=0\n"
)


def _write_journald_dropin() -> bool:
    """journald reads drop-ins from /run/systemd/journald.conf.d/ too, so /etc stays
    untouched.  True when the file was written or changed."""
    if JOURNALD_DROPIN.exists() and JOURNALD_DROPIN.read_text() == JOURNALD_DROPIN_TEXT:
        return False
    JOURNALD_DROPIN.parent.mkdir(parents=True, exist_ok=True)
    JOURNALD_DROPIN.write_text(JOURNALD_DROPIN_TEXT)
    return True


def _user_manager_answers(env: dict[str, str]) -> bool:
    if not unix_socket_answers(env["DBUS_SESSION_BUS_ADDRESS"].removeprefix("unix:path=")):
        return False
    done = subprocess.run(["systemctl", "--user", "is-system-running"], env=env,
                          capture_output=True, text=True, timeout=10)
    # "running" or "degraded" both mean the manager answers on the bus.
    return done.stdout.strip() in ("running", "degraded", "starting")


class _suppress_missing:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is FileNotFoundError


def ensure_busybox_image(env: dict[str, str]) -> None:
    """localhost/busybox, made offline from busybox-static: no registry is reachable."""
    exists = subprocess.run(["podman", "image", "exists", BUSYBOX_IMAGE], env=env)
    if exists.returncode == 0:
        return
    rootfs = STATE_DIR / "busybox-rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    (rootfs / "bin").mkdir(parents=True)
    for directory in ("etc", "tmp", "proc", "sys", "dev", "run", "var/www", "root"):
        (rootfs / directory).mkdir(parents=True, exist_ok=True)
    shutil.copy2(shutil.which("busybox") or "/bin/busybox", rootfs / "bin" / "busybox")
    for applet in BUSYBOX_APPLETS:
        os.symlink("busybox", rootfs / "bin" / applet)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "--change", "CMD=/bin/sh", "-", BUSYBOX_IMAGE],
                   stdin=tar.stdout, env=env, check=True, stdout=subprocess.DEVNULL)
    tar.wait()
    shutil.rmtree(rootfs, ignore_errors=True)
    _log(f"image {BUSYBOX_IMAGE} made from busybox-static")


def _write_env_file(state: HostStackState) -> None:
    """A shell file to `source` for working on the stack by hand."""
    lines = [f"export {k}={v}" for k, v in state.environment().items()]
    (STATE_DIR / "env").write_text("\n".join(lines) + "\n")


def down() -> list[str]:
    """Stop only what `up` started, by PID, in reverse order."""
    state = load_state()
    if state is None:
        return []
    stopped = []
    for name in ("podman", "systemd", "dbus", "journald"):
        pid = state.started.pop(name, None)
        if pid is not None and _stop_pid(name, pid):
            stopped.append(name)
    _save_state(state)
    return stopped


def _stop_pid(name: str, pid: int) -> bool:
    """SIGTERM, then SIGKILL after 20 s.  The user manager stops its units (and
    their containers) on SIGTERM.  False when the process was gone already."""
    if not _pid_alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while _pid_alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    _log(f"{name} (pid {pid}) stopped")
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket"
SYSTEM_PODMAN_SOCKET = "/run/podman/podman.sock"


def status() -> dict[str, str]:
    """Each part: 'running' or 'down', from its socket, not from remembered PIDs.
    On a host where systemd is PID 1 the system scope's bus and podman socket too."""
    pid1 = systemd_is_pid1()
    state = host_state() if pid1 else (load_state() or host_state())
    env = _base_env(state.runtime_dir, state.bus_address, state.containers_conf)
    report = {"journald": _word(unix_socket_answers("/run/systemd/journal/socket", socket.SOCK_DGRAM))}
    if pid1:
        report["system dbus"] = _word(unix_socket_answers(SYSTEM_BUS_SOCKET))
        # podman.socket is socket-activated: a listening socket is what "running" means.
        report["system podman"] = _word(unix_socket_answers(SYSTEM_PODMAN_SOCKET))
        if os.geteuid() == 0:
            return report  # root has no user scope on such a host (dashboard/host/scopes.py)
    report.update({
        "dbus": _word(unix_socket_answers(state.bus_address.removeprefix("unix:path="))),
        "systemd": _word(_user_manager_answers(env)),
        "podman": _word(unix_socket_answers(state.podman_socket)),
    })
    return report


def _word(ok: bool) -> str:
    return "running" if ok else "down"
