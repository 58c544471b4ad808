"""The websocket origin rule: a socket is opened only by a page of this very server.

Browsers send the page's origin (scheme, host and port) with a websocket handshake,
and send the session cookie whatever that origin is: a cookie is bound to a host name,
not to a port, so any page served from the same host on another port would ride on
the admin's session.  Channels' AllowedHostsOriginValidator compares host names only;
this compares the whole origin with the server's own (the handshake's scheme and Host
header), or with an origin named in PODHOUSE_TRUSTED_ORIGINS (a proxy in front that
terminates TLS or answers on another port).  The Host header itself must be one of
ALLOWED_HOSTS, so a name rebound to this address cannot pass for the server."""
from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# websocket scheme of the handshake -> the scheme of the page that opened it
PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def normalise_origin(origin: str) -> str | None:
    """"HTTP://Example:80" -> "http://example"; None when it is not an http(s) origin
    (an "null" origin, a path, user info or anything else a page never sends)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != DEFAULT_PORTS[scheme] else "")


def own_origin(scheme: str, host_header: str) -> str | None:
    """The origin of this server's pages as the handshake names it, when its Host is allowed."""
    domain, _port = split_domain_port(host_header.lower())
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return normalise_origin(f"{PAGE_SCHEMES.get(scheme, 'http')}://{host_header}")


def trusted_origins() -> set[str]:
    return {o for o in (normalise_origin(t) for t in getattr(settings, "PODHOUSE_TRUSTED_ORIGINS", [])) if o}


def origin_allowed(origin: str | None, scheme: str, host_header: str) -> bool:
    """True when the page at `origin` may open a socket on the server reached by
    `scheme` and `host_header`."""
    if not origin:
        return False
    origin = normalise_origin(origin)
    if origin is None:
        return False
    own = own_origin(scheme, host_header)
    return (own is not None and origin == own) or origin in trusted_origins()


class ExactOriginValidator:
    """ASGI middleware: refuse (HTTP 403 on the handshake) a websocket whose Origin is
    not exactly the server's own or a trusted one."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers") or [])
            origin = headers.get(b"origin", b"").decode("latin1")
            host = headers.get(b"host", b"").decode("latin1")
            if not origin_allowed(origin, scope.get("scheme", "ws"), host):
                denier = WebsocketDenier()
                return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
