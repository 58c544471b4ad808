"""The one contract of every live list (containers, pods, images, units).

A watcher publishes, on the list's Channels group,
    {"type": "rows.changed", "rows": {key: row-data or None}, "position": ...}
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
so no swap lacks its target and no script is needed.  (One exception: a row that the
page's own action answer already took out, the Remove button's empty answer, is still
"held" until its deletion comes; htmx then reports the missing target.)"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

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


LISTS = {
    "containers": LiveList("containers", "containers-body", "containers.html",
                           lambda key: f"container-row-{key}", lambda row: row["name"], engine="rows"),
    "pods": LiveList("pods", "pods-body", "pods/_rows.html", lambda key: f"pod-row-{key}", lambda row: row["name"]),
    "images": LiveList("images", "images-body", "images/_rows.html", lambda key: f"image-row-{key}",
                       lambda row: row["name"]),
    "units": LiveList("units", "units-body", "units/_rows.html", unit_dom_id, lambda row: row["name"]),
}


def render_rows(live_list: LiveList, rows: list[dict], context: dict, oob: bool = False) -> str:
    """The rows drawn by the list's rows template (out-of-band replacements with `oob`)."""
    # Jinja2's templates escape as they draw, but Django's backend hands back a plain str
    return mark_safe(get_template(live_list.rows_template, using=live_list.engine).render(
        {**context, "rows": rows, "oob": oob}))


def swaps(live_list: LiveList, changes: dict[str, dict | None], shown: set[str],
          visible: Callable[[dict], bool], context: dict) -> list[str]:
    """The messages that bring a page holding `shown` up to `changes` (and update
    `shown`).  Deletes and replacements travel in one message, appends in another: the
    HTML parser drops a <tbody> that follows a <tr>."""
    deleted, replaced, appended = [], [], []
    for key, row in changes.items():
        if row is not None and visible(row):
            (replaced if key in shown else appended).append(row)
            shown.add(key)
        elif key in shown:
            shown.discard(key)
            deleted.append(live_list.dom_id(key))
    messages = []
    if deleted or replaced:
        messages.append(render_to_string("live/_swaps.html", {
            "deleted": deleted, "rows": render_rows(live_list, replaced, context, oob=True) if replaced else ""}))
    if appended:
        appended.sort(key=live_list.sort_key)
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
