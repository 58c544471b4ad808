"""Run a container or pod as a systemd service: the dialog, its live preview,
"Generate and enable", and the list of services Podhouse made (disable, remove,
regenerate)."""
from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.html import escape
from django.views.decorators.http import require_POST

from dashboard import audit, services
from dashboard.host import scopes
from dashboard.permissions import operator_required
from dashboard.host.systemd import SystemdError
from dashboard.live.unit_watch import watch_for
from dashboard.views.rendering import arender
from dashboard.views.containers import check_scope, operate_flag
from engine.podman import PodmanError
from engine.units import install
from engine.units.formats import FormatUnavailable
from engine.units.options import (AUTO_UPDATE, FORMATS, RESTART_POLICIES, SDNOTIFY_MODES, InvalidOptions,
                                  default_target)
from engine.units.spec import SpecError

KINDS = ("container", "pod")
FIELDS = ("format", "unit_name", "restart", "restart_sec", "sdnotify", "start_timeout", "stop_timeout",
          "auto_update", "wanted_by", "after", "requires")


def _target(kind: str) -> None:
    if kind not in KINDS:
        raise Http404(f"no such kind {kind!r}")


def _form(data) -> dict[str, str]:
    return {key: data.get(key, "") for key in FIELDS if data.get(key, "") != ""}


def _choices(scope: scopes.Scope) -> dict:
    return {"formats": FORMATS, "restart_policies": RESTART_POLICIES, "sdnotify_modes": SDNOTIFY_MODES,
            "auto_update_choices": [c for c in AUTO_UPDATE if c], "default_target": default_target(scope.is_user),
            "quadlet_available": services.quadlet_available()}


async def dialog(request, scope, kind, name):
    check_scope(scope)
    _target(kind)
    scope_obj = scopes.get_scope(scope)
    made = services.podhouse_services(scope_obj)
    existing = next((m for m in made.values() if m.source == f"{kind} {name}"), None)
    return await arender(request, "services/_dialog.html", {
        "scope": scope, "kind": kind, "name": name, "existing": existing,
        "unit_name": request.GET.get("unit_name") or (existing.service.removesuffix(".service").removesuffix("-pod")
                                                       if existing else name),
        **_choices(scope_obj)})


async def _preview_context(scope_obj, kind, name, form, for_enable: bool = False) -> dict:
    context = {"scope": scope_obj.name, "kind": kind, "name": name}
    try:
        context["preview"] = await services.build(scope_obj, kind, name, form, for_enable=for_enable)
    except InvalidOptions as error:
        context["errors"] = error.errors
    except (FormatUnavailable, SpecError, services.ServiceError, PodmanError) as error:
        context["problem"] = str(error)
    return context


async def preview(request, scope, kind, name):
    check_scope(scope)
    _target(kind)
    context = await _preview_context(scopes.get_scope(scope), kind, name, _form(request.GET))
    return await arender(request, "services/_preview.html", context)


@require_POST
@operator_required("service-enable")
async def enable(request, scope, kind, name):
    check_scope(scope)
    _target(kind)
    scope_obj = scopes.get_scope(scope)
    user = await request.auser()
    # for_enable: the shadow's removal overlaps the enabling, which awaits it.
    context = await _preview_context(scope_obj, kind, name, _form(request.POST), for_enable=True)
    found = context.get("preview")
    if found is None:
        await audit.arecord(user, "service-enable", scope=scope, target=f"{kind}/{name}", result="refused",
                            detail=context.get("problem") or str(context.get("errors")))
        return await arender(request, "services/_preview.html", context)
    # The outcome's badge then follows the unit live, from the watcher's version
    # before anything changed: no state change in between is missed.
    watch = await watch_for(scope_obj, wait=False)
    accept = request.POST.get("accept_differences") == "yes"
    try:
        outcome = await services.enable_preview(scope_obj, found, confirmed=request.POST.get("confirm") == "yes",
                                                accept_differences=accept,
                                                keep_previous=request.POST.get("keep_previous") == "yes")
    except services.DifferencesNotConfirmed as error:
        await audit.arecord(user, "service-enable", scope=scope, target=f"{kind}/{name}", result="refused",
                            detail=str(error))
        context["must_accept_differences"] = True
        return await arender(request, "services/_preview.html", context)
    except install.NeedsConfirmation as error:
        await audit.arecord(user, "service-enable", scope=scope, target=f"{kind}/{name}", result="refused",
                            detail=str(error))
        context["must_confirm"] = True
        return await arender(request, "services/_preview.html", context)
    except (SystemdError, OSError, services.ServiceError, PodmanError) as error:
        await audit.arecord(user, "service-enable", scope=scope, target=f"{kind}/{name}", result="failed",
                            detail=str(error))
        context["problem"] = f"Could not enable: {error}"
        return await arender(request, "services/_preview.html", context)
    verification = found.verification.summary if found.verification else "not verified"
    accepted = " Differences accepted by the user." if accept and found.differs else ""
    await audit.arecord(user, "service-enable", scope=scope, target=f"{kind}/{name}",
                        result="ok" if outcome.ok else "failed",
                        detail=f"{found.units.format} {outcome.service}: {outcome.state}. {outcome.message} "
                               f"Verification: {verification}.{accepted}")
    live_url = f"/ws/services/{scope}/state/?name={quote(outcome.service)}&since={watch.version}"
    return await arender(request, "services/_outcome.html", {"scope": scope, "outcome": outcome,
                                                              "format": found.units.format, "live_url": live_url})


async def service_list(request, scope):
    check_scope(scope)
    scope_obj = scopes.get_scope(scope)
    made = services.podhouse_services(scope_obj)
    watch = await watch_for(scope_obj)
    rows = {row.name: row for row in watch.snapshot()}
    items = [{"made": m, "row": rows.get(m.service), "kind": m.source.partition(" ")[0],
              "target": m.source.partition(" ")[2]} for m in made.values()]
    return await arender(request, "services/list.html", {"scope": scope, "items": items,
                                                         "can_operate": await operate_flag(request)})


def _service_action(action: str, run):
    @require_POST
    @operator_required(f"service-{action}")
    async def view(request, scope, service):
        check_scope(scope)
        user = await request.auser()
        try:
            outcome = await run(scopes.get_scope(scope), service)
        except (services.ServiceError, SystemdError, install.NotOurs) as error:
            await audit.arecord(user, f"service-{action}", scope=scope, target=service, result="failed",
                                detail=str(error))
            return HttpResponse(f'<div class="service-result error" role="alert">{escape(str(error))}</div>')
        await audit.arecord(user, f"service-{action}", scope=scope, target=service, detail=outcome.message)
        return await arender(request, "services/_outcome.html", {"scope": scope, "outcome": outcome,
                                                                  "action": action})

    view.__name__ = f"service_{action}"
    return view


urlpatterns = [
    path("", service_list, name="services"),
    path("<str:kind>/<str:name>/dialog/", dialog, name="service-dialog"),
    path("<str:kind>/<str:name>/preview/", preview, name="service-preview"),
    path("<str:kind>/<str:name>/enable/", enable, name="service-enable"),
    path("unit/<str:service>/disable/", _service_action("disable", services.disable), name="service-disable"),
    path("unit/<str:service>/remove/", _service_action("remove", services.remove), name="service-remove"),
]
