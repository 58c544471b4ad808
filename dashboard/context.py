"""Template context every page gets: the navigation, the current scope and the
scope switcher's links."""
from dashboard.host import scopes
from dashboard.permissions import may_act_in

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
AREAS = {area for area, _label in NAVIGATION}


def navigation(request):
    match = getattr(request, "resolver_match", None)
    scope = match.kwargs.get("scope") if match else None
    scope_name = str(scope) if scope else scopes.default_scope_name()
    available = scopes.available_scopes()
    # A scope this account cannot use (a non-root account's system scope) says why,
    # and offers no buttons that could only end in "Permission denied".
    unusable = scopes.unusable_reason(available[scope_name]) if scope_name in available else ""
    return {
        "navigation": NAVIGATION,
        "current_scope": scope_name,
        "scope_names": list(available),
        "scope_switch": scope_switch(request.path, scope_name),
        "scope_unusable_reason": unusable,
        "active_area": _area_of(request.path),
        "user_can_operate": hasattr(request, "user") and may_act_in(request.user, available.get(scope_name)),
    }


def scope_switch(path: str, current: str) -> list[dict]:
    """One entry per scope name: the link to this page in that scope when the host
    has it, else why it has not.  A page of one object (a container, a unit) links to
    its area's list in the other scope: the same name there is another object."""
    segments = [s for s in path.split("/") if s]
    if segments and segments[0] in scopes.SCOPE_NAMES:
        segments = segments[1:]
    area = segments[0] if segments and segments[0] in AREAS else ""
    absent = scopes.absent_scopes()
    return [{"name": name, "current": name == current, "reason": absent.get(name, ""),
             "url": "" if name in absent else f"/{name}/" + (f"{area}/" if area else "")}
            for name in scopes.SCOPE_NAMES]


def _area_of(path: str) -> str:
    """/user/containers/web/ -> "containers": the area is the segment after the scope
    (/user/ alone is the overview)."""
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] not in scopes.SCOPE_NAMES:
        return ""
    return segments[1] if len(segments) > 1 else "overview"
