"""P5: server CPU with 10 open units pages idle for 60 s.  Reads utime+stime of the
daphne process from /proc/<pid>/stat before and after, and prints the share of one
core it used.  Goal: under 1 % of one core.

The machine is shared: other work starts units and containers, and each of those
sends systemd signals that the open pages rightly follow.  So the bench also counts
the systemd signals of the window, and first measures a baseline: the same number
of pages on the audit page (no websocket), for the same time.

Run: .venv/bin/python bench/bench_units_p5_idle_cpu.py [--pages 10] [--seconds 60]
Starts its own daphne and Chromium (the e2e fixtures, through bench_logs_latency's
live_page).  The pages are units lists (services, sockets, timers, targets in turn),
each with its live websocket open."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from embedded_page import live_page  # noqa: E402  (daphne + logged-in Chromium)
from bench_units_p1_latency import BusThread  # noqa: E402

from dashboard.host import scopes  # noqa: E402

KINDS = ("service", "socket", "timer", "target")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    # Fields after the command name (which may hold spaces): utime is the 14th
    # field of the line, stime the 15th.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    bus = BusThread(scopes.get_scope("user"))
    signals = []
    bus.manager.bus.add_message_handler(lambda m: signals.append(1) if m.message_type.name == "SIGNAL" else None)
    bus.run(bus.manager.add_match("type='signal',sender='org.freedesktop.systemd1'"))

    def measure(pid):
        signals.clear()
        before, started = cpu_seconds(pid), time.monotonic()
        time.sleep(args.seconds)
        used, elapsed = cpu_seconds(pid) - before, time.monotonic() - started
        return f"{used:.2f} s CPU = {100 * used / elapsed:.3f} % of one core in {elapsed:.1f} s, {len(signals)} systemd signals"

    # Log in straight to the audit page: the landing page (containers) would start the
    # podman watcher, whose work on other people's containers is not this area's cost.
    from e2e import conftest as e2e

    def log_in_to_audit(page, server, credentials):
        page.goto(f"{server.url}/user/audit/")  # the login wall sends it on with ?next=
        page.fill("input[name=username]", credentials[0])
        page.fill("input[name=password]", credentials[1])
        page.click("button[type=submit]")
        page.wait_for_url("**/user/audit/")
        return page

    e2e.log_in = log_in_to_audit
    with live_page() as (server, first):
        pid = server.process.pid
        pages = [first] + [first.context.new_page() for _ in range(args.pages - 1)]
        for page in pages:
            page.goto(f"{server.url}/user/audit/")
        time.sleep(2)
        baseline = measure(pid)
        for i, page in enumerate(pages):
            page.goto(f"{server.url}/user/units/?kind={KINDS[i % len(KINDS)]}")
            page.wait_for_selector("#units-live[data-ws=open]")
        time.sleep(2)  # first renders done
        live = measure(pid)
        print(f"P5 daphne pid {pid}, {args.pages} pages, clock tick {1000 / TICKS:.0f} ms")
        print(f"  baseline (audit pages, no websocket): {baseline}")
        print(f"  units pages, live, idle:              {live}")


if __name__ == "__main__":
    main()
