"""Security item 2: many container-stats websockets must not make the console
unresponsive.  Opens stats sockets from Chromium (logged-in viewers, so the exact
origin and the session cookie of a real page) on a few running containers at once, and
prints:
  streams   the Podman stats streams the server opened: the connections it holds to a
            Podman service of the bench's own while the sockets are open (each stream
            has its own client), and the stats requests that service logged once they
            ended: one per container is the goal
  sockets   how many were accepted, how many refused (an account may hold
            PODHOUSE_STATS_SOCKETS_PER_USER, default 20) and how many got no sample
  interval  p50/p99 of the time between two samples on one socket (podman sends one a second)
  server    the CPU the server (daphne) used meanwhile
  page      p50/p99 of loading the containers list page (a viewer's GET) meanwhile
Two rounds: one viewer opening all the sockets (the attack of the report), then as
many viewers as it takes for all of them to be accepted.

Run: .venv/bin/python bench/bench_stats_sockets.py [--sockets 200] [--containers 4] [--seconds 20]
Starts its own Podman service (same storage and containers.conf as the host stack), its
own daphne and Chromium, and phb-stats-<random>-N containers; removes them afterwards."""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from embedded_page import _TempFactory, use_host_stack  # noqa: E402

from e2e.private_stack import OwnServer, PodmanService, stack_copy  # noqa: E402

# Opens `count` stats sockets on the containers, round robin, and notes for each when
# it opened, every sample's arrival and how it closed.
OPEN_SOCKETS = """([base, names, count]) => {
  window.phbSockets = [];
  for (let i = 0; i < count; i++) {
    const name = names[i % names.length];
    const note = {name, open: false, closed: null, samples: []};
    const ws = new WebSocket(`${base}/ws/user/containers/${encodeURIComponent(name)}/stats/`);
    ws.onopen = () => { note.open = true; };
    ws.onmessage = (event) => { if (JSON.parse(event.data).sample) note.samples.push(performance.now()); };
    ws.onclose = (event) => { note.closed = event.code; };
    note.ws = ws;
    window.phbSockets.push(note);
  }
}"""
READ_SOCKETS = """() => window.phbSockets.map(n => ({name: n.name, open: n.open, closed: n.closed, samples: n.samples}))"""
CLOSE_SOCKETS = "() => window.phbSockets.forEach(n => n.ws.close())"


def percentiles(values: list[float], unit: str = "ms") -> str:
    if not values:
        return "no values"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.1f} {unit}  p99 {p99:7.1f} {unit}  max {ordered[-1]:7.1f} {unit}  (n={len(ordered)})"


class DebugPodman(PodmanService):
    """`podman --log-level=debug system service` on a socket of its own, used only by
    the bench's server: its connections and its access log count the stats streams."""

    def __init__(self, folder: Path):
        super().__init__(folder, log_level="debug")

    def connections(self) -> int:
        """Connections open to this service now (its side of each, named by the socket's path)."""
        done = subprocess.run(["ss", "-xH", "state", "established"], capture_output=True, text=True, check=True)
        return sum(1 for line in done.stdout.splitlines() if line.split()[3:4] == [str(self.socket)])

    def stats_requests(self) -> int:
        """Stats streams that ended (the access log line is written at a request's end)."""
        return sum(1 for line in self.log.read_text(errors="replace").splitlines()
                   if '"GET ' in line and "/stats?" in line and "stream=true" in line)


def page_loads(url: str, cookies: dict, stop: threading.Event, out: list[float]) -> None:
    import httpx

    with httpx.Client(cookies=cookies, timeout=60) as client:
        while not stop.is_set():
            start = time.perf_counter()
            answer = client.get(url)
            out.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.status_code
            stop.wait(0.25)


class _after:
    """A stop event that is set after `n` waits: page_loads then makes n loads."""

    def __init__(self, n: int):
        self.n = n

    def is_set(self) -> bool:
        return self.n <= 0

    def wait(self, _seconds: float) -> None:
        self.n -= 1


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(title, browser, own, viewers, names, sockets, seconds, podman, e2e):
    per_viewer = -(-sockets // len(viewers))
    contexts, pages = [], []
    idle: list[float] = []
    for index, viewer in enumerate(viewers):
        count = min(per_viewer, sockets - index * per_viewer)
        if count <= 0:
            break
        context = browser.new_context(**e2e.CONTEXT)
        page = context.new_page()
        page.set_default_timeout(60_000)
        e2e.log_in(page, own, viewer)
        if index == 0:
            # The list page before anything else is open, for comparison (after two
            # loads that start the server's watchers).
            cookies = {c["name"]: c["value"] for c in context.cookies()}
            page_loads(f"{own.url}/user/containers/", cookies, _after(2), [])
            idle_stop = threading.Event()
            idle_thread = threading.Thread(target=page_loads, args=(f"{own.url}/user/containers/", cookies,
                                                                    idle_stop, idle))
            idle_thread.start()
            time.sleep(5)
            idle_stop.set()
            idle_thread.join()
        page.goto(f"{own.url}/user/containers/")
        contexts.append(context)
        pages.append((page, count))
    time.sleep(3)  # the pages' own sockets settled
    streams_before, connections_before = podman.stats_requests(), podman.connections()
    loads: list[float] = []
    stop = threading.Event()

    base = own.url.replace("http://", "ws://")
    for page, count in pages:
        page.evaluate(OPEN_SOCKETS, [base, names, count])
    loader = threading.Thread(target=page_loads, args=(f"{own.url}/user/containers/", cookies, stop, loads))
    loader.start()
    cpu_before, wall_before = _cpu_seconds(own.process.pid), time.monotonic()
    time.sleep(seconds / 2)
    connections = podman.connections()
    time.sleep(seconds / 2)
    cpu = (_cpu_seconds(own.process.pid) - cpu_before) / (time.monotonic() - wall_before)
    stop.set()
    loader.join()
    notes = [note for page, _ in pages for note in page.evaluate(READ_SOCKETS)]
    for page, _ in pages:
        page.evaluate(CLOSE_SOCKETS)
    for context in contexts:
        context.close()
    # The last viewer gone, each stream ends and podman logs it (late on a busy machine).
    streams, stable_since, deadline = -1, time.monotonic(), time.monotonic() + 30
    while time.monotonic() - stable_since < 5 and time.monotonic() < deadline:
        now = podman.stats_requests() - streams_before
        if now != streams:
            streams, stable_since = now, time.monotonic()
        time.sleep(0.5)

    accepted = [n for n in notes if n["open"] and n["closed"] in (None, 1000, 1005)]
    refused = [n for n in notes if n["closed"] not in (None, 1000, 1005)]
    starved = [n for n in accepted if not n["samples"]]
    intervals = [b - a for n in accepted for a, b in zip(n["samples"], n["samples"][1:])]
    codes = dict(sorted(Counter(n["closed"] for n in refused).items()))
    print(f"{title}: {len(notes)} sockets from {len(pages)} viewer(s) on {len(names)} containers, "
          f"held {seconds} s")
    print(f"  streams   {connections - connections_before} more connections to podman while the sockets were open "
          f"({connections_before} before, {connections} then: one client per stats stream); "
          f"{streams} stats streams ended after they closed (podman's access log)")
    print(f"  server    daphne used {cpu * 100:.0f} % of one core while the sockets were open")
    print(f"  sockets   {len(accepted)} accepted, {len(refused)} refused (by close code {codes}), "
          f"{len(starved)} accepted without a sample")
    print(f"  interval  {percentiles(intervals)}")
    print(f"  page      {percentiles(loads)}   (idle before: {percentiles(idle)})")
    return {"streams": streams, "accepted": len(accepted), "refused": len(refused), "starved": len(starved)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--containers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from e2e import conftest as e2e
    from tests.podman_cli import BUSYBOX, podman

    state = use_host_stack()
    factory = _TempFactory()
    serve = e2e.server.__wrapped__(state, factory)
    server = next(serve)
    limit = int(os.environ.get("PODHOUSE_STATS_SOCKETS_PER_USER", "20"))
    extra = [(f"stats-viewer-{i}", f"stats-viewer-password-{i}") for i in range(-(-args.sockets // limit))]
    server.manage("shell", "-c", "from django.contrib.auth.models import User\n" + "\n".join(
        f"User.objects.create_user({u!r}, '', {p!r})" for u, p in extra))
    tag = f"phb-stats-{secrets.token_hex(3)}"
    names = [f"{tag}-{i}" for i in range(args.containers)]
    folder = factory.mktemp("stack")
    podman_service = own = None
    try:
        for name in names:
            podman("run", "-d", "--name", name, BUSYBOX, "sleep", "100000")
        podman_service = DebugPodman(folder).start()
        stack_copy(folder, podman_socket=podman_service.socket)
        own = OwnServer({**server.env, "PODHOUSE_HOSTSTACK_DIR": str(folder)}, folder / "daphne.log").start()
        print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
            one_round("one viewer", browser, own, [e2e.VIEWER], names, args.sockets, args.seconds,
                      podman_service, e2e)
            time.sleep(2)  # the first round's sockets closed, their streams stopped
            one_round("all accepted", browser, own, extra, names, args.sockets, args.seconds, podman_service, e2e)
            browser.close()
        print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    finally:
        if own is not None:
            own.stop()
        if podman_service is not None:
            podman_service.stop()
        subprocess.run(["podman", "rm", "-f", "-t", "0", *names], capture_output=True)
        with contextlib.suppress(StopIteration):
            next(serve)
        shutil.rmtree(factory.base, ignore_errors=True)


if __name__ == "__main__":
    main()
