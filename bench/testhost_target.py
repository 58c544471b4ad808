"""Where a benchmark measures: the embedded host stack (a daphne of its own, the
`user` scope) or, with `--testhost`, Podhouse as installed in the booted test host
(`manage.py testhost up`: podhouse.service, the `system` scope, rootful podman,
the system bus and journal).

A bench asks its Target for a logged-in Chromium page (`target.page()`), runs
podman there (`target.podman(...)`), and calls a function of a bench module where
the measured thing lives (`target.call("module:function", ...)`).  On the embedded
stack that is a plain call in this process; on the test host it runs in an agent
inside the test host: this file run by the installed Podhouse's Python
(`--agent`), with bench/ copied in, answering one JSON line per call.  So a raw
figure (a D-Bus signal, podman's list call, `journalctl -f`) is taken beside the
server, as on the embedded stack, and this machine's Chromium sees the page through
the test host's published port.  Both read the same kernel clock (time.time()).

Usage in a bench:  add_option(parser); with target_for(args) as target: ...
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")  # e2e's fixtures, dom_id
BENCH_INSIDE = "/opt/podhouse-bench"
SOURCE_INSIDE = "/opt/podhouse"  # the installed Podhouse (dashboard/host/testhost.SOURCE_DIR_INSIDE)


def add_option(parser) -> None:
    parser.add_argument("--testhost", action="store_true",
                        help="measure Podhouse installed in the booted test host (manage.py testhost up): "
                             "podhouse.service, system scope; default: the embedded stack, user scope")


def call_local(path: str, *args):
    module, name = path.split(":")
    result = getattr(importlib.import_module(module), name)(*args)
    if inspect.isawaitable(result):
        import asyncio
        result = asyncio.run(result)
    return result


class Embedded:
    """The embedded host stack: a daphne started for the bench (e2e's server fixture)."""
    scope = "user"
    name = "embedded stack"

    @contextlib.contextmanager
    def page(self):
        from embedded_page import live_page
        with live_page() as (server, page):
            yield server, page

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        from embedded_page import use_host_stack
        use_host_stack()
        return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)

    def call(self, path: str, *args):
        return call_local(path, *args)

    def copy_image(self, image: str) -> None:
        pass  # already here

    def close(self) -> None:
        pass


class _Url:
    def __init__(self, url: str):
        self.url = url


class TestHost:
    """Podhouse installed in the test host, reached on the machine's loopback."""
    scope = "system"
    name = "test host"

    def __init__(self):
        from dashboard.host import testhost
        self.testhost = testhost
        self.state = testhost.load_state(PROJECT_DIR / "var" / "testhost")
        if self.state is None or not testhost.container_running() or not self.state.admin_password:
            sys.exit("the test host is not up with Podhouse installed: .venv/bin/python manage.py testhost up")
        self.url = f"http://127.0.0.1:{self.state.port}"
        self._copy_bench_in()
        self.agent = subprocess.Popen(
            ["podman", "exec", "-i", "--workdir", SOURCE_INSIDE, "-e", f"PYTHONPATH={SOURCE_INSIDE}",
             testhost.NAME, f"{SOURCE_INSIDE}/.venv/bin/python", "-u", f"{BENCH_INSIDE}/bench/testhost_target.py",
             "--agent"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=testhost._outer_env())

    def _copy_bench_in(self) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for path in sorted(BENCH_DIR.glob("*.py")):
                tar.add(path, arcname=f"bench/{path.name}")
        self.testhost.inside("mkdir", "-p", BENCH_INSIDE)
        done = subprocess.run(["podman", "exec", "-i", self.testhost.NAME, "tar", "-x", "-C", BENCH_INSIDE],
                              input=buffer.getvalue(), capture_output=True, env=self.testhost._outer_env())
        if done.returncode:
            raise RuntimeError(f"copying bench/ into the test host failed: {done.stderr!r}")

    @contextlib.contextmanager
    def page(self):
        from playwright.sync_api import sync_playwright

        from e2e import conftest as e2e
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
            page = browser.new_context(**e2e.CONTEXT).new_page()
            page.set_default_timeout(60_000)
            server = _Url(self.url)
            e2e.log_in(page, server, ("admin", self.state.admin_password))
            yield server, page
            browser.close()

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.testhost.inside("podman", *args, check=check)

    def call(self, path: str, *args):
        self.agent.stdin.write(json.dumps({"call": path, "args": args}) + "\n")
        self.agent.stdin.flush()
        line = self.agent.stdout.readline()
        if not line:
            raise RuntimeError(f"the agent in the test host ended (exit {self.agent.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"in the test host, {path}: {answer['error']}")
        return answer["result"]

    def copy_image(self, image: str) -> None:
        """An image of this machine's podman, loaded into the test host's rootful podman."""
        if self.podman("image", "exists", image, check=False).returncode == 0:
            return
        env = self.testhost._outer_env()
        save = subprocess.Popen(["podman", "save", image], stdout=subprocess.PIPE, env=env)
        subprocess.run(["podman", "exec", "-i", self.testhost.NAME, "podman", "load"], stdin=save.stdout,
                       check=True, capture_output=True, env=env)
        save.wait()

    def close(self) -> None:
        if self.agent.poll() is None:
            self.agent.stdin.close()
            self.agent.wait(timeout=30)
        self.testhost.inside("rm", "-rf", BENCH_INSIDE, check=False)


@contextlib.contextmanager
def target_for(args):
    target = TestHost() if getattr(args, "testhost", False) else Embedded()
    try:
        yield target
    finally:
        target.close()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def agent() -> None:
    """Inside the test host: one JSON call a line in, one JSON answer a line out."""
    sys.path[:0] = [str(BENCH_DIR), str(PROJECT_DIR)]
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # what the called code prints is not an answer
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"result": call_local(request["call"], *request["args"])}
        except Exception as error:  # the bench on the machine raises it
            answer = {"error": f"{type(error).__name__}: {error}"}
        real_stdout.write(json.dumps(answer) + "\n")
        real_stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--agent"]:
    agent()
