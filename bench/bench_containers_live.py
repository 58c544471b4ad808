"""A container started from the CLI -> its row updated in an open Chromium page:
p50/p99 over 50 tries (and the same for a stop).

Run: .venv/bin/python bench/bench_containers_live.py [--tries 50]
Starts its own daphne and Chromium (embedded_page.live_page), makes one container
phc-bench-live-<run> and removes it at the end.  The page notes (Date.now(), the
same wall clock as time.time() here) when the row's state attribute changes; the
time counted starts just before `podman start` is run."""
from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
import time

from embedded_page import live_page  # (puts the project on sys.path)

WATCH_ROW = """(name) => {
  window.phcSeen = [];
  new MutationObserver(() => {
    const row = document.querySelector(`tr[data-name="${name}"]`);
    const state = row ? row.dataset.state : "gone";
    const last = window.phcSeen[window.phcSeen.length - 1];
    if (!last || last.state !== state) window.phcSeen.push({state, at: Date.now()});
  }).observe(document.getElementById("containers-body"), {subtree: true, childList: true, attributes: true});
}"""


def wait_for_state(page, state: str, since_index: int) -> float:
    handle = page.wait_for_function(
        "([state, from]) => (window.phcSeen.slice(from).find(s => s.state === state) || {}).at || false",
        arg=[state, since_index], timeout=30_000)
    return handle.json_value() / 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    name = f"phc-bench-live-{secrets.token_hex(3)}"
    starts, stops, cli = [], [], []
    try:
        with live_page() as (server, page):
            # created only now: live_page puts the host stack's podman settings into the environment
            subprocess.run(["podman", "create", "--name", name, "localhost/busybox:latest", "sh", "-c",
                            "trap 'exit 0' TERM; sleep 600 & wait"], check=True, capture_output=True)
            page.goto(f"{server.url}/user/containers/?q={name}")
            page.wait_for_selector("#containers-table[data-live=open]")
            page.evaluate(WATCH_ROW, name)
            for _ in range(args.tries):
                for command, state, into in (("start", "running", starts), ("stop", "exited", stops)):
                    index = page.evaluate("window.phcSeen.length")
                    began = time.time()
                    done = subprocess.run(["podman", command, *(["-t", "0"] if command == "stop" else []), name],
                                          capture_output=True, text=True)
                    if done.returncode:
                        raise SystemExit(f"podman {command} {name} failed: {done.stderr.strip()}")
                    cli.append((time.time() - began) * 1000)
                    into.append((wait_for_state(page, state, index) - began) * 1000)
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
    for label, values in (("podman start -> row running", starts), ("podman stop -> row exited", stops)):
        print(f"{label:<30} p50 {statistics.median(values):7.1f} ms   p99 {percentile(values, 0.99):7.1f} ms"
              f"   max {max(values):7.1f} ms   (n={len(values)}, includes the CLI's own run time)")
    print(f"{'the podman CLI itself':<30} p50 {statistics.median(cli):7.1f} ms   p99 {percentile(cli, 0.99):7.1f} ms")


if __name__ == "__main__":
    main()
