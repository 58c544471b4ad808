"""Who may act.  Viewers (any logged-in account) see; operators (the permission
dashboard.operate, or superusers) act.  A refused action is audited."""
from functools import wraps

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpResponseForbidden

from dashboard import audit
from dashboard.host import scopes

OPERATE = "dashboard.operate"


def can_operate(user) -> bool:
    return user.is_authenticated and user.has_perm(OPERATE)


def may_act_in(user, scope) -> bool:
    """Whether pages offer `user` actions in `scope` (a Scope, its name, or None for no
    scope): the operate permission, in a scope this server's account can act in.  A
    Podhouse that runs as a login user sees the system scope but may not act there
    (scopes.unusable_reason): its buttons could only end in "Permission denied"."""
    if not can_operate(user):
        return False
    if isinstance(scope, str):
        scope = scopes.available_scopes().get(scope)
    return scope is None or not scopes.unusable_reason(scope)


def _refuse(request, action, kwargs):
    target = "/".join(str(v) for k, v in sorted(kwargs.items()) if k != "scope")
    audit.record(request.user, action, scope=str(kwargs.get("scope", "")), target=target,
                 result="refused", detail=f"{request.method} {request.path} without {OPERATE}")
    return HttpResponseForbidden("You may look but not act: this account lacks the operate permission.")


def operator_required(action: str):
    """Decorate a view that changes something: 403 and an audit entry for viewers."""

    def decorate(view):
        if iscoroutinefunction(view):
            @wraps(view)
            async def async_wrapper(request, *args, **kwargs):
                user = await request.auser()
                if not await sync_to_async(can_operate)(user):
                    return await sync_to_async(_refuse)(request, action, kwargs)
                return await view(request, *args, **kwargs)

            return async_wrapper

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not can_operate(request.user):
                return _refuse(request, action, kwargs)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
