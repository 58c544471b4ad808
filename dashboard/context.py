"""Template context every page gets: the navigation and the current scope."""
from dashboard.host import scopes
from dashboard.permissions import can_operate

NAVIGATION = [
    ("overview", "Overview"),
    ("containers", "Containers"),
    ("pods", "Pods"),
    ("images", "Images"),
    ("units", "Units"),
    ("services", "Services"),
    ("updates", "Updates"),
    ("logs", "Logs"),
    ("audit", "Audit"),
]


def navigation(request):
    match = getattr(request, "resolver_match", None)
    scope_name = (match.kwargs.get("scope") if match else None) or scopes.default_scope_name()
    return {
        "navigation": NAVIGATION,
        "current_scope": scope_name,
        "scope_names": list(scopes.available_scopes()),
        "active_area": _area_of(request.path),
        "user_can_operate": can_operate(request.user) if hasattr(request, "user") else False,
    }


def _area_of(path: str) -> str:
    """/user/containers/web/ -> "containers": the area is the segment after the scope
    (/user/ alone is the overview)."""
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] not in scopes.SCOPE_NAMES:
        return ""
    return segments[1] if len(segments) > 1 else "overview"
