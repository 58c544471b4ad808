"""The one way to build a websocket's URL: reverse the route's name in
dashboard/routing.py; keyword arguments the route takes go into the path, the others
into the query string (empty ones left out)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import get_resolver, reverse

ROUTES = "dashboard.routing"


def socket_url(route: str, /, **params) -> str:
    """socket_url("units-socket", scope="user", kind="service", since=12)
    -> "/ws/user/units/?kind=service&since=12"."""
    in_path = _route_arguments(route)
    path = reverse(route, urlconf=ROUTES, kwargs={k: v for k, v in params.items() if k in in_path})
    query = urlencode([(k, v) for k, v in params.items() if k not in in_path and v not in (None, "")])
    return f"{path}?{query}" if query else path


def _route_arguments(route: str) -> set[str]:
    """The names of the route's path arguments (reverse_dict: name -> [(bits, pattern, defaults, converters)])."""
    possibilities = get_resolver(ROUTES).reverse_dict.getlist(route)
    if not possibilities:
        raise ValueError(f"no websocket route named {route!r}")
    arguments = set()
    for bits, _pattern, _defaults, _converters in possibilities:
        for _format, params in bits:
            arguments.update(params)
    return arguments
