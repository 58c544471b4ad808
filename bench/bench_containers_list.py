"""The containers page with 500 containers: its server time against one raw
libpod containers/json call on the same socket.  Goal: at most 1.5x.

Run: .venv/bin/python bench/bench_containers_list.py [--containers 500] [--rounds 30] [--testhost]
Creates N containers (created, not started) named phc-bench-<run>-<n> through the API,
starts its own daphne (e2e/conftest's server fixture, via embedded_page.live_page)
and removes the containers at the end.  Prints p50/p90/max of both and the ratio.
With --testhost: podhouse.service in the booted test host (system scope, rootful
podman); the raw call is timed inside the test host, beside podman's socket, by the
agent of bench/testhost_target.py, and the page from here through the published port."""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import httpx  # noqa: E402

import testhost_target  # noqa: E402  (where: the embedded stack, or the test host)
from dashboard.host import scopes  # noqa: E402
from engine.podman import PodmanClient  # noqa: E402

BUSYBOX = "localhost/busybox:latest"


def run(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API holds this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def create_many(socket_path: str, prefix: str, count: int) -> list[str]:
    """Create `count` containers; when one fails (e.g. podman's num_locks, 2,048 by
    default, is used up) every one made so far is removed before the error goes on."""
    names = [f"{prefix}-{n:04d}" for n in range(count)]
    async with PodmanClient(socket_path) as client:
        try:
            for start in range(0, count, 8):  # a few at a time: podman serialises on its store lock anyway
                await asyncio.gather(*(client.create_container({"name": name, "image": BUSYBOX, "command": ["true"]})
                                       for name in names[start:start + 8]))
        except BaseException:
            await remove_many(socket_path, names)
            raise
    return names


async def remove_many(socket_path: str, names: list[str]) -> None:
    async with PodmanClient(socket_path) as client:
        for start in range(0, len(names), 8):
            await asyncio.gather(*(client.remove_container(name, force=True) for name in names[start:start + 8]),
                                 return_exceptions=True)


def raw_list_ms(raw: httpx.Client, version: str) -> float:
    started = time.perf_counter()
    response = raw.get(f"/v{version}/libpod/containers/json", params={"all": "true"})
    response.read()
    return (time.perf_counter() - started) * 1000


# Run where podman is (this process, or the test host's agent), by scope name.
_raw: tuple[httpx.Client, str] | None = None


def create_in(scope_name: str, prefix: str, count: int) -> list[str]:
    return run(create_many(scopes.get_scope(scope_name).podman_socket, prefix, count))


def remove_in(scope_name: str, names: list[str]) -> None:
    run(remove_many(scopes.get_scope(scope_name).podman_socket, names))


def count_in(scope_name: str) -> int:
    return len(run(PodmanClient(scopes.get_scope(scope_name).podman_socket).list_containers_raw()))


def raw_round(scope_name: str) -> float:
    """One raw libpod containers/json call (ms) on a connection kept between rounds."""
    global _raw
    if _raw is None:
        socket_path = scopes.get_scope(scope_name).podman_socket
        version = run(PodmanClient(socket_path).version())
        client = httpx.Client(transport=httpx.HTTPTransport(uds=socket_path), base_url="http://podman", timeout=60)
        _raw = client, version
        raw_list_ms(client, version)  # warm
    return raw_list_ms(*_raw)


def page_figure(html: str, attribute: str) -> float:
    """A timing the containers page writes into a data attribute."""
    return float(html.split(f'{attribute}="', 1)[1].split('"', 1)[0])


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    return (f"{label:<34} p50 {statistics.median(ordered):7.1f} ms   p90 {ordered[int(len(ordered) * 0.9) - 1]:7.1f} ms"
            f"   max {ordered[-1]:7.1f} ms   (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    testhost_target.add_option(parser)
    args = parser.parse_args()
    prefix = f"phc-bench-{secrets.token_hex(3)}"
    here = "bench_containers_list"
    with testhost_target.target_for(args) as target, target.page() as (server, page):
        scope = target.scope
        print(f"on the {target.name} ({scope} scope); creating {args.containers} containers ({prefix}-*) ...")
        names = target.call(f"{here}:create_in", scope, prefix, args.containers)
        try:
            print(f"{target.call(f'{here}:count_in', scope)} containers on this podman in all")
            # let the open page's watcher digest the burst of create events first
            time.sleep(5)
            print(f"measuring: {testhost_target.load_average()}")
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
            page_times, podman_times, rows_times, raw_times = [], [], [], []
            with httpx.Client(base_url=server.url, cookies=cookies, timeout=60) as web:
                web.get(f"/{scope}/containers/")  # warm: connections, template cache
                for round_number in range(args.rounds):
                    # alternate which goes first, so both see the same machine load and podman state
                    if round_number % 2:
                        raw_times.append(target.call(f"{here}:raw_round", scope))
                    started = time.perf_counter()
                    response = web.get(f"/{scope}/containers/")
                    page_times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200 and response.text.count('id="container-row-') >= args.containers
                    podman_times.append(page_figure(response.text, "data-podman-ms"))
                    rows_times.append(page_figure(response.text, "data-rows-ms"))
                    if not round_number % 2:
                        raw_times.append(target.call(f"{here}:raw_round", scope))
            print(f"after: {testhost_target.load_average()}")
        finally:
            print("removing them ...")
            target.call(f"{here}:remove_in", scope, names)
    print(summary("raw libpod containers/json", raw_times))
    print(summary("containers page (whole request)", page_times))
    print(summary("  of which the page's podman call", podman_times))
    print(summary("  of which drawing the rows", rows_times))
    ratio = statistics.median(page_times) / statistics.median(raw_times)
    print(f"ratio page/raw at p50: {ratio:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
