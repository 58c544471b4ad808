"""Containers: the list (filters, live rows), the detail page, create, edit
(recreate keeping name and volumes), rename and the lifecycle actions.

Pods and images reuse the page plumbing defined here (podman_failure, ...)."""
from __future__ import annotations

import json
import time

from asgiref.sync import sync_to_async
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from dashboard import audit
from dashboard.host import scopes
from dashboard.permissions import can_operate, operator_required
from dashboard.host.podman_clients import client_for
from dashboard.live.podman_watch import live_socket_url
from dashboard.views.container_rows import render_container_row, render_container_rows
from dashboard.views.rendering import arender
from engine.podman import Conflict, Container, EngineUnavailable, NotFound, PodmanError
from engine.podman.container_spec import (DEFAULT_LOG_DRIVER, LOG_DRIVERS, RESTART_POLICIES, SDNOTIFY_MODES,
                                          SYSTEMD_MODES, ContainerSettings, InvalidSettings,
                                          settings_from_inspect, validate)
from engine.podman.models import unit_of_inspect

CONTAINER_STATES = ("created", "running", "paused", "exited", "stopped")
ACTIONS = ("start", "stop", "restart", "kill", "pause", "unpause", "remove")


async def operate_flag(request) -> bool:
    user = await request.auser()
    return await sync_to_async(can_operate)(user)


def check_scope(scope: str) -> None:
    try:
        scopes.get_scope(scope)
    except scopes.UnknownScope as error:
        raise Http404(str(error)) from None


async def podman_failure(request, error: PodmanError, scope: str, what: str) -> HttpResponse:
    """The page shown when podman cannot answer a read."""
    status = 404 if isinstance(error, NotFound) else 503 if isinstance(error, EngineUnavailable) else 502
    return await arender(request, "containers/unavailable.html",
                         {"scope": scope, "what": what, "error": error}, status=status)


# -- filters and rows ----------------------------------------------------------------

def container_filters(params) -> dict[str, str]:
    return {"q": (params.get("q") or "").strip(), "state": params.get("state") or "",
            "pod": (params.get("pod") or "").strip()}


def container_matches(container: Container, filters: dict) -> bool:
    """The list's filters: text (name, image, id, unit), state, pod.  Infra containers
    belong to the pods page."""
    if container.is_infra:
        return False
    state = filters.get("state")
    if state and not (container.state == state or (state == "stopped" and container.state in ("exited", "stopped"))):
        return False
    pod = filters.get("pod")
    if pod and pod not in (container.pod_name, container.pod_id) and not (pod == "-" and not container.pod_id):
        return False
    text = (filters.get("q") or "").lower()
    if text and not any(text in value.lower() for value in
                        (container.name, container.image, container.id, container.systemd_unit)):
        return False
    return True


def sort_containers(containers: list[Container]) -> list[Container]:
    return sorted(containers, key=lambda c: c.name)


# -- pages ----------------------------------------------------------------------------

async def container_list(request, scope):
    check_scope(scope)
    filters = container_filters(request.GET)
    ws_url = live_socket_url(scope, "containers", request.GET.urlencode())
    started = time.perf_counter()
    try:
        containers = await client_for(scope).list_containers(all=True)
    except PodmanError as error:
        return await podman_failure(request, error, scope, "containers")
    podman_ms = (time.perf_counter() - started) * 1000
    shown = sort_containers([c for c in containers if container_matches(c, filters)])
    can_act = await operate_flag(request)
    started = time.perf_counter()
    rows = render_container_rows(shown, scope, can_act)
    pods = sorted({c.pod_name for c in containers if c.pod_name})
    # the two timings are in the page for bench/bench_containers_list.py
    context = {"scope": scope, "filters": filters, "states": CONTAINER_STATES, "pods": pods,
               "rows": rows, "count": len(shown), "total": sum(1 for c in containers if not c.is_infra),
               "ws_url": ws_url,
               "podman_ms": podman_ms, "rows_ms": (time.perf_counter() - started) * 1000}
    template = "containers/_table.html" if request.headers.get("HX-Request") else "containers/list.html"
    return await arender(request, template, context)


async def container_detail(request, scope, name):
    check_scope(scope)
    client = client_for(scope)
    try:
        record = await client.inspect_container(name)
    except PodmanError as error:
        return await podman_failure(request, error, scope, f"container {name}")
    container = Container.from_inspect(record, await client.pod_of(record))
    config = record.get("Config") or {}
    env = sorted((entry.partition("=")[0], entry.partition("=")[2]) for entry in config.get("Env") or [])
    context = {"scope": scope, "record": record, "c": container, "name": record.get("Name", name),
               "container": {"name": record.get("Name", name), "id": record.get("Id")},
               "unit": unit_of_inspect(record), "env": env,
               "labels": sorted((config.get("Labels") or {}).items()),
               "mounts": record.get("Mounts") or [],
               "raw_json": json.dumps(record, indent=2, sort_keys=True),
               "ws_url": f"/ws/podman/{scope}/containers/?id={record.get('Id')}"}
    return await arender(request, "containers/detail.html", context)


async def _form_choices(scope: str) -> dict:
    """Local images, networks, named volumes and pods for the form's choices."""
    client = client_for(scope)
    choices = {"images": [], "networks": [], "volumes": [], "pods": []}
    try:
        choices["images"] = sorted({n for i in await client.list_images() for n in i.names})
        choices["networks"] = sorted(n.get("name") or n.get("Name", "") for n in await client.list_networks())
        choices["volumes"] = sorted(v.get("Name", "") for v in await client.list_volumes())
        choices["pods"] = sorted(p.name for p in await client.list_pods())
    except PodmanError:
        pass  # the form still works; podman's own error shows on submit
    return choices


def _form_context(scope, settings, errors=None, podman_error="", edit_of=None, choices=None) -> dict:
    return {"scope": scope, "s": settings, "errors": errors or {}, "podman_error": podman_error,
            "restart_policies": RESTART_POLICIES, "log_drivers": LOG_DRIVERS, "systemd_modes": SYSTEMD_MODES,
            "sdnotify_modes": SDNOTIFY_MODES, "default_log_driver": DEFAULT_LOG_DRIVER, "edit_of": edit_of,
            **(choices or {})}


async def create_form(request, scope):
    check_scope(scope)
    settings = ContainerSettings(pod=request.GET.get("pod", ""), image=request.GET.get("image", ""))
    return await arender(request, "containers/form.html",
                         _form_context(scope, settings, choices=await _form_choices(scope)))


@operator_required("container-create")
async def create_submit(request, scope):
    check_scope(scope)
    user = await request.auser()
    settings = ContainerSettings.from_mapping(request.POST)
    if "start" not in request.POST:
        settings.start = False
    try:
        spec = validate(settings)
    except InvalidSettings as invalid:
        return await arender(request, "containers/form.html",
                             _form_context(scope, settings, invalid.errors, choices=await _form_choices(scope)),
                             status=400)
    client = client_for(scope)
    target = settings.name or settings.image
    try:
        container_id = await client.create_container(spec)
    except PodmanError as error:
        await audit.arecord(user, "container-create", scope=scope, target=target, result="failed", detail=str(error))
        return await arender(request, "containers/form.html",
                             _form_context(scope, settings, podman_error=str(error),
                                           choices=await _form_choices(scope)), status=400)
    detail = "created"
    if settings.start:
        try:
            await client.start_container(container_id)
            detail = "created and started"
        except PodmanError as error:
            detail = f"created; start failed: {error}"
    await audit.arecord(user, "container-create", scope=scope, target=settings.name or container_id[:12],
                        result="ok", detail=detail)
    record = await client.inspect_container(container_id)
    return redirect("container-detail", scope=scope, name=record.get("Name") or container_id)


async def edit_form(request, scope, name):
    check_scope(scope)
    client = client_for(scope)
    try:
        record = await client.inspect_container(name)
        image = await client.inspect_image(record.get("Image") or record["Config"]["Image"])
    except PodmanError as error:
        return await podman_failure(request, error, scope, f"container {name}")
    settings = settings_from_inspect(record, image.get("Config"))
    return await arender(request, "containers/form.html",
                         _form_context(scope, settings, edit_of=record.get("Name"), choices=await _form_choices(scope)))


@operator_required("container-edit")
async def edit_submit(request, scope, name):
    """Recreate with changed settings: the new container is created first (under the
    same name, the old one renamed aside), so a refusal by podman loses nothing."""
    check_scope(scope)
    user = await request.auser()
    client = client_for(scope)
    settings = ContainerSettings.from_mapping(request.POST)
    settings.name = name
    if "start" not in request.POST:
        settings.start = False
    choices = await _form_choices(scope)

    async def again(errors=None, podman_error=""):
        return await arender(request, "containers/form.html",
                             _form_context(scope, settings, errors, podman_error, edit_of=name, choices=choices),
                             status=400)

    try:
        spec = validate(settings)
    except InvalidSettings as invalid:
        return await again(invalid.errors)
    if request.POST.get("confirm") != "yes":
        return await again({"confirm": ["Tick the box: the container is removed and created again "
                                        "(its volumes and host folders are kept, with their data; files written outside them are not)."]})
    try:
        old = await client.inspect_container(name)
    except PodmanError as error:
        return await again(podman_error=str(error))
    aside = f"{name}-replaced-{int(time.time())}"
    try:
        await client.rename_container(old["Id"], aside)
        try:
            new_id = await client.create_container(spec)
        except PodmanError:
            await client.rename_container(old["Id"], name)
            raise
        if (old.get("State") or {}).get("Running"):
            await client.stop_container(old["Id"])
        await client.remove_container(old["Id"], force=True, volumes=False)
        if settings.start:
            await client.start_container(new_id)
    except PodmanError as error:
        await audit.arecord(user, "container-edit", scope=scope, target=name, result="failed", detail=str(error))
        return await again(podman_error=str(error))
    await audit.arecord(user, "container-edit", scope=scope, target=name, result="ok",
                        detail=f"recreated as {new_id[:12]} (was {old['Id'][:12]})")
    return redirect("container-detail", scope=scope, name=name)


@require_POST
@operator_required("container-rename")
async def rename(request, scope, name):
    check_scope(scope)
    user = await request.auser()
    new_name = (request.POST.get("new_name") or "").strip()
    settings = ContainerSettings(image="localhost/x", name=new_name)
    try:
        validate(settings)
    except InvalidSettings as invalid:
        if "name" in invalid.errors or not new_name:
            message = "A new name is required." if not new_name else invalid.errors["name"][0]
            return HttpResponseBadRequest(message, content_type="text/plain")
    try:
        await client_for(scope).rename_container(name, new_name)
    except PodmanError as error:
        await audit.arecord(user, "container-rename", scope=scope, target=name, result="failed", detail=str(error))
        return HttpResponse(rename_refusal_words(error, name, new_name), content_type="text/plain",
                            status=error.status if error.status in (400, 404, 409) else 502)
    await audit.arecord(user, "container-rename", scope=scope, target=name, result="ok", detail=f"-> {new_name}")
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("container-detail", kwargs={"scope": scope, "name": new_name})
    return response


def rename_refusal_words(error: PodmanError, name: str, new_name: str) -> str:
    """Podman's refusal of a rename in words (its own message repeats the full id twice)."""
    if isinstance(error, Conflict):
        return f"Nothing was renamed: the name {new_name} is already taken by another container or pod."
    if isinstance(error, NotFound):
        return f"Nothing was renamed: container {name} does not exist (any more)."
    return f"Podman could not rename {name} to {new_name}: {error}"


def podman_refusal(error: PodmanError) -> HttpResponse:
    """Podman's own message, with its status when it is the caller's doing (htmx shows
    it in the page's banner)."""
    return HttpResponse(str(error), status=error.status if error.status in (400, 404, 409) else 502,
                        content_type="text/plain")


def go_next(request) -> HttpResponse | None:
    """When the page asked to go somewhere after the action (a detail page), tell htmx."""
    target = request.POST.get("next")
    if not target:
        return None
    response = HttpResponse(status=204)
    response["HX-Redirect"] = target if target.startswith("/") else "/"
    return response


async def lifecycle_action(request, scope, name, verb, kind, verbs, client_call, render_row):
    """start/stop/...: call podman, audit, and answer the changed row (nothing when
    removed), podman's refusal, or a redirect when the page asked for one."""
    check_scope(scope)
    if verb not in verbs:
        raise Http404(f"no action {verb}")
    user = await request.auser()
    try:
        await client_call()
    except PodmanError as error:
        await audit.arecord(user, f"{kind}-{verb}", scope=scope, target=name, result="failed", detail=str(error))
        return podman_refusal(error)
    await audit.arecord(user, f"{kind}-{verb}", scope=scope, target=name, result="ok")
    redirect_response = go_next(request)
    if redirect_response is not None:
        return redirect_response
    if verb == "remove":
        return HttpResponse("")
    return HttpResponse(await render_row())


@require_POST
@operator_required("container-action")
async def action(request, scope, name, verb):
    client = client_for(scope) if verb in ACTIONS else None

    async def call():
        if verb == "remove":
            await client.remove_container(name, force=request.POST.get("force") == "1")
        else:
            await getattr(client, f"{verb}_container")(name)

    async def row():
        try:
            return render_container_row(await client.container(name), scope, True)
        except NotFound:
            return ""

    return await lifecycle_action(request, scope, name, verb, "container", ACTIONS, call, row)


def _post_only(get_view, post_view):
    async def view(request, *args, **kwargs):
        if request.method == "POST":
            return await post_view(request, *args, **kwargs)
        return await get_view(request, *args, **kwargs)

    view.__name__ = get_view.__name__
    return view


urlpatterns = [
    path("", container_list, name="containers"),
    # "-" can start no container name, so a container called "new" keeps its detail page
    path("-/new/", _post_only(create_form, create_submit), name="container-create"),
    path("<str:name>/", container_detail, name="container-detail"),
    path("<str:name>/edit/", _post_only(edit_form, edit_submit), name="container-edit"),
    path("<str:name>/rename/", rename, name="container-rename"),
    path("<str:name>/<str:verb>/", action, name="container-action"),
]
