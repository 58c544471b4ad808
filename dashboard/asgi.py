"""ASGI entry point: HTTP through Django, websockets through Channels with the
session's user attached and the Origin header checked in full (scheme, host and port)
against the server's own (dashboard.websocket_origin)."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from django.core.exceptions import SuspiciousOperation  # noqa: E402
from django.http import HttpResponseBadRequest  # noqa: E402


class StaticFilesHandler(ASGIStaticFilesHandler):
    """Django's, with a path that climbs out of the static folder (/static/../..)
    answered 400 naming it; Django's own handler lets that end as a 500."""

    async def get_response_async(self, request):
        try:
            return await super().get_response_async(request)
        except SuspiciousOperation:
            return HttpResponseBadRequest(f"path: {request.path[:200]!r} is outside the static files.",
                                          content_type="text/plain")


# One process serves pages, static files and websockets: nothing else to set up.
django_application = StaticFilesHandler(get_asgi_application())

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dashboard.routing import websocket_urlpatterns  # noqa: E402
from dashboard.websocket_origin import ExactOriginValidator  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": ExactOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
