"""Template context every page gets: the navigation and the current scope."""
from dashboard import scopes
from dashboard.permissions import can_operate

NAVIGATION = [
    ("containers", "Containers"),
    ("pods", "Pods"),
    ("images", "Images"),
    ("units", "Units"),
    ("logs", "Logs"),
]


def navigation(request):
    match = getattr(request, "resolver_match", None)
    scope_name = (match.kwargs.get("scope") if match else None) or scopes.default_scope_name()
    return {
        "navigation": NAVIGATION,
        "current_scope": scope_name,
        "scope_names": list(scopes.available_scopes()),
        "active_area": match.url_name.split("-")[0] if match and match.url_name else "",
        "user_can_operate": can_operate(request.user) if hasattr(request, "user") else False,
    }
