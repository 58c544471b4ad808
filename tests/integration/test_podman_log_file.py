"""A k8s-file container's log read from conmon's file (engine/podman/log_file.py)
against Podman's logs API, on the real podman: the same lines with the same cursors,
and followed together each line comes once, in order, most of them from the file."""
import asyncio
import secrets
import time
from contextlib import aclosing

import pytest

from engine.podman import PodmanClient
from engine.podman.log_cursors import PodmanLogReader
from engine.podman.log_file import first_of, log_file_pairs
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration

# stdout and stderr, an empty line, a line written in two parts (P then F records), a
# line longer than conmon's buffer (several P records), and text that is not ASCII.
ODD_LINES = ('echo one; echo two >&2; echo; printf "half-"; sleep 1.2; echo done; '
             'head -c 20000 /dev/zero | tr "\\0" x; echo; echo "äöü ✓"; echo last')
PRINTER = ('i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo "n $i"; '
           'if [ $((i % 10)) = 0 ]; then sleep 0.02; fi; done')


def log_path(name: str) -> str:
    return podman("inspect", "--format", "{{.HostConfig.LogConfig.Path}}", name)


async def api_entries(client, name, follow=False):
    reader = PodmanLogReader()
    return [reader.entry(stream, text) async for stream, text in client.container_logs(name, timestamps=True,
                                                                                          follow=follow)]


async def test_the_file_gives_the_apis_lines_with_the_same_cursors(user_scope):
    name = f"phf-file-{secrets.token_hex(3)}"
    podman("run", "--log-driver=k8s-file", "--name", name, BUSYBOX, "sh", "-c", ODD_LINES)
    try:
        async with PodmanClient(user_scope.podman_socket) as client:
            from_api = await api_entries(client, name)
        reader = PodmanLogReader()
        from_file = [reader.entry(*pair) async for pair in log_file_pairs(log_path(name), follow=False)]
        assert [e.cursor for e in from_file] == [e.cursor for e in from_api]
        assert [e.origin for e in from_file] == [e.origin for e in from_api]
        messages = [e.message for e in from_file]
        # conmon reads the two pipes apart: stdout's order is kept, stderr's line falls between
        assert [e.message for e in from_file if e.origin == "stdout"] == ["one", "", "half-done", "x" * 20000,
                                                                           "äöü ✓", "last"]
        assert [e.message for e in from_file if e.origin == "stderr"] == ["two"]
        # The API's own text of a line written in parts carries the later parts' times
        # inside it (podman 4.3); every other line is the same text.
        whole = [i for i, m in enumerate(messages) if m not in ("half-done", "x" * 20000)]
        assert [from_api[i].message for i in whole] == [messages[i] for i in whole]
    finally:
        podman("rm", "-f", "-t", "0", name)


async def test_followed_beside_the_api_each_line_comes_once_in_order_mostly_from_the_file(user_scope):
    name = f"phf-file-{secrets.token_hex(3)}"
    podman("run", "-d", "--log-driver=k8s-file", "--name", name, BUSYBOX, "sh", "-c", PRINTER)
    tally, numbers, started = {}, [], time.monotonic()
    try:
        async with PodmanClient(user_scope.podman_socket) as client:
            api = PodmanLogReader().entries(client.container_logs(name, follow=True, timestamps=True))
            early = PodmanLogReader().entries(log_file_pairs(log_path(name)))
            async with aclosing(first_of(api, early, tally)) as merged:
                async for chunk in merged:
                    numbers += [int(line.message.split()[1]) for line in chunk]
                    assert time.monotonic() - started < 60, f"{len(numbers)} lines in 60 s"
        # the API's stream ends with the container, and so does the merge
        assert numbers == list(range(1, 3001))
        assert tally["disagreements"] == 0
        # woken by inotify, the file is first for nearly every line podman polls for
        assert tally["early"] > tally["api"], tally
    finally:
        podman("rm", "-f", "-t", "0", name)
        await asyncio.sleep(0)
