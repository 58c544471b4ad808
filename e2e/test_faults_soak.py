"""R8, short: 10 open pages while containers are started and stopped for 30 s leave no
asyncio task, file descriptor or journalctl process behind once the pages close.
The long soak (100 pages, 10 minutes, memory and P1) is bench/bench_soak.py."""
import time

import pytest

from e2e import soak

pytestmark = pytest.mark.e2e
PAGES = 10
SECONDS = 30


def settle(server: soak.SoakServer, journalctls: int = 0, tasks: int | None = None,
           timeout: float = 20) -> soak.Sample:
    """A sample once the server's journalctl children are down to `journalctls` (and its
    tasks to `tasks`: closed pages' consumers end a moment after their sockets), or
    the last one after `timeout` seconds: a leak stays."""
    deadline = time.monotonic() + timeout
    while True:
        sample = server.sample()
        settled = sample.journalctls <= journalctls and (tasks is None or sample.tasks <= tasks)
        if settled or time.monotonic() > deadline:
            return sample
        time.sleep(0.5)


def test_r8_a_short_soak_leaks_no_task_fd_or_journalctl(server, browser, tmp_path):
    own = soak.SoakServer(tmp_path, server.env)
    churn = None
    try:
        own.start()
        churn = soak.Churn(own.podman_socket, count=10, rate=10)
        churn.create()
        # The session's browser: a second sync Playwright cannot start in this thread.
        context = browser.new_context(bypass_csp=True)
        soak.log_in(context, own)
        # Warm up: every watcher and pool a page starts exists from here on.
        for page in soak.open_pages(context, own, PAGES, churn.names):
            page.wait_for_load_state("networkidle")
            page.close()
        before = settle(own)
        tasks_before = list(own.task_names)

        pages = soak.open_pages(context, own, PAGES, churn.names)
        churn.start()
        during = []
        for _ in range(3):
            time.sleep(SECONDS / 3)
            during.append(own.sample())
        churn.stop()
        for page in pages:
            page.close()
        after = settle(own, tasks=before.tasks + 5)
        tasks_after = list(own.task_names)
        context.close()
    finally:
        if churn is not None:
            churn.remove()
        own.stop()
    print(f"R8 short: {churn.toggles} starts/stops ({churn.errors} refused) in {SECONDS} s under {PAGES} pages")
    for label, sample in (("before", before), *((f"during {i}", s) for i, s in enumerate(during)), ("after", after)):
        print(f"  {label:9s} rss {sample.rss_kb} kB  fds {sample.fds}  threads {sample.threads}  "
              f"tasks {sample.tasks}  journalctl {sample.journalctls}")
    # On a loaded 2-core machine podman starts about one container a second (seen: 20
    # in 30 s with other suites running); ten make the watchers and panes work.
    assert churn.toggles >= 10, "the churn hardly ran: nothing was tested"
    log_panes = PAGES // 5
    assert all(s.journalctls <= log_panes for s in during), "more journalctl processes than log panes"
    assert after.journalctls == 0
    # A few tasks may start once and stay (seen: 9 -> 12); a leak per page or per
    # change would show as tens.
    new_tasks = list(tasks_after)
    for name in tasks_before:
        if name in new_tasks:
            new_tasks.remove(name)
    print(f"  tasks after and not before: {new_tasks}")
    assert after.tasks <= before.tasks + 5, f"tasks {before.tasks} -> {after.tasks}: {new_tasks}"
    assert after.fds <= before.fds + 5, f"file descriptors {before.fds} -> {after.fds}"
