"""Every page and every websocket of Podhouse requires login, including the ones
added after this test was written: the routes are enumerated, not listed.
The same enumeration drives the rest of the wall: the exact websocket origin
(tests/unit/test_websocket_origin.py), and against the real server CSRF with the
exact origin on every URL and a viewer acting nowhere (e2e/test_security_wall.py)."""
import re

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dashboard.asgi import application
from dashboard.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "favicon"}  # the only page an anonymous visitor may see, and the icon (a static file)
SAMPLE = {"scope": "user"}


def _sample_path(pattern: str) -> str:
    # "<scope:scope>/containers/<str:name>/" -> "user/containers/sample/"; "<int:id>" -> "1"
    return re.sub(r"<(?:(\w+):)?(\w+)>",
                  lambda m: SAMPLE.get(m.group(2), "1" if m.group(1) == "int" else "sample"), pattern)


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if "admin" in str(entry.pattern):
                continue  # Django's admin has its own login wall, tested by Django
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


PAGE_ROUTES = [(name, path) for name, path in _routes(get_resolver().url_patterns) if name not in PUBLIC]


def test_there_are_routes_to_check():
    assert len(PAGE_ROUTES) >= 6


@pytest.mark.parametrize("name,pattern", PAGE_ROUTES, ids=[p for _, p in PAGE_ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_request_is_sent_to_login(name, pattern, method):
    path = "/" + _sample_path(pattern).lstrip("^").rstrip("$")
    response = getattr(Client(), method)(path)
    assert response.status_code == 302, (path, response.status_code)
    assert response["Location"].startswith("/login/?next=")


WS_ROUTES = [str(p.pattern) for p in websocket_urlpatterns]


@pytest.mark.parametrize("pattern", WS_ROUTES)
async def test_anonymous_websocket_is_refused(pattern):
    path = "/" + _sample_path(pattern).lstrip("^").rstrip("$")
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://127.0.0.1"),
                                                                      (b"host", b"127.0.0.1")])
    connected, code = await communicator.connect()
    assert not connected, path
    await communicator.disconnect()
