"""The page's side of a live list (dashboard.live.lists): one consumer shape for the
containers, pods, images, units and services tables."""
from __future__ import annotations

from channels.db import database_sync_to_async

from dashboard.consumers.base import PodhouseConsumer
from dashboard.live.lists import LiveList, claim_page, page_group, swaps, whole_body
from dashboard.permissions import may_act_in


class LiveListConsumer(PodhouseConsumer):
    """Subclasses set `live_list` and fill in:
      missed()    rows changed since the page's position (query `at`), None if unknown
      read_all()  every row now (a full read, when the page cannot be caught up)
      visible(row) whether the page shows a row (its filters)
      row_context() what the rows template needs besides the rows.
    The page's URL carries `page`, the token of the row keys it drew; the socket also
    joins that page's group, where the page's own actions say which row their answer
    takes (rows.released / rows.held, dashboard.live.lists.answering_row)."""

    live_list: LiveList
    released: set[str] = frozenset()

    async def setup(self):
        self.can_operate = await database_sync_to_async(may_act_in)(self.scope["user"], self.kwargs.get("scope"))

    async def ready(self):
        # Which rows the page holds; what changed since it was rendered.  Without
        # either, the page gets every row again.
        token = self.query.get("page", "")
        self.released = set()
        self.shown = claim_page(token)
        # joined even when the token was claimed before (a socket that reconnects
        # draws every row again, and the page's actions still name it)
        group = page_group(token)
        if group is not None:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        missed = self.missed() if self.shown is not None else None
        if missed is None:
            await self.refresh()
        else:
            await self.apply(missed)

    def missed(self) -> dict[str, dict | None] | None:
        return None

    async def read_all(self) -> list[dict] | None:
        """Every row now, or None when it cannot be read (the page says so already)."""
        raise NotImplementedError

    def visible(self, row: dict) -> bool:
        return True

    def row_context(self) -> dict:
        return {"scope": self.kwargs["scope"], "user_can_operate": self.can_operate}

    async def apply(self, changes: dict[str, dict | None], change: int | None = None) -> None:
        # `change`: the id of the watcher's published change (swaps draws it once for every page)
        for message in swaps(self.live_list, changes, self.shown, self.visible, self.row_context(), self.released,
                             change):
            await self.send(text_data=message)

    async def refresh(self) -> bool:
        """Draw every row again; False when they could not be read."""
        rows = await self.read_all()
        if rows is None:
            return False
        rows = [row for row in rows if self.visible(row)]
        self.shown = {row[self.key_field] for row in rows}
        self.released = set()
        await self.send(text_data=whole_body(self.live_list, rows, self.row_context()))
        return True

    key_field = "id"

    # -- the watchers' messages (dashboard.live.lists) ------------------------------------
    async def rows_changed(self, message):
        if self.shown is None:
            return  # a full read is under way; it brings this change too
        await self.apply(message["rows"], message.get("change"))

    async def rows_refresh(self, message):
        await self.refresh()

    # -- the page's own actions (dashboard.live.lists.answering_row) ------------------------
    async def rows_released(self, message):
        if self.shown is None:
            return
        for key in [key for key in self.shown if self.live_list.dom_id(key) == message["dom_id"]]:
            self.shown.discard(key)
            self.released.add(key)

    async def rows_held(self, message):
        # The action failed and its answer left the row: draw the page again from
        # what is true now (changes to the row were not sent meanwhile).
        if any(self.live_list.dom_id(key) == message["dom_id"] for key in self.released):
            await self.refresh()
