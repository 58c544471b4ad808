"""Undoing what an integration test made under its name prefix."""
import subprocess

from dashboard.flows import services


async def remove_made(scope, prefix: str) -> None:
    """The services Podhouse generated whose names start with `prefix` (stopped,
    their files gone), then any pod and container left under that prefix."""
    for service in [s for s in services.podhouse_services(scope) if s.startswith(prefix)]:
        await services.remove(scope, service)
    subprocess.run(["sh", "-c", f"podman pod rm -f -t 0 $(podman pod ls -q --filter name=^{prefix}) 2>/dev/null; "
                                f"podman rm -f -t 0 $(podman ps -aq --filter name=^{prefix}) >/dev/null 2>&1"],
                   capture_output=True)
