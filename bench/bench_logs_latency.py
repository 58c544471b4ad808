"""P2: a container prints a numbered, timestamped line every millisecond for 10 s;
how long until each line is in an open Chromium page's log pane (p50/p99/max), and
are any lost?  Goal: p99 at most 100 ms, none lost.

Run: .venv/bin/python bench/bench_logs_latency.py [--seconds 10] [--interval-us 1000] [--testhost]
Starts its own daphne (e2e/conftest's server fixture) and Chromium; builds a tiny
static "ticker" image (localhost/phl-ticker) with gcc the first time.  With
--testhost: podhouse.service in the booted test host (system scope, rootful podman,
the system journal; the ticker image loaded into it), the raw `journalctl -f`
follower run inside the test host by the agent of bench/testhost_target.py."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from embedded_page import use_host_stack  # noqa: E402

TICKER_IMAGE = "localhost/phl-ticker:latest"
# Prints "seq N SECONDS.NANOSECONDS" (CLOCK_REALTIME, the same clock the browser's
# Date.now() reads on this machine) every INTERVAL_US microseconds, COUNT times;
# with interval 0 it prints as fast as it can through a full buffer.
TICKER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    long interval_us = atol(argv[1]), count = atol(argv[2]);
    static char buffer[1 << 16];
    setvbuf(stdout, buffer, interval_us ? _IOLBF : _IOFBF, sizeof buffer);
    struct timespec next, now;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 1; i <= count; i++) {
        if (interval_us) {
            next.tv_nsec += interval_us * 1000;
            while (next.tv_nsec >= 1000000000) { next.tv_nsec -= 1000000000; next.tv_sec++; }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        clock_gettime(CLOCK_REALTIME, &now);
        printf("seq %ld %ld.%09ld\n", i, (long)now.tv_sec, now.tv_nsec);
    }
    fflush(stdout);
    return 0;
}
"""


def ensure_ticker_image() -> None:
    if subprocess.run(["podman", "image", "exists", TICKER_IMAGE]).returncode == 0:
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder, "rootfs")
        (root / "bin").mkdir(parents=True)
        Path(folder, "ticker.c").write_text(TICKER_C)
        subprocess.run(["gcc", "-O2", "-static", "-o", str(root / "bin/ticker"), str(Path(folder, "ticker.c"))],
                       check=True)
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["podman", "import", "-", TICKER_IMAGE], stdin=tar.stdout, check=True,
                       stdout=subprocess.DEVNULL)
        tar.wait()


# Installed in the page before the lines come: notes when each line reaches the page
# (the pane's socket hands it over) and when it is drawn.  A pane behind by more than
# a frame's worth draws only the newest lines; the others leave the view undrawn.
RECORDER = """(() => {
window.phlArrivals = [];
window.phlDrawn = [];
const pane = document.querySelector('.log-pane');
const original = PodhouseLogPane.LogPane.prototype.append;
PodhouseLogPane.LogPane.prototype.append = function (lines) {
  const now = Date.now();
  for (const line of lines) window.phlArrivals.push([line[5], now]);
  return original.call(this, lines);
};
pane.addEventListener('logpane:drawn', (event) => {
  const now = Date.now();
  for (const line of event.detail) window.phlDrawn.push([line[5], now]);
});
})()"""


def create_ticker(kind: str, interval_us: int, count: int) -> str:
    """A ticker container, created but not started: the page resolves it first."""
    name = f"phl-bench-{kind}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["podman", "create", "--name", name, TICKER_IMAGE, "/bin/ticker", str(interval_us), str(count)],
                   check=True, stdout=subprocess.DEVNULL)
    return name


def follow_in_page(page, server, name: str, recorder: str, scope: str = "user", start=None) -> None:
    """Open the container's Logs page, install the recorder, then start the container
    (with `start(name)` when given: the test host's podman)."""
    page.goto(f"{server.url}/{scope}/logs/?kind=container&name={name}&follow=on")
    page.evaluate(recorder)
    page.wait_for_function("document.querySelector('.log-pane .log-status').textContent.startsWith('following')")
    time.sleep(0.5)
    if start is not None:
        start(name)
    else:
        subprocess.run(["podman", "start", name], check=True, stdout=subprocess.DEVNULL)


def remove(name: str) -> None:
    subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


def raw_journalctl_latencies(interval_us: int, count: int, timeout: float) -> list[float]:
    """The floor: latency (ms) of each line to a bare `journalctl -f -o json` reader."""
    import json
    import select

    name = create_ticker("p2raw", interval_us, count)
    follower = subprocess.Popen(["journalctl", "--follow", "--lines=0", "--output=json", "--output-fields=MESSAGE",
                                 f"CONTAINER_NAME={name}"], stdout=subprocess.PIPE, bufsize=0)
    latencies, pending = [], b""
    try:
        time.sleep(0.5)
        subprocess.run(["podman", "start", name], check=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while len(latencies) < count and time.monotonic() < deadline:
            if not select.select([follower.stdout], [], [], 0.5)[0]:
                continue
            *lines, pending = (pending + follower.stdout.read(1 << 20)).split(b"\n")
            now_ms = time.time() * 1000
            latencies += [now_ms - float(json.loads(line)["MESSAGE"].split()[2]) * 1000 for line in lines if line]
        return latencies
    finally:
        follower.kill()
        follower.wait()
        remove(name)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    import testhost_target  # bench/, beside this file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval-us", type=int, default=1000)
    testhost_target.add_option(parser)
    args = parser.parse_args()
    count = int(args.seconds * 1e6 / args.interval_us)
    here = "bench_logs_latency"
    use_host_stack()
    ensure_ticker_image()
    with testhost_target.target_for(args) as target:
        target.copy_image(TICKER_IMAGE)
        print(f"on the {target.name} ({target.scope} scope), {testhost_target.load_average()}")
        raw = target.call(f"{here}:raw_journalctl_latencies", args.interval_us, count, args.seconds + 30)
        with target.page() as (server, page):
            name = target.call(f"{here}:create_ticker", "p2", args.interval_us, count)
            try:
                follow_in_page(page, server, name, RECORDER, target.scope, lambda n: target.podman("start", n))
                deadline = time.monotonic() + args.seconds + 60
                while time.monotonic() < deadline:
                    received = page.evaluate("window.phlArrivals.length")
                    if received >= count:
                        break
                    time.sleep(0.5)
                time.sleep(1.0)  # anything late or doubled shows up now
                arrivals = page.evaluate("window.phlArrivals")
                drawn = page.evaluate("window.phlDrawn")
            finally:
                target.podman("rm", "-f", "-t", "0", name, check=False)
    numbers, latencies = timings(arrivals)
    drawn_numbers, drawn_latencies = timings(drawn)
    missing = sorted(set(range(1, count + 1)) - set(numbers))
    duplicates = len(numbers) - len(set(numbers))
    print(f"P2 latency: {count} lines at one per {args.interval_us} us for {args.seconds:g} s")
    print(f"  reached the page {len(numbers)}  lost {len(missing)}  duplicated {duplicates}  "
          f"in order {numbers == sorted(numbers)}  drawn {len(drawn_numbers)} (the rest left the view undrawn)")
    print(f"  raw journalctl -f (the floor) read {len(raw)} of {count}")
    for label, values in (("raw journalctl -f", raw), ("reached the page", latencies), ("drawn", drawn_latencies)):
        if values:
            print(f"  {label:17s} latency ms  p50 {statistics.median(values):.1f}  p90 {percentile(values, 0.90):.1f}  "
                  f"p99 {percentile(values, 0.99):.1f}  max {max(values):.1f}  (goal: p99 <= 100)")
    if missing:
        print(f"  first lost: {missing[:10]}")
    print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def timings(records) -> tuple[list[int], list[float]]:
    """Line numbers and their latencies (ms) from [message, arrival ms] pairs."""
    numbers, latencies = [], []
    for message, arrived_ms in records:
        _, number, stamp = message.split()
        numbers.append(int(number))
        latencies.append(arrived_ms - float(stamp) * 1000)
    return numbers, latencies


if __name__ == "__main__":
    main()
