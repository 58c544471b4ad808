"""The one contract of every live list (containers, pods, images, units, services, and
the containers the updates page keeps current).

A watcher publishes, on the list's Channels group,
    {"type": "rows.changed", "rows": {key: row-data or None}, "position": ..., "change": change_id()}
(None: the row is gone), and {"type": "rows.refresh"} when it may have missed changes.
Row data is plain data (dashboard.live.podman_rows, the unit watcher's UnitRow as a
dict); no watcher renders HTML.

A page draws its rows with the list's rows template and tells its socket two things
in the URL: the watcher's position when it was rendered (`at`; the units page's
`since` is its watcher's version) and a token for the
set of row keys it drew (`page`, see remember_page).  The page's consumer
(dashboard.consumers.live_list.LiveListConsumer) then knows exactly which rows the
page holds, and turns each change into htmx out-of-band swaps rendered by the same
rows template, wrapped by live/_swaps.html, live/_append.html or live/_body.html:
    a row it holds that still shows  -> replaced (the row template with oob)
    a row it lacks that now shows    -> appended (hx-swap-oob="beforeend:#<body id>")
    a row it holds that left or went -> deleted  (hx-swap-oob="delete")
so no swap lacks its target and no script is needed.

A page's own action may answer with its row taken out (Remove: nothing, or a row that
keeps the action's outcome under another id).  A delete of that row would then find no
target (htmx's oobErrorNoTarget), so the list's actions carry the page's token (header
X-Podhouse-Page, set on the list's socket element) and the view says so before it acts
(`answering_row`): the socket stops holding that row ("rows.released") and sends nothing
more for it; its deletion, when it comes, is dropped.  The release travels before the
action's own changes, so none of them overtakes it.  When the action fails, the row is
held again ("rows.held") and the page drawn again from a full read."""
from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from channels.layers import get_channel_layer
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

# A page's row keys wait this long for its socket.
PAGE_KEPT_SECONDS = 120.0


@dataclass(frozen=True)
class LiveList:
    name: str
    body_id: str                  # the <tbody> that holds the rows
    rows_template: str            # draws `rows` (a list of row data), each with its element id
    dom_id: Callable[[str], str]  # row key -> element id (as the rows template writes it)
    sort_key: Callable[[dict], object]
    engine: str | None = None     # the template engine of rows_template (settings.TEMPLATES)


def unit_dom_id(name: str) -> str:
    """A stable element id for a unit (names carry @ \\ : which ids and CSS dislike)."""
    return "unit-" + hashlib.sha1(name.encode()).hexdigest()[:16]


def service_dom_id(service: str) -> str:
    """A stable element id for a service Podhouse made (its row on the services page)."""
    return "service-row-" + hashlib.sha1(service.encode()).hexdigest()[:16]


LISTS = {
    "containers": LiveList("containers", "containers-body", "containers.html",
                           lambda key: f"container-row-{key}", lambda row: row["name"], engine="rows"),
    "pods": LiveList("pods", "pods-body", "pods/_rows.html", lambda key: f"pod-row-{key}", lambda row: row["name"]),
    "images": LiveList("images", "images-body", "images/_rows.html", lambda key: f"image-row-{key}",
                       lambda row: row["name"]),
    "units": LiveList("units", "units-body", "units/_rows.html", unit_dom_id, lambda row: row["name"]),
    "services": LiveList("services", "services-body", "services/_rows.html", service_dom_id,
                         lambda row: row["service"]),
    # the containers rows (podman_rows.container_row) that auto-update keeps current,
    # and those labelled for it that it cannot
    "updates": LiveList("updates", "updates-body", "updates/_rows.html", lambda key: f"update-row-{key}",
                        lambda row: row["name"]),
    "updates-cannot": LiveList("updates-cannot", "updates-cannot-body", "updates/_cannot_rows.html",
                               lambda key: f"update-cannot-row-{key}", lambda row: row["name"]),
}


def render_rows(live_list: LiveList, rows: list[dict], context: dict, oob: bool = False) -> str:
    """The rows drawn by the list's rows template (out-of-band replacements with `oob`)."""
    # Jinja2's templates escape as they draw, but Django's backend hands back a plain str
    return mark_safe(get_template(live_list.rows_template, using=live_list.engine).render(
        {**context, "rows": rows, "oob": oob}))


def swaps(live_list: LiveList, changes: dict[str, dict | None], shown: set[str],
          visible: Callable[[dict], bool], context: dict, released: set[str] | None = None,
          change: int | None = None) -> list[str]:
    """The messages that bring a page holding `shown` up to `changes` (and update
    `shown`).  Deletes and replacements travel in one message, appends in another: the
    HTML parser drops a <tbody> that follows a <tr>.  A key in `released` belongs to the
    page's own action answer: nothing is sent for it, and once it is gone it is forgotten.
    `change`: the id of the watcher's published change (change_id) when `changes` is
    that change as every page got it; pages that need the same swaps of it then share
    one drawing."""
    deleted, replaced, appended, drawn_keys = [], [], [], []
    released = released if released is not None else set()
    for key, row in changes.items():
        if key in released:
            if row is None or not visible(row):
                released.discard(key)
            continue
        if row is not None and visible(row):
            (replaced if key in shown else appended).append(row)
            drawn_keys.append((key, key in shown))
            shown.add(key)
        elif key in shown:
            shown.discard(key)
            deleted.append(live_list.dom_id(key))
    if not (deleted or replaced or appended):
        return []
    appended.sort(key=live_list.sort_key)
    if change is None:
        return _draw_swaps(live_list, deleted, replaced, appended, context)
    # (a row key's data is the same in one change: which keys were drawn, and how, says the rest)
    key = (live_list.name, change, repr(context), tuple(deleted), tuple(drawn_keys))
    drawn = _drawn.get(key)
    if drawn is None:
        drawn = _drawn[key] = _draw_swaps(live_list, deleted, replaced, appended, context)
        if len(_drawn) > DRAWN_KEPT:
            del _drawn[next(iter(_drawn))]
    return list(drawn)


# Every page showing a list the same way needs the same swaps of each change: they
# are drawn once and the text goes to each page (under the soak's 60 container pages
# each page drawing its own rows was a third of the server's time, bench/bench_soak.py).
# Keyed by the change's id and everything else the drawing depends on.
DRAWN_KEPT = 64
_drawn: dict[tuple, list[str]] = {}
_change_ids = itertools.count(1)


def change_id() -> int:
    """A new id for a change a watcher publishes ("change" in rows.changed), unique in
    this process: each page gets its own copy of the message (the channel layer copies
    it), and the id tells swaps that the copies are one change."""
    return next(_change_ids)


def _draw_swaps(live_list: LiveList, deleted: list[str], replaced: list[dict], appended: list[dict],
                context: dict) -> list[str]:
    messages = []
    if deleted or replaced:
        messages.append(render_to_string("live/_swaps.html", {
            "deleted": deleted, "rows": render_rows(live_list, replaced, context, oob=True) if replaced else ""}))
    if appended:
        messages.append(render_to_string("live/_append.html", {
            "rows": render_rows(live_list, appended, context), "body_id": live_list.body_id}))
    return messages


def whole_body(live_list: LiveList, rows: list[dict], context: dict) -> str:
    """The message that replaces every row of the page (after a full read)."""
    rows_html = render_rows(live_list, sorted(rows, key=live_list.sort_key), context)
    return render_to_string("live/_body.html", {"rows": rows_html, "body_id": live_list.body_id})


# -- which rows a page drew ------------------------------------------------------------
_pages: dict[str, tuple[float, frozenset[str]]] = {}
_pages_lock = threading.Lock()


def remember_page(keys: Iterable[str]) -> str:
    """Keep the keys of the rows a page drew until its socket claims them; the token
    goes into the socket's URL."""
    token = secrets.token_urlsafe(9)
    now = time.monotonic()
    with _pages_lock:
        for old in [t for t, (at, _) in _pages.items() if now - at > PAGE_KEPT_SECONDS]:
            del _pages[old]
        _pages[token] = (now, frozenset(keys))
    return token


def claim_page(token: str) -> set[str] | None:
    """The keys a page drew, once (None: unknown, expired, or served by another process)."""
    with _pages_lock:
        found = _pages.pop(token, None)
    return set(found[1]) if found else None


# -- a page's own action answers its row ---------------------------------------------------
PAGE_HEADER = "X-Podhouse-Page"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def page_group(token: str) -> str | None:
    """The Channels group of one page's list socket (the page's token names it), None
    for what is no token of remember_page's."""
    return f"livepage.{token}" if _TOKEN.fullmatch(token or "") else None


class answering_row:
    """The page's own answer to this action takes its row (`dom_id`, else the
    request's HX-Target) out of the list: its socket leaves that row alone from now on.

        async with answering_row(request):
            await client.remove_container(name)

    Said before the action (so it precedes every change the action causes); said back
    when the block fails (the row stays on the page).  Without the page's token (a
    detail page, a plain form), or when it does not `apply`, it does nothing."""

    def __init__(self, request, applies: bool = True, dom_id: str = ""):
        token = request.headers.get(PAGE_HEADER, "")
        self.group = page_group(token) if applies else None
        self.dom_id = dom_id or request.headers.get("HX-Target", "")

    async def _say(self, kind: str) -> None:
        if self.group and self.dom_id:
            await get_channel_layer().group_send(self.group, {"type": kind, "dom_id": self.dom_id})

    async def __aenter__(self) -> "answering_row":
        await self._say("rows.released")
        return self

    async def __aexit__(self, kind, error, traceback) -> bool:
        if error is not None:
            await self._say("rows.held")
        return False
