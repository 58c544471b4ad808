"""The 404 page (dashboard/urls.py's handler404), in the site's layout.  For a
scope this host lacks (`/system/...` on the embedded stack) it says why, and links
to the same area in the scopes that exist."""
from django.shortcuts import render

from dashboard.context import scope_switch
from dashboard.host import scopes


def page_not_found(request, exception):
    segments = [s for s in request.path.split("/") if s]
    asked = segments[0] if segments and segments[0] in scopes.SCOPE_NAMES else ""
    absent = scopes.absent_scopes()
    context = {
        "asked_scope": asked if asked in absent else "",
        "reason": absent.get(asked, ""),
        # Http404's own words ("no such unit ..."); Django's resolver's are a dict, not for users
        "message": exception.args[0] if exception.args and isinstance(exception.args[0], str) else "",
        "elsewhere": [s for s in scope_switch(request.path, "") if s["url"]],
    }
    return render(request, "404.html", context, status=404)
