"""A private systemd user manager for fault tests that kill or re-execute it (R2).

The host stack's own user manager is shared by every suite, so it is never killed.
This one has its own session D-Bus, runtime folder and HOME (so its own unit folder,
~/.config/systemd/user under that HOME), started as hoststack.py starts the shared
one.  It also gets a cgroup of its own (a folder phf-r2-<hex> in the name=systemd and
unified hierarchies): a user manager takes the cgroup it starts in as the root of its
units, and the shared manager's is the root of the tree, so a second manager started
beside it would share app.slice with it.  `close()` stops everything and removes the
folders and cgroups; nothing else on the host changes."""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from dashboard.host import hoststack
from dashboard.host.scopes import Scope

CGROUP_ROOT = Path("/sys/fs/cgroup")
# The hierarchies where systemd finds its own cgroup (hybrid mode: both).
TRACKING_HIERARCHIES = ("systemd", "unified")


class PrivateUserManager:
    def __init__(self):
        self.name = f"phf-r2-{secrets.token_hex(3)}"
        # Short: the bus socket's path must fit in sun_path (108 bytes).
        self.folder = Path(tempfile.mkdtemp(prefix=self.name + "-", dir="/tmp"))
        self.runtime_dir = self.folder / "run"
        self.home = self.folder / "home"
        self.runtime_dir.mkdir(mode=0o700)
        self.home.mkdir()
        self.unit_dir = self.home / ".config/systemd/user"
        self.unit_dir.mkdir(parents=True)
        self.bus_path = self.runtime_dir / "bus"
        self.bus_address = f"unix:path={self.bus_path}"
        self.dbus: subprocess.Popen | None = None
        self.systemd: subprocess.Popen | None = None
        self.cgroups = [CGROUP_ROOT / h / self.name for h in TRACKING_HIERARCHIES]
        for cgroup in self.cgroups:
            cgroup.mkdir()

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG")}
        env.update(HOME=str(self.home), XDG_RUNTIME_DIR=str(self.runtime_dir),
                   DBUS_SESSION_BUS_ADDRESS=self.bus_address)
        return env

    @property
    def scope(self) -> Scope:
        """A user scope whose manager is this one (the scope's name is the usual `user`,
        as the URLs of a server pointed at it would have)."""
        state = hoststack.load_state()
        return Scope(name="user", podman_socket=state.podman_socket if state else "",
                     bus_address=self.bus_address, unit_dir=self.unit_dir,
                     quadlet_dir=self.home / ".config/containers/systemd",
                     environment=tuple(sorted({"XDG_RUNTIME_DIR": str(self.runtime_dir),
                                               "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
                                               "HOME": str(self.home)}.items())))

    # -- life ------------------------------------------------------------------
    def start(self) -> None:
        if self.dbus is None:
            self.dbus = subprocess.Popen(
                ["dbus-daemon", "--session", f"--address={self.bus_address}", "--nofork", "--nopidfile"],
                env=self.env, cwd="/", stdout=open(self.folder / "dbus.log", "ab"), stderr=subprocess.STDOUT,
                start_new_session=True)
            self._wait(lambda: hoststack.unix_socket_answers(str(self.bus_path)), "the private session bus")
        self.start_manager()

    def start_manager(self) -> None:
        """systemd --user, in this manager's cgroup, until it answers on the bus."""
        procs = [str(c / "cgroup.procs") for c in self.cgroups]

        def into_cgroup():
            for path in procs:
                with open(path, "w") as f:
                    f.write(str(os.getpid()))

        self.systemd = subprocess.Popen(
            ["/lib/systemd/systemd", "--user"], env=self.env, cwd="/", preexec_fn=into_cgroup,
            stdout=open(self.folder / "systemd.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        self._wait(self.answers, "the private user manager", timeout=30)

    def answers(self) -> bool:
        try:
            done = subprocess.run(["systemctl", "--user", "is-system-running"], env=self.env,
                                  capture_output=True, text=True, timeout=3)
        except subprocess.TimeoutExpired:
            return False  # connected to a manager that is still starting
        return done.stdout.strip() in ("running", "degraded")

    def kill(self) -> None:
        """SIGKILL the manager: no goodbye on the bus, its units' processes stay."""
        self.systemd.send_signal(signal.SIGKILL)
        self.systemd.wait()

    def systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["systemctl", "--user", *args], env=self.env, capture_output=True,
                              text=True, check=check, timeout=60)

    def write_unit(self, name: str, text: str) -> str:
        (self.unit_dir / name).write_text(text)
        return name

    def close(self) -> None:
        if self.systemd is not None and self.systemd.poll() is None:
            self.systemd.terminate()  # stops its units
            try:
                self.systemd.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.systemd.kill()
                self.systemd.wait()
        if self.dbus is not None:
            self.dbus.terminate()
            self.dbus.wait(timeout=10)
        self._remove_cgroups()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _remove_cgroups(self) -> None:
        # What a killed manager's units left running, then the folders, deepest first,
        # in every hierarchy the manager made them in (it realizes units in all of them).
        tops = [h / self.name for h in CGROUP_ROOT.iterdir() if (h / self.name).is_dir()]
        for _ in range(50):
            pids = {int(pid) for top in tops for procs in top.rglob("cgroup.procs")
                    for pid in procs.read_text().split()}
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for top in tops:
            for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                folder.rmdir()
            top.rmdir()

    @staticmethod
    def _wait(predicate, what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"{what} did not answer within {timeout:.0f} s"
            time.sleep(0.05)
