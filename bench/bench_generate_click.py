"""P7 from the browser: click on "Generate and enable" -> the page shows the unit
active, WITH the shadow verification, p50 and p90 over 20 tries, per format.

Starts Podhouse with daphne on a private SQLite file and a free port, logs an
operator in with Debian's Chromium (Playwright), and for each try creates a fresh
container (not timed; with --running it is started, so the click also stops it,
which costs its stop timeout, 1 s here, overlapped with systemd's reload), opens its page and the dialog, waits for the preview
and its verification, then times the click until #service-state reads "active".
The click's request verifies again (a shadow made from the unit's words, compared,
removed), writes, sets the original aside, starts the unit and removes the previous
container: all of it is in the figure.  The service is removed after each try (not
timed).  The load average at the end is printed: other work on the machine counts.

    source /run/user/0/podhouse/env && .venv/bin/python bench/bench_generate_click.py [--tries 20] [--format quadlet] [--running]
"""
import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench_generate_enable import figures  # noqa: E402  (this folder is on sys.path)
from dashboard.host import hoststack  # noqa: E402
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CONTEXT, OPERATOR, LiveServer, _free_port, log_in  # noqa: E402


def start_server(folder: str) -> LiveServer:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3", "PODHOUSE_ALLOWED_HOSTS": "127.0.0.1"}
    server = LiveServer(url=f"http://127.0.0.1:{port}", port=port, env=env, process=None)
    server.manage("migrate", "--noinput", "-v0")
    server.manage("shell", "-c", f"""
from django.contrib.auth.models import User, Permission
User.objects.create_user({OPERATOR[0]!r}, '', {OPERATOR[1]!r}).user_permissions.add(Permission.objects.get(codename='operate'))
""")
    server.process = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                       "dashboard.asgi:application"], cwd=PROJECT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server


def main(tries: int, fmt: str, running: bool) -> None:
    os.environ.update(hoststack.up(install=False).environment())
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        server = start_server(folder)
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(**CONTEXT).new_page()  # Playwright string predicates need eval
            page.set_default_timeout(30_000)
            for _ in range(100):  # daphne listening?
                try:
                    log_in(page, server, OPERATOR)
                    break
                except Exception:
                    time.sleep(0.2)
            times = []
            for _ in range(tries):
                name = f"phg-bench-{secrets.token_hex(3)}"
                subprocess.run(["podman", *(["run", "-d"] if running else ["create"]), "--stop-timeout=1",
                                "--name", name, "localhost/busybox:latest", "sleep", "100000"],
                               check=True, capture_output=True)
                try:
                    page.goto(f"{server.url}/user/containers/{name}/")
                    page.click("#service-open-container")
                    page.wait_for_selector("#service-preview .service-file-text")
                    page.select_option("#service-format", fmt)
                    # A short stop timeout only speeds up the removal after the try (not timed).
                    page.fill("#service-stop-timeout", "1")
                    page.wait_for_function(f"document.querySelector('#service-preview-format')?.innerText === '{fmt}'")
                    page.wait_for_selector("#service-verification[data-identical=yes]")
                    started = time.perf_counter()
                    page.click("#service-submit")
                    page.wait_for_function("document.querySelector('#service-state')?.innerText === 'active'")
                    times.append(time.perf_counter() - started)
                    print(f"try {len(times)}: {times[-1] * 1000:.0f} ms (load {os.getloadavg()[0]:.1f})", flush=True)
                finally:
                    page.goto(f"{server.url}/user/services/")
                    row = page.locator(f"tr[data-service='{name}.service']")
                    if row.count():
                        page.once("dialog", lambda d: d.accept())
                        row.locator("button[data-action=remove]").click()
                        page.wait_for_selector(f"tr[data-service='{name}.service'] .service-outcome")
                    subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
            browser.close()
        finally:
            server.process.terminate()
            server.process.wait(timeout=10)
    what = "a running container" if running else "a created container"
    print(figures(f"browser click -> 'active' shown, with verification, {fmt}, {what}", times))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--format", default="quadlet", choices=["quadlet", "classic"])
    parser.add_argument("--running", action="store_true", help="start each container before the click")
    arguments = parser.parse_args()
    main(arguments.tries, arguments.format, arguments.running)
