"""The landing page and the header's health fragment."""
import socket

from django.shortcuts import redirect, render

from dashboard import health, scopes


def home(request):
    return redirect("containers", scope=scopes.default_scope_name())


async def health_fragment(request):
    scope = scopes.get_scope(scopes.default_scope_name())
    parts = await health.check_all(scope)
    return render(request, "dashboard/_health.html",
                  {"parts": parts, "hostname": socket.gethostname(), "scope": scope.name})
