"""State that belongs to one asyncio event loop: the watchers, the overview being
computed.  Keyed by the loop object itself in a WeakKeyDictionary, so a loop that is
closed and collected (tests run one loop per test) takes its state with it, and a new
loop that happens to get the old one's id() never finds it."""
from __future__ import annotations

import asyncio
import weakref
from typing import Generic, TypeVar

V = TypeVar("V")


class PerLoop(Generic[V]):
    """A dict of values per running event loop: `registry.here()` is this loop's."""

    def __init__(self):
        self._by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()

    def here(self) -> dict:
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is None:
            found = self._by_loop[loop] = {}
        return found
