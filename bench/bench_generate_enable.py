"""P7: "Generate and enable" click -> unit active, p50 over 20 tries, per format.

Each try creates a fresh busybox container with the podman CLI (not timed), then
times the whole flow behind the button (dashboard.flows.services.build then
enable_preview: inspect, generate, the shadow verification, write, set the
original aside, daemon-reload, enable, start, wait for the job, check the container
runs, remove the previous container), then removes the service (not timed).  Prints
the figures, and those of the verification alone (the shadow made, inspected,
compared and removed).

    source /run/user/0/podhouse/env && .venv/bin/python bench/bench_generate_enable.py [--tries 20]
"""
import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from dashboard.flows import services  # noqa: E402
from dashboard.host import hoststack, scopes  # noqa: E402
from dashboard.host.podman_clients import client_for  # noqa: E402
from engine.units import verify  # noqa: E402


def figures(label: str, times: list[float]) -> str:
    """The P7 line both P7 benchmarks print."""
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return (f"P7 {label} ({len(times)} tries): p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p90 {p90 * 1000:.0f} ms, min {ordered[0] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms "
            "(goal: p50 <= 1500 ms, p90 <= 2500 ms)")


async def one_try(scope, fmt: str) -> tuple[float, float]:
    name = f"phg-bench-{secrets.token_hex(3)}"
    subprocess.run(["podman", "create", "--stop-timeout=1", "--name", name, "localhost/busybox:latest",
                    "sleep", "100000"], check=True, capture_output=True)
    try:
        started = time.perf_counter()
        # A short stop timeout only speeds up the removal after the try (not timed).
        preview = await services.build(scope, "container", name, {"format": fmt, "stop_timeout": "1"})
        outcome = await services.enable_preview(scope, preview)
        elapsed = time.perf_counter() - started
        if not outcome.ok or not preview.verification.identical:
            raise SystemExit(f"{name}: {preview.verification.summary} {outcome.message} {outcome.journal}")
        check = await verify_alone(scope, preview)
        print(f"{fmt} try: {elapsed * 1000:.0f} ms, verification alone {check * 1000:.0f} ms "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)
        return elapsed, check
    finally:
        if f"{name}.service" in services.podhouse_services(scope):
            await services.remove(scope, f"{name}.service")
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


async def verify_alone(scope, preview) -> float:
    """The verification step by itself, on the service's container now running."""
    client = client_for(scope.name)
    original = await verify.read_container_spec(client, preview.name)
    started = time.perf_counter()
    await verify.verify(client, scope.child_env(), services.runtime_dir(scope), preview.units, preview.dryrun,
                        original)
    return time.perf_counter() - started


async def main(tries: int) -> None:
    state = hoststack.up(install=False)
    os.environ.update(state.environment())
    scope = scopes.get_scope("user")
    for fmt in ("quadlet", "classic"):
        pairs = [await one_try(scope, fmt) for _ in range(tries)]
        print(figures(f"flow behind the button -> active, with verification, {fmt}", [p[0] for p in pairs]))
        print(figures(f"the verification alone, {fmt}", [p[1] for p in pairs]))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    asyncio.run(main(parser.parse_args().tries))
