"""dashboard.static_files: the static files answered from memory, on the real static
folder; what is not under STATIC_URL goes to the wrapped application."""
import asyncio
from pathlib import Path

import pytest
from django.utils.http import http_date

from dashboard.static_files import StaticFiles

STATIC = Path(__file__).resolve().parents[2] / "static"


def call(app, path: str, method: str = "GET", headers=()) -> tuple[int, dict, bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    asyncio.run(app(scope, receive, send))
    start, body = sent
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body["body"]


async def pages(scope, receive, send):
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": scope["path"].encode()})


@pytest.fixture
def app():
    return StaticFiles(pages)


def test_a_file_is_answered_whole_with_its_type_and_time(app):
    status, headers, body = call(app, "/static/css/podhouse.css")
    assert status == 200 and body == (STATIC / "css/podhouse.css").read_bytes()
    assert headers["content-type"] == "text/css" and headers["content-length"] == str(len(body))
    assert headers["last-modified"] == http_date((STATIC / "css/podhouse.css").stat().st_mtime)
    status, headers, body = call(app, "/static/vendor/htmx-2.0.11.min.js", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 10_000
    assert headers["content-type"] == "text/javascript"


def test_an_unchanged_file_is_304_and_a_changed_one_is_read_again(app, tmp_path, settings):
    settings.STATICFILES_DIRS = [tmp_path]
    (tmp_path / "a.txt").write_text("one")
    status, headers, body = call(app, "/static/a.txt")
    assert (status, body) == (200, b"one")
    status, _, body = call(app, "/static/a.txt", headers=[(b"if-modified-since", headers["last-modified"].encode())])
    assert (status, body) == (304, b"")
    (tmp_path / "a.txt").write_text("two, longer")
    assert call(app, "/static/a.txt")[2] == b"two, longer"


@pytest.mark.parametrize("path", ["/static/../../../../etc/passwd", "/static/../dashboard/settings.py"])
def test_a_path_out_of_the_static_folders_is_400_naming_it(app, path):
    status, _, body = call(app, path)
    assert status == 400 and body.startswith(b"path:") and b"root:" not in body


@pytest.mark.parametrize("path", ["/static/", "/static/css/", "/static/no-such.js", "/static/css", "/static/css/\x00.css"])
def test_what_is_not_a_file_is_404(app, path):
    status, _, body = call(app, path)
    assert status == 404 and body.startswith(b"path:")


def test_only_get_and_head_and_other_paths_go_to_the_pages(app):
    status, headers, _ = call(app, "/static/css/podhouse.css", method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert call(app, "/user/containers/") == (299, {}, b"/user/containers/")
    assert call(app, "/staticky/x")[0] == 299
