"""P8: cold load of the containers page in Chromium, from navigation start to every one
of N container names visible.  Goal: N=300 at most 350 ms, N=3,000 at most 2 s
(median of 5 cold loads).

Run: .venv/bin/python bench/bench_containers_cold_load.py [--counts 300 3000] [--loads 5] [--stack-podman] [--busy-cores K]
The containers live in a Podman service of the bench's own (e2e/private_stack.py,
PodmanService with own_storage: its own storage and file locks, so 3,000 fit without
raising the machine's num_locks); --stack-podman uses the embedded stack's instead
(at most 2,048).
For each N it creates N containers (created, not started) named phc-cold-<run>-<n>
through the API, loads /user/containers/ in a fresh browser context each time (no
cache, the session cookie only), and removes the containers at the end.  A load ends
at the first animation frame in which the table holds a row for each of the N names
and the last of them has a layout box, with the page's stylesheet applied (it is drawn).  Prints each load and the median;
the time to first byte and the page's own server timings come along.
--busy-cores K: a busy machine.  K processes spin at normal priority during the loads
(not while the containers are created), each wanting a whole core."""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "bench")]

from bench_containers_list import create_many, remove_many, run  # noqa: E402
from embedded_page import live_page, use_host_stack  # noqa: E402
from dashboard.host import scopes  # noqa: E402
from e2e.private_stack import PodmanService, stack_copy  # noqa: E402

# Resolves with performance.now() (ms since navigation start) at the first frame in
# which all N names are in the table and drawn.
ALL_VISIBLE = """([prefix, count]) => new Promise((resolve, reject) => {
  const started = performance.now();
  const check = () => {
    const rows = document.querySelectorAll(`#containers-body > tr[data-name^="${prefix}"]`);
    // styled, not only parsed: a frame can come before the stylesheet has (then nothing is drawn)
    const styled = rows.length && getComputedStyle(rows[0].closest("table")).borderTopStyle === "solid";
    if (rows.length >= count && styled && rows[rows.length - 1].getBoundingClientRect().height > 0) {
      resolve(performance.now());
    } else if (performance.now() - started > 60000) {
      const table = document.getElementById("containers-table");
      reject(new Error(`after 60 s the table holds ${rows.length} of the ${count} rows (source ${table && table.dataset.source},`
                       + ` socket ${table && table.dataset.live}, ${document.querySelectorAll("#containers-body > tr").length} rows in all)`));
    } else {
      requestAnimationFrame(check);
    }
  };
  check();
})"""


def cold_load(browser, server, cookies, prefix: str, count: int) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(120_000)
        # "commit": the measurement runs in the page from its first bytes on
        page.goto(f"{server.url}/user/containers/", wait_until="commit")
        visible = page.evaluate(ALL_VISIBLE, [prefix, count])
        timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
            const files = performance.getEntriesByType('resource').filter(r => ['script', 'link'].includes(r.initiatorType));
            return {ttfb: n.responseStart, html: n.responseEnd, size: n.transferSize,
                    files: Math.max(0, ...files.map(r => r.responseEnd))}; }""")
        table = page.locator("#containers-table")
        return {"visible": visible, **timing, "podman": float(table.get_attribute("data-podman-ms") or "nan"),
                "rows": float(page.locator("#containers-rows-ms").get_attribute("value") or "nan")}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--stack-podman", action="store_true",
                        help="the embedded stack's podman (at most 2,048 containers) instead of the bench's own")
    parser.add_argument("--busy-cores", type=int, default=0,
                        help="processes that spin at normal priority during the loads, a core each")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.stack_podman:
            socket = None
        else:
            use_host_stack()
            # in /var/tmp: overlay storage does not work on the tmpfs of /tmp
            podman = PodmanService(Path(tempfile.mkdtemp(prefix="phc-podman-", dir="/var/tmp")), own_storage=True)
            stack.callback(podman.remove)
            podman.start()
            # for the server started next
            os.environ["PODHOUSE_HOSTSTACK_DIR"] = str(stack_copy(podman.folder, podman_socket=podman.socket))
            socket = str(podman.socket)
            print(f"podman: the bench's own service at {socket}", flush=True)
        server, page = stack.enter_context(live_page())
        socket = socket or scopes.get_scope("user").podman_socket
        browser = page.context.browser
        cookies = page.context.cookies()
        for count in args.counts:
            measure(browser, server, cookies, socket, count, args.loads, args.busy_cores)


@contextlib.contextmanager
def busy_cores(count: int):
    """count processes, each spinning on a core of its own, for as long as the block runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def measure(browser, server, cookies, socket: str, count: int, loads_wanted: int, busy: int = 0) -> None:
    prefix = f"phc-cold-{secrets.token_hex(3)}"
    print(f"creating {count} containers ({prefix}-*) ...", flush=True)
    started = time.monotonic()
    names = run(create_many(socket, prefix, count))
    print(f"  created in {time.monotonic() - started:.0f} s", flush=True)
    try:
        cold_load(browser, server, cookies, prefix, count)  # the server's first: watchers, templates
        loads = []
        if busy:
            print(f"  {busy} core(s) kept busy during the loads", flush=True)
        with busy_cores(busy):
            for _ in range(loads_wanted):
                load = cold_load(browser, server, cookies, prefix, count)
                loads.append(load)
                print(f"  N={count}: all names visible at {load['visible']:7.1f} ms; first byte {load['ttfb']:6.1f} ms,"
                      f" HTML done {load['html']:6.1f} ms ({load['size'] / 1024:.0f} KB), its scripts and stylesheet {load['files']:6.1f} ms;"
                      f" server: podman {load['podman']:.1f} ms, rows {load['rows']:.1f} ms", flush=True)
        print(f"N={count}: median {statistics.median(l['visible'] for l in loads):.1f} ms "
              f"(first byte {statistics.median(l['ttfb'] for l in loads):.1f} ms) over {len(loads)} cold loads")
    finally:
        print("removing them ...", flush=True)
        run(remove_many(socket, names))


if __name__ == "__main__":
    main()
