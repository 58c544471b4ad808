"""A log pane's socket at the seam between the history it opens with and the lines that
follow, and when the socket drops and comes back with its last cursor (R4 without the
browser), for both log drivers: journald (journalctl) and k8s-file (Podman's logs API).
A container prints numbered lines at about 1,000 a second all along: every number must
come once, in order, with no gap."""
import asyncio
import json
import secrets
import time

import pytest

from tests.integration.test_journal_follow import _communicator, journalctl_children
from tests.podman_cli import BUSYBOX, podman

pytestmark = pytest.mark.integration
# About 1,000 lines a second (50 lines, then 50 ms), 60,000 lines at most.
PRINTER = ('i=0; while [ $i -lt 60000 ]; do i=$((i+1)); echo "n $i"; '
           'if [ $((i % 50)) = 0 ]; then sleep 0.05; fi; done')


async def receive_numbers(communicator, until, timeout: float = 30.0) -> tuple[list[list], list[int]]:
    """Messages of kind "lines" (each a list of [number, cursor]) until `until(numbers)`."""
    batches, numbers = [], []
    deadline = time.monotonic() + timeout
    while not until(numbers):
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(numbers)} lines came"
        message = json.loads(await communicator.receive_from(timeout=left))
        assert message["t"] in ("source", "lines"), message
        if message["t"] == "lines":
            batch = [(int(line[5].split()[1]), line[0]) for line in message["lines"]]
            batches.append(batch)
            numbers += [n for n, _ in batch]
    return batches, numbers


def assert_each_once_in_order(numbers: list[int], first: int | None = None):
    assert numbers, "no lines"
    if first is not None:
        assert numbers[0] == first, f"starts at {numbers[0]}, not at {first}"
    expected = list(range(numbers[0], numbers[0] + len(numbers)))
    if numbers != expected:
        gone = sorted(set(expected) - set(numbers))[:10]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})[:10]
        pytest.fail(f"not each once in order: lost {gone}, twice {twice}")


@pytest.mark.parametrize("driver", ["journald", "k8s-file"])
async def test_seam_and_resume_lose_and_repeat_nothing(driver, user_scope):
    name = f"phf-seam-{driver}-{secrets.token_hex(3)}"
    podman("run", "-d", f"--log-driver={driver}", "--name", name, BUSYBOX, "sh", "-c", PRINTER)
    try:
        await asyncio.sleep(1.5)  # a history to open with
        pane = _communicator()
        assert (await pane.connect())[0]
        await pane.send_json_to({"type": "open", "kind": "container", "name": name, "lines": 100, "follow": True})
        batches, numbers = await receive_numbers(pane, lambda ns: len(ns) >= 2100)
        # The history is the last 100 lines, then the following lines join them exactly.
        assert len(numbers) >= 100 and numbers[0] > 1
        assert_each_once_in_order(numbers)
        last_cursor = batches[-1][-1][1]
        await pane.disconnect()

        await asyncio.sleep(0.7)  # lines written while no socket is open
        again = _communicator()
        assert (await again.connect())[0]
        await again.send_json_to({"type": "open", "kind": "container", "name": name, "lines": 100, "follow": True,
                                         "after": last_cursor})
        _, resumed = await receive_numbers(again, lambda ns: len(ns) >= 1500)
        assert_each_once_in_order(resumed, first=numbers[-1] + 1)
        await again.disconnect()
        await asyncio.sleep(0.2)
        assert journalctl_children() == []
    finally:
        podman("rm", "-f", "-t", "0", name)
