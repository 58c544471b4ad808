"""The static files (stylesheet, scripts, icon), answered by the ASGI application
itself from memory.

Django's static handler (the one `runserver` uses) serves each file from a worker
thread and hands it over in pieces across threads.  A cold load of a page waits for
four files (the stylesheet and htmx hold its drawing back): asked at once, they took
21.6 ms there against 5.4 ms here (p50, bench/bench_static_files.py; issue #12's
P8).  Here a file is read once, again only when its size or mtime changes, and sent
in one message.

Paths are found as Django's handler finds them (the staticfiles finders, after
normalising the path); one that climbs out of the static folders is answered 400
naming it, an unknown one 404.  GET and HEAD only; If-Modified-Since is honoured.
"""
from __future__ import annotations

import mimetypes
import os
import posixpath
from stat import S_ISREG

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousOperation
from django.utils.http import http_date, parse_http_date_safe


class StaticFiles:
    """ASGI: requests under STATIC_URL are answered here, the others by `application`."""

    def __init__(self, application):
        self.application = application
        self.prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        # absolute path -> ((size, mtime_ns), body, headers)
        self._files: dict[str, tuple[tuple[int, int], bytes, list[tuple[bytes, bytes]]]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.application(scope, receive, send)
        status, headers, body = self.answer(scope)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def answer(self, scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """(status, headers, body) for a request under the prefix."""
        if scope["method"] not in ("GET", "HEAD"):
            return _text(405, "only GET and HEAD are answered here", [(b"allow", b"GET, HEAD")])
        relative = posixpath.normpath(scope["path"][len(self.prefix):]).lstrip("/")
        try:
            found = finders.find(relative) if relative not in ("", ".") else None
        except (SuspiciousOperation, ValueError):  # a path out of the folders; a NUL byte
            return _text(400, f"path: {scope['path'][:200]!r} is outside the static files.")
        stat = os.stat(found) if found else None
        if stat is None or not S_ISREG(stat.st_mode):
            return _text(404, f"path: no static file {scope['path'][:200]!r}.")
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._files.get(found)
        if cached is None or cached[0] != key:
            with open(found, "rb") as file:
                body = file.read()
            content_type, encoding = mimetypes.guess_type(found)
            headers = [(b"content-type", (content_type or "application/octet-stream").encode()),
                       (b"content-length", str(len(body)).encode()),
                       (b"last-modified", http_date(stat.st_mtime).encode())]
            if encoding:
                headers.append((b"content-encoding", encoding.encode()))
            cached = self._files[found] = (key, body, headers)
        _, body, headers = cached
        since = dict(scope["headers"]).get(b"if-modified-since")
        if since:
            when = parse_http_date_safe(since.decode("latin-1"))
            if when is not None and int(stat.st_mtime) <= when:
                return 304, [h for h in headers if h[0] == b"last-modified"], b""
        return 200, headers, body


def _text(status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None):
    body = message.encode()
    return status, [(b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()), *(extra or [])], body
