"""Parts of a host stack of a test's or bench's own, for what must not touch the
shared one: a Podman service to kill (R1) or to load with churn (R8) or thousands of
containers (P8), a daphne to kill (R4), a user manager's bus (R2).

- PodmanService: `podman system service` on a socket of its own.  By default it
  uses the host stack's storage and containers.conf (the same containers); with
  `own_storage` it has storage of its own (see there).
- stack_copy: a copy of the host stack's state file with some parts changed (the
  Podman socket, the user manager's bus); a server started with
  PODHOUSE_HOSTSTACK_DIR=<its folder> uses those parts and the shared rest.
- OwnServer: a daphne of its own, same settings and database as the session's."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dashboard.host import hoststack
from e2e.conftest import PROJECT_DIR, _free_port

MACHINE_STORAGE = "/var/lib/containers/storage"


def _wait(predicate, what: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, f"{what} exited: see {log}"
        assert time.monotonic() < deadline, f"{what} did not answer within {timeout:.0f} s: see {log}"
        time.sleep(0.05)


class _Child:
    """A process of the test's own: SIGKILL it (a fault), or stop it (SIGTERM, and
    SIGKILL after 30 s)."""
    process: subprocess.Popen | None = None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class PodmanService(_Child):
    """`podman system service` on folder/podman.sock, its log in folder/podman.log.

    own_storage=True: for container counts the machine's podman cannot hold (P8's
    3,000).  A podman on the machine's storage takes one lock per container from the
    shared-memory segment /dev/shm/libpod_lock, whose size (`num_locks`, 2,048) is
    the same for every podman on the machine: raising it would change the machine
    for everyone.  This one keeps overlay storage in folder/storage, takes its locks
    as files in its own tmp_dir (`lock_type = "file"`, no fixed count) and reads the
    machine's images read-only (`additionalimagestores`), so it needs no pull.  Its
    other settings are the embedded stack's.  remove() deletes that storage."""

    def __init__(self, folder: Path, *, own_storage: bool = False, log_level: str | None = None):
        self.folder = Path(folder)
        self.socket = self.folder / "podman.sock"
        self.log = self.folder / "podman.log"
        self.own_storage = own_storage
        self.log_level = log_level
        self.process: subprocess.Popen | None = None

    def _environment(self) -> dict:
        if not self.own_storage:
            return dict(os.environ)
        state = hoststack.load_state()
        tmp = self.folder / "tmp"
        tmp.mkdir(exist_ok=True)
        conf = Path(state.containers_conf).read_text() if state.containers_conf else "[engine]\n"
        if "[engine]" not in conf:
            conf += "\n[engine]\n"
        # At the end of the file, so under [engine], the embedded stack's last table.
        (self.folder / "containers.conf").write_text(
            conf.rstrip("\n") + f'\nlock_type = "file"\ntmp_dir = "{tmp}"\n')
        (self.folder / "storage.conf").write_text(
            '[storage]\ndriver = "overlay"\n'
            f'graphroot = "{self.folder}/storage"\nrunroot = "{self.folder}/run"\n'
            f'[storage.options]\nadditionalimagestores = ["{MACHINE_STORAGE}"]\n')
        return {**os.environ, **state.environment(), "CONTAINERS_CONF": str(self.folder / "containers.conf"),
                "CONTAINERS_STORAGE_CONF": str(self.folder / "storage.conf")}

    def start(self) -> "PodmanService":
        self.socket.unlink(missing_ok=True)
        level = [f"--log-level={self.log_level}"] if self.log_level else []
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                ["podman", *level, "system", "service", "--time=0", f"unix://{self.socket}"],
                env=self._environment(), cwd="/", stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: hoststack.unix_socket_answers(str(self.socket)), "the private podman service",
              self.process, self.log)
        return self

    def remove(self) -> None:
        """Stop it and delete its folder, storage and all."""
        self.stop()
        _unmount_under(self.folder)
        shutil.rmtree(self.folder)


def _unmount_under(base: Path) -> None:
    """Unmount what podman left mounted in `base`, deepest first: the overlay driver
    bind-mounts its own folder (graphroot/overlay) onto itself and leaves it so."""
    prefix = str(base) + "/"
    with open("/proc/self/mountinfo") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    for point in sorted({p for p in points if p.startswith(prefix)}, key=len, reverse=True):
        subprocess.run(["umount", point], check=True)


def stack_copy(folder: Path, **changes) -> Path:
    """folder/state.json: the host stack's state with `changes`, and nothing marked as
    started by it (so nobody stops the shared stack's parts through the copy).
    Returns folder, for PODHOUSE_HOSTSTACK_DIR."""
    state = json.loads(hoststack.STATE_FILE.read_text())
    state.update({key: str(value) if isinstance(value, Path) else value for key, value in changes.items()},
                 started={})
    (Path(folder) / "state.json").write_text(json.dumps(state, indent=2))
    return Path(folder)


class OwnServer(_Child):
    """daphne on a free port with `env` (the session server's, plus what the test
    changes), its output in `log`."""

    def __init__(self, env: dict, log: Path, command: list[str] | None = None):
        self.env, self.log, self.port = env, log, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = command or [str(Path(sys.executable).parent / "daphne")]
        self.process: subprocess.Popen | None = None

    def start(self) -> "OwnServer":
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*self.command, "-b", "127.0.0.1", "-p", str(self.port), "dashboard.asgi:application"],
                cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT)

        def listening():
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0
        _wait(listening, "daphne", self.process, self.log)
        return self

