"""The base of every websocket consumer.

A consumer is a channel of one page, and it owns what it starts, the way Cockpit's
bridge owns its channels: the groups it declares are joined after the handshake and
left on disconnect; the tasks it spawns are cancelled AND awaited on disconnect, so
nothing of a closed page keeps running.  Origins are checked before this by
ExactOriginValidator (dashboard/asgi.py).  Messages from the page are JSON objects
{"type": "<name>", ...}, dispatched to `do_<name>(message)`.

The life of a consumer:
  connect -> login checked (refused with CLOSE_LOGIN_REQUIRED before the handshake)
          -> accept -> setup() (may raise Refuse(code) to close)
          -> join the groups of joins() -> ready() (send the first state)
  receive -> do_<type>(message)
  disconnect -> tasks cancelled and awaited -> groups left -> closed()"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Awaitable
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

log = logging.getLogger(__name__)

# Close codes, in the 4000-4999 range left to applications (static/js/socket.js knows them).
CLOSE_BAD_REQUEST = 4400
CLOSE_LOGIN_REQUIRED = 4401
CLOSE_NOT_FOUND = 4404
# The page fell behind its messages (dashboard.live.channel_layer): "try again later",
# on which htmx's ws extension and static/js/socket.js reconnect and the page is drawn again.
CLOSE_TRY_AGAIN = 1013


class Refuse(Exception):
    """Raised by setup(): the socket is closed with `code`."""

    def __init__(self, code: int = CLOSE_BAD_REQUEST):
        super().__init__(code)
        self.code = code


class PodhouseConsumer(AsyncWebsocketConsumer):
    """Subclasses override setup(), joins(), ready(), closed() and add do_<type>
    methods; Channels' group messages ({"type": "a.b"}) reach methods named a_b as usual."""

    async def connect(self):
        self.tasks: set[asyncio.Task] = set()
        self.joined: list[str] = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_LOGIN_REQUIRED)
            return
        route = self.scope.get("url_route") or {}
        self.kwargs: dict = dict(route.get("kwargs") or {})
        self.query: dict[str, str] = {k: v[-1] for k, v in
                                      parse_qs(self.scope.get("query_string", b"").decode()).items()}
        await self.accept()
        try:
            await self.setup()
        except Refuse as refused:
            await self.close(code=refused.code)
            return
        for group in self.joins():
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.ready()

    # -- what subclasses fill in ----------------------------------------------------
    async def setup(self) -> None:
        """Check the route and the query, read what is needed; raise Refuse to close."""

    def joins(self) -> list[str]:
        """The Channels groups this page listens to (joined after setup)."""
        return []

    async def ready(self) -> None:
        """Joined: send the first state."""

    async def closed(self) -> None:
        """After the tasks ended and the groups were left."""

    # -- tasks --------------------------------------------------------------------------
    def spawn(self, work: Awaitable, name: str = "") -> asyncio.Task:
        """Run `work` as a task of this consumer: it ends with the socket at the latest."""
        task = asyncio.ensure_future(work)
        if name:
            task.set_name(name)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("websocket task %s failed", task.get_name(), exc_info=task.exception())

    async def disconnect(self, code):
        tasks = list(getattr(self, "tasks", ()))
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []
        await self.closed()

    async def dispatch(self, message):
        # Channels closes stale database connections (a hop to a thread) before every
        # message; these consumers reach the database only through
        # database_sync_to_async, which does that itself around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def layer_behind(self, message):
        """This page fell so far behind that its queue was emptied: it starts again."""
        await self.close(code=CLOSE_TRY_AGAIN)

    # -- messages from the page -----------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self.send_error("not JSON")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        handler = getattr(self, f"do_{kind}", None) if isinstance(kind, str) and kind.isidentifier() else None
        if handler is None:
            known = sorted(name[3:] for name in dir(self) if name.startswith("do_"))
            await self.send_error(f"expected a JSON object with a type among {', '.join(known) or 'none'}")
            return
        await handler(message)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, message: str) -> None:
        await self.send_json({"t": "error", "message": message})
