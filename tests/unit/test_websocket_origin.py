"""The websocket origin rule (dashboard.websocket_origin): the whole origin, scheme,
host and port, must be the server's own or a trusted one, on every websocket route."""
import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from dashboard.asgi import application
from dashboard.routing import websocket_urlpatterns
from dashboard.websocket_origin import normalise_origin, origin_allowed
from tests.unit.test_login_wall import _sample_path


@pytest.mark.parametrize("origin,expected", [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("HTTP://LocalHost:80", "http://localhost"),
    ("https://example.org:443", "https://example.org"),
    ("http://[::1]:8000", "http://[::1]:8000"),
    ("null", None), ("", None), ("file://", None), ("ws://127.0.0.1:8000", None),
    ("http://user@127.0.0.1:8000", None), ("http://127.0.0.1:8000/path", None),
    ("http://127.0.0.1:99999", None), ("http://127.0.0.1:8o00", None),
])
def test_normalise_origin(origin, expected):
    assert normalise_origin(origin) == expected


@pytest.mark.parametrize("origin,scheme,host,allowed", [
    ("http://127.0.0.1:8000", "ws", "127.0.0.1:8000", True),
    ("http://localhost:8000", "ws", "localhost:8000", True),
    ("http://127.0.0.1", "ws", "127.0.0.1", True),
    ("http://127.0.0.1:80", "ws", "127.0.0.1", True),
    ("https://127.0.0.1:8000", "wss", "127.0.0.1:8000", True),
    # same host name, another port: the attack this rule is for
    ("http://127.0.0.1:3000", "ws", "127.0.0.1:8000", False),
    ("http://127.0.0.1", "ws", "127.0.0.1:8000", False),
    # same host and port, another scheme
    ("https://127.0.0.1:8000", "ws", "127.0.0.1:8000", False),
    ("http://127.0.0.1:8000", "wss", "127.0.0.1:8000", False),
    # another host, or the server's own host under a name it does not answer to
    ("http://localhost:8000", "ws", "127.0.0.1:8000", False),
    ("http://evil.example:8000", "ws", "evil.example:8000", False),
    (None, "ws", "127.0.0.1:8000", False), ("null", "ws", "127.0.0.1:8000", False),
    ("http://127.0.0.1:8000", "ws", "", False),
])
def test_origin_allowed(origin, scheme, host, allowed):
    assert origin_allowed(origin, scheme, host) is allowed


@override_settings(PODHOUSE_TRUSTED_ORIGINS=["https://console.example.org"])
def test_a_trusted_origin_of_a_proxy_is_allowed_exactly():
    assert origin_allowed("https://console.example.org", "ws", "127.0.0.1:8000")
    assert origin_allowed("https://console.example.org:443", "ws", "127.0.0.1:8000")
    assert not origin_allowed("http://console.example.org", "ws", "127.0.0.1:8000")
    assert not origin_allowed("https://console.example.org:8443", "ws", "127.0.0.1:8000")


WS_ROUTES = [str(p.pattern) for p in websocket_urlpatterns]
HOST = b"127.0.0.1:8000"
OWN = b"http://127.0.0.1:8000"
FOREIGN = [b"http://127.0.0.1:3000", b"https://127.0.0.1:8000", b"http://localhost:8000", b"null"]


@pytest.fixture
def admin_cookie(transactional_db):
    from django.contrib.auth.models import User

    User.objects.create_superuser("origin-admin", password="pw-origin-1")
    client = Client()
    assert client.login(username="origin-admin", password="pw-origin-1")
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _handshake(path, origin, cookie):
    communicator = WebsocketCommunicator(application, path, headers=[
        (b"origin", origin), (b"host", HOST), (b"cookie", cookie)])
    connected, code = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected, code


def test_there_are_websocket_routes():
    assert len(WS_ROUTES) >= 8


# One test over every route (not one per route): each needs a database of its own,
# which costs seconds on a loaded machine.
async def test_a_page_of_another_origin_cannot_open_any_websocket_even_with_the_admins_session(admin_cookie):
    for pattern in WS_ROUTES:
        path = "/" + _sample_path(pattern)
        for origin in FOREIGN:
            connected, code = await _handshake(path, origin, admin_cookie)
            # refused by the origin rule, before any consumer (whose own refusals use 4400-4499)
            assert (connected, code) == (False, 1000), (path, origin)


async def test_the_servers_own_origin_reaches_every_consumer(admin_cookie):
    for pattern in WS_ROUTES:
        path = "/" + _sample_path(pattern)
        connected, code = await _handshake(path, OWN, admin_cookie)
        # the consumer answered: accepted, or refused by its own rule for a sample name
        assert connected or code >= 4000, (path, code)


async def test_the_own_origin_with_a_session_gets_an_answer(admin_cookie):
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=[
        (b"origin", OWN), (b"host", HOST), (b"cookie", admin_cookie)])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_json_from(timeout=5) == {"pong": "origin-admin"}
    await communicator.disconnect()
