"""Faults while writing unit files (R5, R6).

R5: a writer SIGKILLed in the middle of writing units never leaves a half-written unit
file, and the next start of the server reports the temporary files it left.
R6: a unit write onto a full disk (a small tmpfs as the unit folder) fails with words
that say so, and the previous file is intact."""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from engine.units import install
from engine.units.generated import UnitFile

pytestmark = pytest.mark.integration
PROJECT_DIR = Path(__file__).resolve().parents[2]

# Each version of a unit is large (so that a kill lands inside a write) and says its
# own number at its start and at its end: a whole file has both, and the same.
WRITER = r"""
import itertools, sys
from pathlib import Path
from engine.units import install
folder = Path(sys.argv[1])
for version in itertools.count(1):
    for index in range(3):
        body = ("# filler line of a unit file, long enough to take a while to write\n" * 16000)
        text = f"[Unit]\nDescription=version {version}\n{body}# end of version {version}\n"
        install.write_atomically(folder / f"phf-r5-{index}.service", text)
    print(version, flush=True)
"""


def whole_version(path: Path) -> int:
    """The version a unit file holds; fails the test if the file is not whole."""
    text = path.read_text()
    first = text.splitlines()[1]
    assert first.startswith("Description=version "), f"{path} starts wrong: {first[:60]!r}"
    version = int(first.split()[-1])
    assert text.endswith(f"# end of version {version}\n"), f"{path} is cut short ({len(text)} bytes)"
    return version


def test_r5_a_writer_killed_mid_write_leaves_whole_units_and_the_next_start_reports_leftovers(tmp_path):
    home = tmp_path / "home"
    folder = home / ".config/systemd/user"
    folder.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    kills, mid_write = 0, 0
    rng = random.Random(13)
    # Kill until at least three kills landed inside a write, the last one included.
    for _ in range(40):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], stdout=subprocess.PIPE, env=env,
                                  cwd=PROJECT_DIR)
        assert writer.stdout.readline(), "the writer never finished a round"
        time.sleep(rng.uniform(0.0, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        kills += 1
        for index in range(3):
            whole_version(folder / f"phf-r5-{index}.service")
        if install.leftovers([folder]):
            mid_write += 1
            if mid_write >= 3:
                break
    print(f"R5: {kills} kills, {mid_write} landed inside a write; every unit file whole")
    assert mid_write >= 3, "too few kills landed inside a write for the test to mean anything"
    leftover = install.leftovers([folder])
    assert leftover and all(p.name.startswith(".phf-r5-") for p in leftover)

    # The next start of the server (what daphne does first: import the ASGI app).
    started = subprocess.run([sys.executable, "-c", "import dashboard.asgi"], cwd=PROJECT_DIR,
                             env={**env, "HOME": str(home)}, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    for path in leftover:
        assert f"unfinished unit write from an earlier run: {path}" in started.stderr


@pytest.fixture
def small_tmpfs():
    """A 256 KiB tmpfs as a unit folder (mounted on a folder of our own, unmounted after)."""
    folder = Path(tempfile.mkdtemp(prefix="phf-r6-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()


def test_r6_a_unit_write_onto_a_full_disk_says_so_and_keeps_the_previous_file(small_tmpfs):
    path = small_tmpfs / "phf-r6.service"
    previous = "[Unit]\nDescription=the one that works\n\n[Service]\nExecStart=/bin/true\n"
    install.install(install.plan([UnitFile("unit", path.name, previous)], {"unit": small_tmpfs}))
    # Fill the disk but for a little, then ask for a unit file that no longer fits.
    ballast = os.open(small_tmpfs / "ballast", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError):
            while True:
                os.write(ballast, b"\0" * 4096)
        # Room for the small backup of the previous file, not for the new one.
        os.ftruncate(ballast, os.fstat(ballast).st_size - 16384)
    finally:
        os.close(ballast)
    bigger = previous + "# " + "x" * 200_000 + "\n"
    planned = install.plan([UnitFile("unit", path.name, bigger)], {"unit": small_tmpfs})
    with pytest.raises(install.UnitWriteError) as failure:
        install.install(planned, confirmed=True)
    message = str(failure.value)
    print(f"R6: {message}")
    assert message == f"could not write {path}: No space left on device; the file that was there is unchanged"
    assert path.read_text() == previous
    assert install.leftovers([small_tmpfs]) == []  # the half-written temporary went away
    # With room again, the same write succeeds.
    (small_tmpfs / "ballast").unlink()
    install.install(install.plan([UnitFile("unit", path.name, bigger)], {"unit": small_tmpfs}), confirmed=True)
    assert path.read_text() == bigger
