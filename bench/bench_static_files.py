"""The four files a page waits for (stylesheet, htmx, its ws extension, podhouse.js),
asked at once as a browser does, from Podhouse's server (dashboard/static_files.py:
from memory, in the event loop) and from the same server with Django's own static
handler instead (the one `runserver` uses, which Podhouse used before).

Run: .venv/bin/python bench/bench_static_files.py [--rounds 60]
Starts daphne twice on free ports (no database is touched), each time 5 rounds to
warm up and then --rounds rounds of the four requests at once, each on its own
connection; prints the median and p90 of a round, start to the last byte."""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
FILES = ("/static/css/podhouse.css", "/static/vendor/htmx-2.0.11.min.js",
         "/static/vendor/htmx-ext-ws-2.0.4.min.js", "/static/js/podhouse.js")
# Podhouse's application, and the same with Django's handler in front of the pages.
APPLICATIONS = {
    "Podhouse (dashboard.static_files)": "dashboard.asgi:application",
    "Django's ASGIStaticFilesHandler": "django_static_app:application",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def fetch(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


async def rounds(port: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answers = await asyncio.gather(*(fetch(port, path) for path in FILES))
        times.append((time.perf_counter() - started) * 1000)
        bad = [a[:60] for a in answers if not a.startswith(b"HTTP/1.1 200")]
        if bad:
            raise RuntimeError(f"not answered 200: {bad}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phl-static-") as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/unused.sqlite3",
               "PYTHONPATH": str(PROJECT_DIR / "bench")}
        for label, application in APPLICATIONS.items():
            port = free_port()
            server = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                       application], cwd=PROJECT_DIR, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline or server.poll() is not None:
                            raise RuntimeError(f"daphne for {application} did not listen")
                        time.sleep(0.1)
                asyncio.run(rounds(port, 5))
                times = sorted(asyncio.run(rounds(port, args.rounds)))
                print(f"{label:36s} 4 files at once: p50 {statistics.median(times):6.1f} ms, "
                      f"p90 {times[int(len(times) * 0.9)]:6.1f} ms ({args.rounds} rounds)", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
