"""Run a container or pod as a systemd service: the dialog, its live preview,
"Generate and enable", and the live list of services Podhouse made (disable, remove,
regenerate)."""
from __future__ import annotations

from dataclasses import replace

from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from dashboard.flows import services
from dashboard.host import scopes
from dashboard.permissions import operator_required
from dashboard.host.systemd import SystemdError
from dashboard.live.lists import LISTS, answering_row, remember_page, render_rows, service_dom_id
from dashboard.live.service_rows import service_row, service_rows
from dashboard.live.unit_watch import row_dict, watch_for
from dashboard.socket_urls import socket_url
from dashboard.views.bad_input import bad_input
from dashboard.views.rendering import arender
from dashboard.views.actions import audited, operate_flag
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
    _target(kind)
    made = services.podhouse_services(scope)
    existing = next((m for m in made.values() if m.source == f"{kind} {name}"), None)
    return await arender(request, "services/_dialog.html", {
        "scope": scope, "kind": kind, "name": name, "existing": existing,
        "unit_name": request.GET.get("unit_name") or (existing.service.removesuffix(".service").removesuffix("-pod")
                                                       if existing else name),
        **_choices(scope)})


async def _preview_context(scope: scopes.Scope, kind, name, form, for_enable: bool = False) -> dict:
    context = {"scope": scope.name, "kind": kind, "name": name}
    try:
        context["preview"] = await services.build(scope, kind, name, form, for_enable=for_enable)
    except InvalidOptions as error:
        context["errors"] = error.errors
    except (FormatUnavailable, SpecError, services.ServiceError, PodmanError) as error:
        context["problem"] = str(error)
    return context


async def preview(request, scope, kind, name):
    _target(kind)
    context = await _preview_context(scope, kind, name, _form(request.GET))
    response = await arender(request, "services/_preview.html", context)
    return bad_input(request, response, context["errors"]) if context.get("errors") else response


@require_POST
@operator_required("service-enable")
async def enable(request, scope, kind, name):
    _target(kind)
    # for_enable: the shadow's removal overlaps the enabling, which awaits it.
    context = await _preview_context(scope, kind, name, _form(request.POST), for_enable=True)
    accept = request.POST.get("accept_differences") == "yes"
    accept_unknown = request.POST.get("accept_unknown") == "yes"
    try:
        async with audited(request, "service-enable", scope, target=f"{kind}/{name}",
                           refused=(install.NeedsConfirmation, services.DifferencesNotConfirmed,
                                    services.UnknownFieldsNotConfirmed)) as entry:
            found = context.get("preview")
            if found is None:
                entry.result, entry.detail = "refused", context.get("problem") or "; ".join(
                    f"{field}: {message}" for field, message in context.get("errors", {}).items())
                response = await arender(request, "services/_preview.html", context)
                return bad_input(request, response, context["errors"]) if context.get("errors") else response
            # The outcome's badge then follows the unit live, from the watcher's version
            # before anything changed: no state change in between is missed.
            watch = await watch_for(scope, wait=False)
            outcome = await services.enable_preview(scope, found, confirmed=request.POST.get("confirm") == "yes",
                                                    accept_differences=accept,
                                                    keep_previous=request.POST.get("keep_previous") == "yes",
                                                    accept_unknown=accept_unknown)
            verification = found.verification.summary if found.verification else "not verified"
            accepted = " Differences accepted by the user." if accept and found.differs else ""
            if found.unknown:
                accepted += f" Unknown fields accepted by the user: {'; '.join(found.unknown)}."
            entry.result = "ok" if outcome.ok else "failed"
            entry.detail = (f"{found.units.format} {outcome.service}: {outcome.state}. {outcome.message} "
                            f"Verification: {verification}.{accepted}")
    except (services.DifferencesNotConfirmed, services.UnknownFieldsNotConfirmed):
        # Every confirmation still missing is named at once.
        found = context["preview"]
        context["must_accept_differences"] = found.differs and not accept
        context["must_accept_unknown"] = bool(found.unknown) and not accept_unknown
        return await arender(request, "services/_preview.html", context)
    except install.NeedsConfirmation:
        context["must_confirm"] = True
        return await arender(request, "services/_preview.html", context)
    except (SystemdError, OSError, services.ServiceError, PodmanError) as error:
        context["problem"] = f"Could not enable: {error}"
        return await arender(request, "services/_preview.html", context)
    live_url = socket_url("service-state-socket", scope=scope.name, name=outcome.service, since=watch.version)
    return await arender(request, "services/_outcome.html", {"scope": scope, "outcome": outcome,
                                                              "format": found.units.format, "live_url": live_url})


async def service_list(request, scope):
    """The live list of the services Podhouse made (dashboard.live.lists, its socket
    dashboard.consumers.services.ServicesConsumer)."""
    watch = await watch_for(scope)
    # the rows and the watcher's version together, with no await between
    version = watch.version
    rows = service_rows(scope, {row.name: row_dict(row) for row in watch.snapshot()})
    can_act = await operate_flag(request)
    return await arender(request, "services/list.html", {
        "scope": scope, "version": version, "user_can_operate": can_act,
        "rows": render_rows(LISTS["services"], rows, {"scope": scope, "user_can_operate": can_act}),
        "page": remember_page(row["service"] for row in rows)})


def _service_action(action: str, run):
    @require_POST
    @operator_required(f"service-{action}")
    async def view(request, scope, service):
        # The row is answered whole (its state, its buttons, the outcome in it): read
        # what Podhouse made before a removal takes it away.
        made = services.podhouse_services(scope).get(service)
        try:
            # Remove's answer is the row with its outcome under other ids: the page's
            # socket lets the row go (a Disable's row goes on following the unit).
            async with answering_row(request, applies=action == "remove", dom_id=service_dom_id(service)), \
                    audited(request, f"service-{action}", scope, target=service) as entry:
                outcome = await run(scope, service)
                # Green only when the service ended as the action meant: a stop that killed
                # the container (137) leaves it "failed", which is no success.
                outcome = replace(outcome, ok=outcome.ok and outcome.state != "failed")
                entry.result = "ok" if outcome.ok else "failed"
                entry.detail = f"{outcome.state}. {outcome.message}"
        except (services.ServiceError, SystemdError, install.NotOurs) as error:
            if made is None:
                return HttpResponse(str(error), status=404, content_type="text/plain")
            return await arender(request, "services/_row.html", {
                "scope": scope, "s": service_row(made, None), "user_can_operate": True, "failure": str(error),
                "oob": True})
        # out of band (templates/services/_row.html says why); a removed row under other ids
        row = service_row(made, None)
        return await arender(request, "services/_row.html", {
            "scope": scope, "s": row, "user_can_operate": True, "outcome": outcome, "action": action,
            "oob": action != "remove", "replaces": row["dom_id"] if action == "remove" else ""})

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
