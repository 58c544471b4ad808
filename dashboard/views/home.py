"""The landing page and the header's health fragment."""
import socket

from django.shortcuts import redirect

from dashboard.host import health, scopes
from dashboard.views.rendering import arender


def home(request):
    return redirect("overview", scope=scopes.default_scope_name())


async def health_fragment(request):
    # The page asks for its own scope: a user page must not go red for the system scope.
    name = request.GET.get("scope", "")
    scope = scopes.get_scope(name if name in scopes.available_scopes() else scopes.default_scope_name())
    parts = await health.check_all(scope)
    # Rendering runs the context processors, which read the session and the
    # user's permissions from the database: that is sync-only work.
    return await arender(request, "dashboard/_health.html",
                                       {"parts": parts, "hostname": socket.gethostname(), "scope": scope.name})
