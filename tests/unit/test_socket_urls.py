"""Websocket URLs come from one helper (dashboard.socket_urls, the {% socket_url %} tag)
that reverses dashboard/routing.py's route names: every name a template uses exists,
every URL the helper builds resolves to its route, and nobody writes /ws/ by hand."""
import re
from pathlib import Path

import pytest
from django.urls import resolve

from dashboard.routing import websocket_urlpatterns
from dashboard.socket_urls import socket_url

ROOT = Path(__file__).resolve().parents[2]
ROUTE_NAMES = {p.name for p in websocket_urlpatterns}
USED = sorted({m.group(1) for f in (ROOT / "templates").rglob("*.html")
               for m in re.finditer(r'{% socket_url "([^"]+)"', f.read_text())})


def test_every_route_has_a_name_and_one_path_order():
    assert None not in ROUTE_NAMES and len(ROUTE_NAMES) == len(websocket_urlpatterns)
    for pattern in websocket_urlpatterns:
        route = str(pattern.pattern)
        assert route == "ws/ping/" or route.startswith("ws/<str:scope>/"), route


@pytest.mark.parametrize("name", USED)
def test_templates_name_existing_routes(name):
    assert name in ROUTE_NAMES


def test_path_arguments_go_into_the_path_and_the_rest_into_the_query():
    url = socket_url("container-stats-socket", scope="user", name="web 1", extra="x y", empty="")
    assert url == "/ws/user/containers/web%201/stats/?extra=x+y"
    match = resolve(url.split("?")[0].replace("%20", " "), urlconf="dashboard.routing")
    assert match.url_name == "container-stats-socket" and match.kwargs == {"scope": "user", "name": "web 1"}
    assert socket_url("units-socket", scope="system", kind="timer", since=0) == "/ws/system/units/?kind=timer&since=0"


def test_no_websocket_url_is_written_by_hand():
    sources = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "js").glob("*.js"),
               *(p for p in (ROOT / "dashboard").rglob("*.py") if p.name not in ("routing.py", "socket_urls.py"))]
    by_hand = [str(p.relative_to(ROOT)) for p in sources
               if re.search(r"""["'`]/?ws/""", p.read_text()) or "/ws/{" in p.read_text()]
    assert by_hand == []
