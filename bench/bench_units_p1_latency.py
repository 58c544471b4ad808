"""P1: a unit restarted over D-Bus from outside the browser -> the row's new state in an
open Chromium page.  Prints p50/p99/max over N tries (default 50) of:
  signal   the raw PropertiesChanged reaching this script's own D-Bus connection
  row      the row first showing the restart (deactivating/inactive/activating)
  settled  the row back at "active" after that
  own      row minus signal: Podhouse's own share (watcher, Channels, websocket, htmx swap)
Goal: row p99 at most 50 ms.

Run: .venv/bin/python bench/bench_units_p1_latency.py [--tries 50] [--testhost]
Starts its own daphne and Chromium (the e2e fixtures, through bench_logs_latency's
live_page) and a phs-bench-<random>.service that it removes afterwards.  With
--testhost: podhouse.service in the booted test host, a system unit in
/etc/systemd/system restarted over the system bus by an agent inside
(bench/testhost_target.py), the signal taken there too."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

import testhost_target  # noqa: E402  (where: the embedded stack, or the test host)

from dashboard.host import scopes  # noqa: E402
from dashboard.host.systemd import SystemdError, SystemdManager  # noqa: E402

# Notes, in the page, each state the row takes (rows are replaced by id: look them up).
RECORDER = """(rowId) => {
  window.phsStates = [];
  let last = null;
  const note = () => {
    const row = document.getElementById(rowId);
    const state = row && row.dataset.active;
    if (state && state !== last) { window.phsStates.push([performance.timeOrigin + performance.now(), state]); last = state; }
  };
  new MutationObserver(note).observe(document.getElementById('units-body'), {subtree: true, childList: true, attributes: true});
  note();
}"""


class BusThread:
    """dbus-fast on its own loop, so the sync Playwright code can call it."""

    def __init__(self, scope):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.manager = self.run(SystemdManager.connect(scope))
        self.signal_times: list[float] = []

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def watch_unit(self, object_path: str):
        def on_message(message):
            if message.member == "PropertiesChanged" and message.path == object_path:
                self.signal_times.append(time.time() * 1000)
        self.manager.bus.add_message_handler(on_message)
        self.run(self.manager.add_match(
            "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
            f"path='{object_path}'"))


# The unit's side, run where its manager is (this process, or the test host's agent):
# one bus connection kept between calls.
_bus: BusThread | None = None


def unit_setup(scope_name: str, name: str) -> None:
    global _bus
    scope = scopes.get_scope(scope_name)
    unit_file = scope.unit_dir / name
    unit_file.parent.mkdir(parents=True, exist_ok=True)
    # No start rate limit: 50 restarts in a row are the point here.
    unit_file.write_text("[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep 100000\n")
    _bus = BusThread(scope)
    _bus.run(_bus.manager.daemon_reload())
    _bus.run(_bus.manager.start(name))
    _bus.watch_unit(_bus.run(_bus.manager.get_unit(name)))


def restart_on(bus: BusThread, name: str) -> float:
    """Restart over D-Bus; the time (ms since the epoch) the restart was asked."""
    bus.signal_times.clear()
    start = time.time() * 1000
    outcome = bus.run(bus.manager.restart(name))
    assert outcome.ok, outcome.message
    return start


def unit_restart(name: str) -> float:
    return restart_on(_bus, name)


def unit_signals() -> list[float]:
    return list(_bus.signal_times)


def unit_cleanup(scope_name: str, name: str) -> None:
    scope = scopes.get_scope(scope_name)
    bus = _bus or BusThread(scope)
    bus.run(bus.manager.stop(name))
    with contextlib.suppress(SystemdError):  # a stopped unit nothing refers to is unloaded at once
        bus.run(bus.manager.reset_failed(name))
    (scope.unit_dir / name).unlink(missing_ok=True)
    bus.run(bus.manager.daemon_reload())


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered):6.1f} ms  p99 {p99:6.1f} ms  max {ordered[-1]:6.1f} ms"
            f"  (n={len(ordered)})")


def restart_tries(page, bus: BusThread | None, name: str, tries: int, timeout_ms: int,
                  restart=None, signals=None):
    """Restart `name` `tries` times over D-Bus with its units page open (RECORDER
    installed) and return, in ms from each call: the raw PropertiesChanged reaching
    `bus` (signal), the row first showing the restart (row), the row back at "active"
    (settled), and how many tries showed no change within `timeout_ms` (unseen).
    `restart(name)` (-> its start time) and `signals()` do it elsewhere when given
    (the test host's agent) instead of on `bus`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    restart = restart or (lambda unit: restart_on(bus, unit))
    signals = signals or (lambda: bus.signal_times)
    signal, row, settled, unseen = [], [], [], 0
    for _ in range(tries):
        page.evaluate("window.phsStates = []")
        start = restart(name)
        try:
            page.wait_for_function("""() => {
                const s = window.phsStates; const i = s.findIndex(x => x[1] !== 'active');
                return i >= 0 && s.slice(i).some(x => x[1] === 'active'); }""", timeout=timeout_ms)
        except PlaywrightTimeout:
            # A busy user manager (someone's daemon-reload mutes the watcher, the list
            # after it shows "active" again): the page never saw a change.
            unseen += 1
            continue
        states = page.evaluate("window.phsStates")
        first_change = next(t for t, s in states if s != "active")
        back = next(t for t, s in states if s == "active" and t >= first_change)
        row.append(first_change - start)
        settled.append(back - start)
        seen = signals()
        signal.append(seen[0] - start if seen else float("nan"))
        page.wait_for_timeout(20)
    return signal, row, settled, unseen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=50)
    testhost_target.add_option(parser)
    args = parser.parse_args()
    import django
    django.setup()
    from dashboard.views.units import dom_id

    with testhost_target.target_for(args) as target, target.page() as (server, page):
        name = f"phs-bench-{secrets.token_hex(3)}.service"
        here = "bench_units_p1_latency"
        try:
            target.call(f"{here}:unit_setup", target.scope, name)
            page.goto(f"{server.url}/{target.scope}/units/")
            page.wait_for_selector(f"#{dom_id(name)}[data-active=active]")
            page.wait_for_selector("#units-live[data-ws=open]")
            page.evaluate(RECORDER, dom_id(name))
            print(f"on the {target.name} ({target.scope} scope), {testhost_target.load_average()}")
            signal, row, settled, unseen = restart_tries(
                page, None, name, args.tries, timeout_ms=5000,
                restart=lambda unit: target.call(f"{here}:unit_restart", unit),
                signals=lambda: target.call(f"{here}:unit_signals"))
            print(f"P1 restart of {name} over D-Bus -> row in Chromium, {args.tries} tries"
                  f" ({unseen} not seen as a change within 5 s)")
            print(f"  signal   {percentiles(signal)}")
            print(f"  row      {percentiles(row)}")
            print(f"  settled  {percentiles(settled)}")
            # Podhouse's own share: from the signal reaching a D-Bus client to the row.
            print(f"  own      {percentiles([r - g for r, g in zip(row, signal)])}")
            print(f"  after: {testhost_target.load_average()}")
        finally:
            target.call(f"{here}:unit_cleanup", target.scope, name)


if __name__ == "__main__":
    main()
