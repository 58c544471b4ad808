"""One PodmanClient per scope and per event loop.

httpx keeps connections that belong to the loop which opened them, so a client is
cached per running loop (daphne's one loop in production; each test's loop in tests)
and forgotten with the loop."""
from __future__ import annotations

import asyncio
import weakref

from dashboard.host import scopes
from engine.podman import PodmanClient

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, PodmanClient]]" = weakref.WeakKeyDictionary()


def client_for(scope_name: str) -> PodmanClient:
    """The Podman client of a scope ("user" or "system") for the running loop.
    Raises scopes.UnknownScope for a scope this host does not have."""
    scope = scopes.get_scope(scope_name)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return PodmanClient(scope.podman_socket)  # no loop to share with: the caller owns it
    per_loop = _clients.setdefault(loop, {})
    client = per_loop.get(scope_name)
    if client is None or client.socket_path != scope.podman_socket:
        client = per_loop[scope_name] = PodmanClient(scope.podman_socket)
    return client
