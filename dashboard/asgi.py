"""ASGI entry point: HTTP through Django, websockets through Channels with the
session's user attached and the Origin header checked in full (scheme, host and port)
against the server's own (dashboard.websocket_origin)."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_pages = get_asgi_application()  # sets Django up: imported after it

from dashboard.static_files import StaticFiles  # noqa: E402

# One process serves pages, static files and websockets: nothing else to set up.
django_application = StaticFiles(django_pages)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dashboard.routing import websocket_urlpatterns  # noqa: E402
from dashboard.websocket_origin import ExactOriginValidator  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": ExactOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
