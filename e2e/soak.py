"""The soak of fault R8, shared by its short e2e test and bench/bench_soak.py.

Podhouse is served by its own daphne (in a process that answers SIGUSR1 by writing
how many asyncio tasks it has) over a PRIVATE Podman service (same storage as the
host stack's, its own socket), so the churn loads no one else's service.  Many
pages stay open (container lists, unit lists, log panes of churned containers)
while containers are started and stopped through the private service's API; the
server's memory, file descriptors, tasks and journalctl children are sampled."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from e2e.conftest import ADMIN, CHROMIUM, CHROMIUM_ARGS
from e2e.private_stack import OwnServer, PodmanService, stack_copy

IMAGE = "localhost/busybox:latest"
# Runs daphne in this process, and answers SIGUSR1 by writing its task count to
# PHF_TASKS_FILE (the handler runs on the main thread, inside the running loop).
SERVE = r"""
import asyncio, json, os, signal, sys
from pathlib import Path
def dump(signum, frame):
    loop = asyncio._get_running_loop()
    tasks = asyncio.all_tasks(loop) if loop else ()
    names = sorted(getattr(t.get_coro(), "__qualname__", t.get_name()) for t in tasks)
    Path(os.environ["PHF_TASKS_FILE"]).write_text(json.dumps({"tasks": len(tasks) if loop else -1, "names": names}))
signal.signal(signal.SIGUSR1, dump)
from daphne.cli import CommandLineInterface
CommandLineInterface().run(sys.argv[1:])
"""


@dataclass
class Sample:
    seconds: float
    rss_kb: int
    fds: int
    threads: int
    tasks: int
    journalctls: int


@dataclass
class SoakServer:
    folder: Path
    env: dict
    port: int = 0
    podman: PodmanService | None = None
    daphne: OwnServer | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def podman_socket(self) -> Path:
        return self.folder / "podman.sock"  # PodmanService's, known before it starts

    def start(self) -> None:
        self.podman = PodmanService(self.folder).start()
        stack_copy(self.folder, podman_socket=self.podman.socket)
        self.daphne = OwnServer({**self.env, "PODHOUSE_HOSTSTACK_DIR": str(self.folder),
                                 "PHF_TASKS_FILE": str(self.folder / "tasks.json")},
                                self.folder / "daphne.log", command=[sys.executable, "-c", SERVE]).start()
        self.port = self.daphne.port

    def stop(self) -> None:
        for part in (self.daphne, self.podman):
            if part is not None:
                part.stop()

    def tasks(self) -> int:
        path = self.folder / "tasks.json"
        path.unlink(missing_ok=True)
        self.daphne.process.send_signal(signal.SIGUSR1)
        _wait(path.exists, "the server's task count", timeout=30)
        time.sleep(0.05)
        found = json.loads(path.read_text())
        self.task_names = found.get("names", [])
        return found["tasks"]

    def sample(self) -> Sample:
        pid = self.daphne.process.pid
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return Sample(seconds=time.monotonic() - self.started, rss_kb=int(status["VmRSS"].split()[0]),
                      fds=len(os.listdir(f"/proc/{pid}/fd")), threads=int(status["Threads"]),
                      tasks=self.tasks(), journalctls=len(children_named(pid, "journalctl")))


def children_named(parent: int, command: str) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] == command and int(tail.split()[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _wait(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come within {timeout:g} s")
        time.sleep(0.05)



def _run_apart(coroutine):
    """Run a coroutine to its end in a thread of its own: the session's Playwright keeps
    an event loop running in the test's thread, where asyncio.run() is refused."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Churn:
    """`count` containers of its own, each started and stopped in turn, as many as
    the private service takes, through its API (`rate` toggles a second at most)."""

    def __init__(self, socket_path: Path, count: int, rate: float):
        self.socket_path, self.count, self.rate = socket_path, count, rate
        self.prefix = f"phf-soak-{secrets.token_hex(3)}"
        self.names = [f"{self.prefix}-{i}" for i in range(count)]
        self.toggles = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def create(self) -> None:
        """Through the private service's API, ten at a time (the CLI, one by one, made
        about four a minute on a loaded machine)."""
        async def create_all():
            transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path))
            async with httpx.AsyncClient(transport=transport, base_url="http://d/v4.0.0/libpod",
                                         timeout=300) as client:
                gate = asyncio.Semaphore(10)

                async def create(name):
                    async with gate:
                        response = await client.post("/containers/create", json={
                            "name": name, "image": IMAGE, "command": ["sh", "-c", "echo started; sleep 100000"],
                            "log_configuration": {"driver": "journald"}})
                        response.raise_for_status()
                await asyncio.gather(*(create(n) for n in self.names))
        _run_apart(create_all())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def remove(self) -> None:
        for name in self.names:
            subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)

    async def _run(self) -> None:
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path))
        async with httpx.AsyncClient(transport=transport, base_url="http://d/v4.0.0/libpod", timeout=60) as client:
            running = dict.fromkeys(self.names, False)

            async def toggle(name):
                action = "stop?t=0" if running[name] else "start"
                try:
                    response = await client.post(f"/containers/{name}/{action}")
                    if response.status_code < 400:
                        running[name] = not running[name]
                        self.toggles += 1
                    else:
                        self.errors += 1
                except httpx.HTTPError:
                    self.errors += 1

            while not self._stop.is_set():
                second = time.monotonic()
                await asyncio.gather(*(toggle(n) for n in self.names[:max(1, int(self.rate))]))
                self.names = self.names[int(self.rate):] + self.names[:int(self.rate)]
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - second)))
            await asyncio.gather(*(client.post(f"/containers/{n}/stop?t=0") for n in running if running[n]),
                                 return_exceptions=True)


def open_pages(context, server: SoakServer, count: int, log_names: list[str]) -> list:
    """`count` pages: 3 of 5 container lists, 1 of 5 unit lists, 1 of 5 log panes."""
    pages = []
    for index in range(count):
        kind = index % 5
        if kind == 3:
            path = "/user/units/"
        elif kind == 4:
            path = f"/user/logs/?kind=container&name={log_names[index % len(log_names)]}&follow=on"
        else:
            path = "/user/containers/"
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{server.url}{path}", wait_until="domcontentloaded")
        pages.append(page)
    return pages


def log_in(context, server: SoakServer) -> None:
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{server.url}/login/?next=/user/containers/")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/user/containers/")
    page.close()


def launch(playwright, nice: int = 0):
    """Chromium; with `nice` above 0 it runs at that niceness (through nice(1), which
    execs it: Playwright still talks to Chromium itself over its pipe)."""
    if not nice:
        return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    wrapper = Path(tempfile.mkdtemp(prefix="phf-nice-")) / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {shlex.quote(CHROMIUM)} "$@"\n')
    wrapper.chmod(0o755)
    try:
        return playwright.chromium.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)
    finally:  # started (or failed): the wrapper has done its part
        shutil.rmtree(wrapper.parent, ignore_errors=True)
