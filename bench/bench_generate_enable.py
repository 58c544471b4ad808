"""P7: "Generate and enable" click -> unit active, p50 over 20 tries, per format.

Each try creates a fresh busybox container with the podman CLI (not timed), then
times the whole flow behind the button (dashboard.services.generate_and_enable:
inspect, generate, write, daemon-reload, enable, start, wait for the job and check
the container runs), then removes the service (not timed).  Prints the figures.

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

from dashboard import services  # noqa: E402
from dashboard.host import hoststack, scopes


def figures(label: str, times: list[float]) -> str:
    """The P7 line both P7 benchmarks print."""
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return (f"P7 {label} ({len(times)} tries): p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p90 {p90 * 1000:.0f} ms, min {ordered[0] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms "
            "(goal: p50 <= 1500 ms)")


async def one_try(scope, fmt: str) -> float:
    name = f"phg-bench-{secrets.token_hex(3)}"
    subprocess.run(["podman", "create", "--stop-timeout=1", "--name", name, "localhost/busybox:latest",
                    "sleep", "100000"], check=True, capture_output=True)
    try:
        started = time.perf_counter()
        outcome = await services.generate_and_enable(scope, "container", name, {"format": fmt})
        elapsed = time.perf_counter() - started
        if not outcome.ok:
            raise SystemExit(f"{name}: {outcome.message} {outcome.journal}")
        return elapsed
    finally:
        if f"{name}.service" in services.podhouse_services(scope):
            await services.remove(scope, f"{name}.service")
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


async def main(tries: int) -> None:
    state = hoststack.up(install=False)
    os.environ.update(state.environment())
    scope = scopes.get_scope("user")
    for fmt in ("quadlet", "classic"):
        times = [await one_try(scope, fmt) for _ in range(tries)]
        print(figures(f"flow behind the button -> active, {fmt}", times))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    asyncio.run(main(parser.parse_args().tries))
