"""The podman CLI as the tests drive it (the same stack's podman that the
embedded host stack configures through CONTAINERS_CONF)."""
import subprocess

# built offline by the host stack (README): tests never need a registry for it
BUSYBOX = "localhost/busybox:latest"


def podman(*args: str) -> str:
    """podman's output, stripped; a failure fails the test with podman's words."""
    done = subprocess.run(["podman", *args], capture_output=True, text=True)
    assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()
