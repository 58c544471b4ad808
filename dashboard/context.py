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
    available = scopes.available_scopes()
    # A scope this account cannot use (a non-root account's system scope) says why,
    # and offers no buttons that could only end in "Permission denied".
    unusable = scopes.unusable_reason(available[scope_name]) if scope_name in available else ""
    return {
        "navigation": NAVIGATION,
        "current_scope": scope_name,
        "scope_names": list(available),
        "scope_unusable_reason": unusable,
        "active_area": _area_of(request.path),
        "user_can_operate": (can_operate(request.user) if hasattr(request, "user") else False) and not unusable,
    }


def _area_of(path: str) -> str:
    """/user/containers/web/ -> "containers": the area is the segment after the scope
    (/user/ alone is the overview)."""
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] not in scopes.SCOPE_NAMES:
        return ""
    return segments[1] if len(segments) > 1 else "overview"
