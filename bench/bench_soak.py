"""R8: a soak.  PAGES open pages (3 of 5 container lists, 1 of 5 unit lists, 1 of 5 log
panes of churned containers) while CONTAINERS containers are started and stopped
(RATE a second at most, as many as podman takes) for MINUTES.  Prints the server's
memory (growth from the first minute to the end; goal under 10 %), its fds, asyncio
tasks and journalctl children over time, what is left once the pages close (goal:
no leak), and P1 (a unit restarted over D-Bus -> its row in a units page) before
and at the end of the soak (goal: p99 unchanged), with its two parts: the raw signal
reaching a D-Bus client of the bench's own (systemd's share) and the row minus that
signal (Podhouse's own share), and how long the server's threads ran and waited
for a CPU while ready to run during those tries (the kernel's schedstat).

Run: .venv/bin/python bench/bench_soak.py [--minutes 10] [--pages 100] [--containers 50] [--rate 50] [--load-nice 19]
Runs its own daphne over a private Podman service (e2e/soak.py); the churned
containers and the P1 unit are its own and removed afterwards."""
from __future__ import annotations

import argparse
import secrets
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from embedded_page import _TempFactory, use_host_stack  # noqa: E402
from bench_units_p1_latency import (RECORDER as P1_RECORDER, restart_tries, unit_cleanup,  # noqa: E402
                                    unit_restart, unit_setup, unit_signals)


def scheduler_ms(pid: int) -> tuple[float, float]:
    """Milliseconds the process's threads have run on a CPU and waited runnable for
    one (the kernel's /proc/PID/task/TID/schedstat)."""
    ran = waited = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            fields = stat.read_text().split()
        except OSError:  # a thread that ended
            continue
        ran, waited = ran + int(fields[0]), waited + int(fields[1])
    return ran / 1e6, waited / 1e6


def p1(page, server, name: str, dom_id: str, tries: int) -> dict:
    """Milliseconds from a RestartUnit call to the raw signal (the D-Bus client of
    bench_units_p1_latency.unit_setup) and to the row first showing the change, and
    the row minus the signal: Podhouse's own share.  With them, how long the server
    ran and how long it waited for a CPU while ready to run, over the tries."""
    page.goto(f"{server.url}/user/units/")
    page.wait_for_selector(f"#{dom_id}[data-active=active]")
    page.wait_for_selector("#units-live[data-ws=open]")
    page.evaluate(P1_RECORDER, dom_id)
    ran, waited = scheduler_ms(server.daphne.pid)
    signal, row, _settled, unseen = restart_tries(page, None, name, tries, timeout_ms=10_000,
                                                  restart=unit_restart, signals=unit_signals)
    ran_after, waited_after = scheduler_ms(server.daphne.pid)
    return {"signal": signal, "row": row, "own": [r - g for r, g in zip(row, signal)], "unseen": unseen,
            "ran": ran_after - ran, "waited": waited_after - waited}


def summary(values: list[float]) -> str:
    if not values:
        return "none seen"
    ordered = sorted(values)
    return (f"p50 {statistics.median(ordered):.1f} ms  p99 {ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]:.1f} ms"
            f"  (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--containers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--p1-tries", type=int, default=20, help="0: no P1 (when the user manager is busy)")
    parser.add_argument("--load-nice", type=int, default=19, choices=range(0, 20), metavar="0-19",
                        help="niceness of the 100 pages' browser (the P1 page's is 0)")
    args = parser.parse_args()
    # A SIGTERM (timeout, kill) still cleans up: containers, unit, servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    state = use_host_stack()
    import django
    django.setup()
    from playwright.sync_api import sync_playwright

    from dashboard.host import scopes
    from dashboard.views.units import dom_id
    from e2e import conftest as e2e
    from e2e import soak

    serve = e2e.server.__wrapped__(state, _TempFactory())  # for its database with the accounts
    shared = next(serve)
    shared.process.terminate()  # only its database and settings are used
    own = soak.SoakServer(Path(tempfile.mkdtemp(prefix="phf-soak-")), shared.env)
    churn = soak.Churn(Path("/nonexistent"), 0, 0)
    scope = scopes.get_scope("user")
    unit = f"phf-soak-{secrets.token_hex(3)}.service"
    unit_file = scope.unit_dir / unit
    samples = []
    try:
        own.start()
        churn = soak.Churn(own.podman_socket, args.containers, args.rate)
        churn.create()
        measure_p1 = args.p1_tries > 0
        if measure_p1:
            unit_setup(scope.name, unit)
        with sync_playwright() as playwright:
            browser = soak.launch(playwright, nice=args.load_nice)
            context = browser.new_context()
            soak.log_in(context, own)
            probe_browser = soak.launch(playwright)
            probe_context = probe_browser.new_context()
            soak.log_in(probe_context, own)
            probe = probe_context.new_page()
            probe.set_default_timeout(120_000)
            p1_before = p1(probe, own, unit, dom_id(unit), args.p1_tries) if measure_p1 else None
            baseline = own.sample()
            pages = soak.open_pages(context, own, args.pages, churn.names)
            churn.start()
            end = time.monotonic() + args.minutes * 60
            while time.monotonic() < end:
                time.sleep(min(60.0, max(0.0, end - time.monotonic())))
                samples.append(own.sample())
                s = samples[-1]
                print(f"  {s.seconds:6.0f} s  rss {s.rss_kb} kB  fds {s.fds}  tasks {s.tasks}  "
                      f"journalctl {s.journalctls}  toggles {churn.toggles}", flush=True)
            p1_during = p1(probe, own, unit, dom_id(unit), args.p1_tries) if measure_p1 else None
            churn.stop()
            for page in pages:
                page.close()
            time.sleep(5)
            after = own.sample()
            browser.close()
            probe_browser.close()
    finally:
        if unit_file.exists():
            unit_cleanup(scope.name, unit)
        churn.remove()
        own.stop()
        next(serve, None)
    first, last = samples[0], samples[-1]
    growth = (last.rss_kb - first.rss_kb) / first.rss_kb * 100
    print(f"R8 soak: {args.pages} pages, {args.containers} containers, {churn.toggles} starts/stops "
          f"({churn.toggles / (args.minutes * 60):.1f}/s, {churn.errors} refused) in {args.minutes:g} min; "
          f"the pages' browser at nice {args.load_nice}")
    print(f"  memory: {first.rss_kb} kB after the first minute -> {last.rss_kb} kB at the end: "
          f"{growth:+.1f} % (goal under 10 %)")
    print(f"  before the pages: fds {baseline.fds} tasks {baseline.tasks} journalctl {baseline.journalctls}; "
          f"after they closed: fds {after.fds} tasks {after.tasks} journalctl {after.journalctls}")
    for when, result in (("before the pages", p1_before), ("at the end of the soak", p1_during)):
        if result is None:
            print(f"  P1 {when}: not measured (--p1-tries 0)")
            continue
        print(f"  P1 {when} ({result['unseen']} of {args.p1_tries} tries showed no change within 10 s):")
        for part in ("signal", "row", "own"):
            print(f"    {part:7s}{summary(result[part])}")
        print(f"    the server meanwhile ran {result['ran']:.0f} ms and waited {result['waited']:.0f} ms "
              f"for a CPU while ready to run")


if __name__ == "__main__":
    main()
