"""Updates: the containers that ask to be kept current (Podman's auto-update label; a
live list), Check and Update now (followed live over a websocket), and the history of updates
with a Roll back for each that worked."""
from __future__ import annotations

import secrets

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from dashboard.flows import update_schedule, updates
from dashboard.host import scopes
from dashboard.models import UpdateRecord
from dashboard.permissions import operator_required
from dashboard.host.podman_clients import client_for
from dashboard.host.systemd import SystemdError
from dashboard.live.lists import LISTS, remember_page, render_rows
from dashboard.live.podman_rows import container_row
from dashboard.live.podman_watch import ensure_watching
from dashboard.views.actions import audited, operate_flag, podman_failure
from dashboard.views.bad_input import bad_input
from dashboard.views.rendering import arender
from engine import autoupdate
from engine.podman import PodmanError
from engine.units import install, schedule

HISTORY = 50


async def _history(scope: scopes.Scope) -> list[UpdateRecord]:
    return [r async for r in UpdateRecord.objects.filter(scope=scope.name)[:HISTORY]]


async def _tables_context(request, scope: scopes.Scope) -> dict:
    # The containers kept current are a live list (dashboard.live.lists) on the
    # containers' watcher: its position is taken before podman is read.
    position = ensure_watching(scope.name).position()
    containers = await client_for(scope.name).list_containers(all=True)
    labelled = sorted((row for row in map(container_row, containers) if row["update"] and not row["is_infra"]),
                      key=lambda row: row["name"])
    rows = [row for row in labelled if not row["update"]["problem"]]
    cannot = [row for row in labelled if row["update"]["problem"]]
    can_act = await operate_flag(request)
    context = {"scope": scope, "user_can_operate": can_act, "no_unit": autoupdate.NO_UNIT}
    return {"scope": scope, "no_unit": autoupdate.NO_UNIT, "position": position,
            "rows": render_rows(LISTS["updates"], rows, context), "page": remember_page(row["id"] for row in rows),
            "cannot_rows": render_rows(LISTS["updates-cannot"], cannot, context),
            "cannot_page": remember_page(row["id"] for row in cannot),
            "history": await _history(scope), "can_operate": can_act, "updated": autoupdate.UPDATED}


async def updates_page(request, scope):
    try:
        context = await _tables_context(request, scope)
    except PodmanError as error:
        return await podman_failure(request, error, scope, "containers")
    context["schedule"] = await _schedule_context(request, scope)
    return await arender(request, "updates/page.html", context)


# -- automatic updates: the timer ----------------------------------------------------

async def _schedule_context(request, scope: scopes.Scope, state=None, form=None, **extra) -> dict:
    state = state or await update_schedule.read_state(scope)
    if form is None:
        wanted = state.schedule
        form = {"on_calendar": wanted.on_calendar, "randomized_delay": wanted.randomized_delay,
                "insecure": not wanted.tls_verify}
    return {"scope": scope, "state": state, "form": form, "can_operate": await operate_flag(request),
            "timer": schedule.TIMER, "service": schedule.SERVICE, "errors": {}, **extra}


def _schedule_answer(context: dict) -> HttpResponse:
    return HttpResponse(render_to_string("updates/_schedule.html", context))


@require_POST
@operator_required("autoupdate-schedule")
async def schedule_save(request, scope):
    wanted, errors = schedule.read_schedule(request.POST)
    form = {"on_calendar": request.POST.get("on_calendar", ""), "insecure": request.POST.get("insecure") == "1",
            "randomized_delay": request.POST.get("randomized_delay", "")}
    if errors:
        return bad_input(request, _schedule_answer(await _schedule_context(request, scope, form=form, errors={
            field: [message] for field, message in errors.items()})), errors)
    try:
        async with audited(request, "autoupdate-schedule", scope, target=schedule.TIMER,
                           bad_input=(schedule.CalendarError, install.NeedsConfirmation)) as entry:
            state = await update_schedule.turn_on(scope, wanted, confirmed=request.POST.get("confirmed") == "1")
            entry.detail = f"OnCalendar={wanted.on_calendar} RandomizedDelaySec={wanted.randomized_delay}"
    except schedule.CalendarError as error:  # checked before anything is written
        return bad_input(request, _schedule_answer(await _schedule_context(request, scope, form=form, errors={
            "on_calendar": [f"systemd cannot read it: {error}"]})), ["on_calendar"])
    except install.NeedsConfirmation as refusal:
        return _schedule_answer(await _schedule_context(request, scope, form=form,
                                                        needs_confirmation=refusal.planned))
    except (schedule.ScheduleError, SystemdError, OSError) as error:
        return _schedule_answer(await _schedule_context(request, scope, form=form, error=str(error)))
    return _schedule_answer(await _schedule_context(request, scope, state=state, message=(
        f"Automatic updates are on: {wanted.on_calendar}.")))


def _schedule_action(action: str, target: str, call, refusals: tuple, answer):
    """A POST that acts on the timer through `call(scope)`, answered with the section
    again; `answer(result)` gives its context: the outcome in words ("message") and
    the state when the call read it already.  Audited either way."""
    @require_POST
    @operator_required(action)
    async def view(request, scope):
        try:
            async with audited(request, action, scope, target=target, refused=refusals) as entry:
                extra = answer(await call(scope))
                entry.detail = extra["message"]
        except refusals as error:
            return _schedule_answer(await _schedule_context(request, scope, error=str(error)))
        return _schedule_answer(await _schedule_context(request, scope, **extra))

    view.__name__ = action.replace("-", "_")
    return view


schedule_off = _schedule_action("autoupdate-schedule-off", schedule.TIMER, update_schedule.turn_off,
                                (install.NotOurs, SystemdError, OSError),
                                lambda state: {"state": state, "message": "Automatic updates are off."})
schedule_run = _schedule_action("autoupdate-schedule-run", schedule.SERVICE, update_schedule.run_now,
                                (SystemdError,), lambda message: {"message": message})


async def schedule_preview(request, scope):
    """When a calendar expression next elapses, in systemd's words (as it is typed)."""
    calendar = schedule.calendar_text(request.GET.get("on_calendar"))
    if not calendar:
        return HttpResponse("")
    try:
        text = f"next: {await update_schedule.next_elapse(calendar)}"
    except schedule.ScheduleError as error:
        return HttpResponse(format_html('<span class="error" data-valid="0">{}</span>', str(error)))
    return HttpResponse(format_html('<span data-valid="1">{}</span>', text))


async def updates_tables(request, scope):
    """The tables alone, re-read when a job ended."""
    try:
        context = await _tables_context(request, scope)
    except PodmanError as error:
        return HttpResponse(f"Podman: {error}", status=502, content_type="text/plain")
    return await arender(request, "updates/_tables.html", context)


def _job_view(mode: str):
    @require_POST
    @operator_required(f"autoupdate-{mode}")
    async def view(request, scope):
        only = request.POST.get("container", "")
        try:
            async with audited(request, f"autoupdate-{mode}", scope, target=only or "all") as entry:
                found = [c for c in await updates.read_candidates(scope.name) if c.can_update]
                entry.handed_over()  # the job audits each container it updates
        except PodmanError as error:
            return HttpResponse(f"Podman: {error}", status=502, content_type="text/plain")
        chosen = [c for c in found if not only or only in (c.id, c.name)]
        if not chosen:
            message = f"{only} does not take part in updates." if only else "No container can be updated."
            return HttpResponse(format_html('<p class="error" role="alert">{}</p>', message))
        job = secrets.token_hex(8)
        updates.start(job, mode, scope, chosen, await request.auser(),
                      tls_verify=request.POST.get("insecure") != "1")
        return HttpResponse(render_to_string("updates/_progress.html", {
            "job": job, "mode": mode, "scope": scope, "containers": chosen}))

    view.__name__ = f"updates_{mode}"
    return view


@require_POST
@operator_required("autoupdate-rollback")
async def roll_back(request, scope, record_id):
    try:
        async with audited(request, "autoupdate-rollback", scope, target=str(record_id),
                           refused=(updates.UpdateError, PodmanError)) as entry:
            outcome = await updates.roll_back(scope, record_id, await request.auser())
            entry.target, entry.detail = outcome.container, outcome.message
            entry.result = "ok" if outcome.result == autoupdate.ROLLED_BACK else "failed"
    except (updates.UpdateError, PodmanError) as error:
        return HttpResponse(render_to_string("updates/_rollback.html", {"error": str(error), "scope": scope}))
    return HttpResponse(render_to_string("updates/_rollback.html", {"outcome": outcome, "scope": scope}))


urlpatterns = [
    path("", updates_page, name="updates"),
    path("tables/", updates_tables, name="updates-tables"),
    path("check/", _job_view(updates.CHECK), name="updates-check"),
    path("update/", _job_view(updates.UPDATE), name="updates-update"),
    path("history/<int:record_id>/rollback/", roll_back, name="updates-rollback"),
    path("schedule/", schedule_save, name="updates-schedule"),
    path("schedule/off/", schedule_off, name="updates-schedule-off"),
    path("schedule/run/", schedule_run, name="updates-schedule-run"),
    path("schedule/preview/", schedule_preview, name="updates-schedule-preview"),
]
