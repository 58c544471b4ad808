"""No log line lost: a container that prints far more than journald's default
rate limit (10,000 a 30 s, scaled up by free disk) keeps every line.  On the
embedded stack every conmon sits in init.scope, so without the stack's journald
drop-in all containers would share one bucket and lose lines (seen before the fix:
'Suppressed 62504 messages from init.scope')."""
import subprocess
import time
import uuid

import pytest

from dashboard.host import hoststack

pytestmark = pytest.mark.integration

LINES = 150_000


def _count(name, env) -> int:
    # One JSON object a line, one line an entry (-o cat would also print the
    # newline podman keeps at the end of each MESSAGE).
    out = subprocess.run(["journalctl", "--no-pager", "-q", "-o", "json", "--output-fields=MESSAGE",
                          f"CONTAINER_NAME={name}"],
                         capture_output=True, env=env, check=True).stdout
    return out.count(b"\n")


def test_a_burst_beyond_the_default_rate_limit_keeps_every_line(user_scope):
    assert hoststack.JOURNALD_DROPIN.read_text() == hoststack.JOURNALD_DROPIN_TEXT
    name = f"ph-burst-{uuid.uuid4().hex[:8]}"
    env = user_scope.child_env()
    subprocess.run(["podman", "run", "--rm", "--log-driver=journald", "--name", name,
                    "localhost/busybox:latest", "seq", "1", str(LINES)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    # journald takes the lines in asynchronously; wait (bounded) until the count stops growing.
    count, deadline = _count(name, env), time.monotonic() + 60
    while count < LINES and time.monotonic() < deadline:
        time.sleep(1)
        count = _count(name, env)
    assert count == LINES
