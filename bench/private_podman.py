"""A Podman API service of the bench's own, for container counts this machine's
podman cannot hold: P8's N=3,000 (issue #12).

Why: a podman that uses the machine's storage (the embedded stack's does) takes one
lock per container from the shared-memory segment /dev/shm/libpod_lock, whose size,
`num_locks` (2,048 by default), is fixed for every podman on the machine: raising it
changes the machine for everyone until `podman system renumber`.  This service has
its own storage (overlay, under a temporary folder of /var/tmp), takes its locks as
files in its own tmp_dir (`lock_type = "file"`, no fixed count) and reads the
machine's images read-only (`additionalimagestores`), so it needs no pull and
changes nothing outside its folder.  Its settings are the embedded stack's
(runtime, cgroup manager, log driver) plus those.

Podhouse is pointed at it through a copy of the host stack's state file in a folder
of its own (PODHOUSE_HOSTSTACK_DIR, set for the server the bench starts): the same
stack (user manager, journald), only the Podman socket differs.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from dashboard.host import hoststack

MACHINE_STORAGE = "/var/lib/containers/storage"


@dataclasses.dataclass
class PrivatePodman:
    socket: str
    hoststack_dir: str  # give it to the server as PODHOUSE_HOSTSTACK_DIR


@contextlib.contextmanager
def private_podman(state):
    """Start the service for the host stack `state` (hoststack.HostStackState); yield
    a PrivatePodman; stop it and delete its folder (storage and all) at the end."""
    base = Path(tempfile.mkdtemp(prefix="phc-podman-", dir="/var/tmp"))
    process = None
    try:
        (base / "tmp").mkdir()
        conf = Path(state.containers_conf).read_text() if state.containers_conf else "[engine]\n"
        if "[engine]" not in conf:
            conf += "\n[engine]\n"
        # Appended at the end of the file, so under [engine], the embedded stack's last table.
        (base / "containers.conf").write_text(
            conf.rstrip("\n") + f'\nlock_type = "file"\ntmp_dir = "{base}/tmp"\n')
        (base / "storage.conf").write_text(
            '[storage]\ndriver = "overlay"\n'
            f'graphroot = "{base}/storage"\nrunroot = "{base}/run"\n'
            f'[storage.options]\nadditionalimagestores = ["{MACHINE_STORAGE}"]\n')
        socket = base / "podman.sock"
        env = {**os.environ, **state.environment(), "CONTAINERS_CONF": str(base / "containers.conf"),
               "CONTAINERS_STORAGE_CONF": str(base / "storage.conf")}
        log = open(base / "podman.log", "wb")
        process = subprocess.Popen(["podman", "system", "service", "--time", "0", f"unix://{socket}"],
                                   env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while not hoststack.unix_socket_answers(str(socket)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the private podman service did not start: {(base / 'podman.log').read_text()}")
            time.sleep(0.1)
        hoststack_dir = base / "hoststack"
        hoststack_dir.mkdir()
        (hoststack_dir / "state.json").write_text(
            json.dumps({**dataclasses.asdict(state), "podman_socket": str(socket)}, indent=2))
        yield PrivatePodman(socket=str(socket), hoststack_dir=str(hoststack_dir))
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _unmount_under(base)
        shutil.rmtree(base)


def _unmount_under(base: Path) -> None:
    """Unmount what podman left mounted in `base`, deepest first: the overlay driver
    bind-mounts its own folder (graphroot/overlay) onto itself and leaves it so."""
    prefix = str(base) + "/"
    with open("/proc/self/mountinfo") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    for point in sorted({p for p in points if p.startswith(prefix)}, key=len, reverse=True):
        subprocess.run(["umount", point], check=True)
