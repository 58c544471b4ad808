"""Containers: the list (filters, live rows), the detail page, create, edit
(recreate keeping name and volumes), rename and the lifecycle actions."""
from __future__ import annotations

import asyncio
import functools
import json
import time

from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from dashboard.host.scopes import Scope
from dashboard.permissions import operator_required
from dashboard.host.podman_clients import client_for
from dashboard.live.lists import LISTS, remember_page, render_rows
from dashboard.live.podman_rows import container_filters, container_matches, container_row
from dashboard.live.podman_watch import ensure_watching
from dashboard.live.row_urls import list_urls
from dashboard.viewer_masking import mask_inspect
from dashboard.views.actions import audited, lifecycle_action, operate_flag, podman_failure
from dashboard.views.rendering import arender
from engine.podman import Conflict, Container, NotFound, PodmanError
from engine.podman.container_spec import (DEFAULT_LOG_DRIVER, LOG_DRIVERS, RESTART_POLICIES, SDNOTIFY_MODES,
                                          SYSTEMD_MODES, ContainerSettings, InvalidSettings,
                                          settings_from_inspect, validate)
from engine.podman.models import unit_of_inspect

CONTAINER_STATES = ("created", "running", "paused", "exited", "stopped")
ACTIONS = ("start", "stop", "restart", "kill", "pause", "unpause", "remove")


# -- rows ------------------------------------------------------------------------------

def sort_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["name"])


def render_container_rows(rows: list[dict], scope: str, can_act: bool) -> str:
    """Rows drawn by the live list's own template (templates/rows/containers.html)."""
    return render_rows(LISTS["containers"], rows, {"scope": scope, "urls": list_urls(scope),
                                                   "user_can_operate": can_act})


# -- pages ----------------------------------------------------------------------------

async def container_list(request, scope):
    filters = container_filters(request.GET)
    watch = ensure_watching(scope.name)
    started = time.perf_counter()
    held = await watch.every_container()  # the watcher's rows, when it vouches for them
    if held is not None:
        position, every = held
    else:
        # Where the page stands in the watcher's changes, taken before podman is read:
        # what is published after it is what the page may have missed.
        position = watch.position()
        try:
            every = [container_row(c) for c in await client_for(scope.name).list_containers(all=True)]
        except PodmanError as error:
            return await podman_failure(request, error, scope, "containers")
    podman_ms = (time.perf_counter() - started) * 1000
    can_act = await operate_flag(request)
    shown = sort_rows([row for row in every if container_matches(row, filters)])
    pods = sorted({row["pod_name"] for row in every if row["pod_name"]})
    # the timings and the rows' source are in the page for the benches under bench/
    context = {"scope": scope, "filters": filters, "states": CONTAINER_STATES, "pods": pods,
               "count": len(shown), "total": sum(1 for row in every if not row["is_infra"]),
               "position": position, "page": remember_page(row["id"] for row in shown),
               "source": "watcher" if held is not None else "podman", "podman_ms": podman_ms}
    draw = functools.partial(render_container_rows, scope=scope.name, can_act=can_act)
    if request.headers.get("HX-Request"):  # the filters: the table alone
        started = time.perf_counter()
        rows = draw(shown)
        return await arender(request, "containers/_table.html",
                             {**context, "rows": rows, "rows_ms": f"{(time.perf_counter() - started) * 1000:.2f}"})
    return await _rows_streamed(request, "containers/list.html", context, shown, draw)


# Stand-ins for what the streamed page fills in after its first part has gone out.
_ROWS_HERE, _ROWS_MS_HERE = "\x00rows\x00", "\x00rows-ms\x00"
# Rows drawn at a time (3-15 ms here) before the event loop may answer others: a
# request for a static file needs a few turns of the loop from its connection on.
ROWS_PER_PART = 60


async def _rows_streamed(request, template: str, context: dict, rows: list[dict], draw) -> StreamingHttpResponse:
    """The page up to its rows is sent at once, then the rows ROWS_PER_PART at a
    time, then the rest: the browser fetches the stylesheet and scripts while the
    server draws up to 3,000 rows (P8 of issue #12), and between two parts the event
    loop answers those requests.  Everything else of the page, cookies and messages
    included, is rendered before the first byte leaves."""
    whole = await arender(request, template, {**context, "rows": mark_safe(_ROWS_HERE), "rows_ms": _ROWS_MS_HERE})
    before, _, after = whole.content.decode().partition(_ROWS_HERE)

    async def parts():
        yield before
        drawing = 0.0
        for start in range(0, len(rows), ROWS_PER_PART):
            await asyncio.sleep(0)
            started = time.perf_counter()
            part = draw(rows[start:start + ROWS_PER_PART])
            drawing += time.perf_counter() - started
            yield part
        yield after.replace(_ROWS_MS_HERE, f"{drawing * 1000:.2f}")

    return StreamingHttpResponse(parts(), status=whole.status_code, content_type=whole["Content-Type"])


async def container_detail(request, scope, name):
    client = client_for(scope.name)
    try:
        record = await client.inspect_container(name)
    except PodmanError as error:
        return await podman_failure(request, error, scope, f"container {name}")
    container = Container.from_inspect(record, await client.pod_of(record))
    can_act = await operate_flag(request)
    if not can_act:
        record = mask_inspect(record)  # env values are for operators (README: Who may see what)
    config = record.get("Config") or {}
    env = sorted((entry.partition("=")[0], entry.partition("=")[2]) for entry in config.get("Env") or [])
    context = {"scope": scope, "record": record, "c": container, "name": record.get("Name", name),
               "container": {"name": record.get("Name", name), "id": record.get("Id")},
               "unit": unit_of_inspect(record), "env": env, "env_hidden": not can_act,
               "labels": sorted((config.get("Labels") or {}).items()),
               "mounts": record.get("Mounts") or [],
               "raw_json": json.dumps(record, indent=2, sort_keys=True)}
    return await arender(request, "containers/detail.html", context)


async def _form_choices(scope: Scope) -> dict:
    """Local images, networks, named volumes and pods for the form's choices."""
    client = client_for(scope.name)
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
    settings = ContainerSettings(pod=request.GET.get("pod", ""), image=request.GET.get("image", ""))
    return await arender(request, "containers/form.html",
                         _form_context(scope, settings, choices=await _form_choices(scope)))


@operator_required("container-create")
async def create_submit(request, scope):
    settings = ContainerSettings.from_mapping(request.POST)
    if "start" not in request.POST:
        settings.start = False
    try:
        spec = validate(settings)
    except InvalidSettings as invalid:
        return await arender(request, "containers/form.html",
                             _form_context(scope, settings, invalid.errors, choices=await _form_choices(scope)),
                             status=400)
    client = client_for(scope.name)
    try:
        async with audited(request, "container-create", scope, target=settings.name or settings.image) as entry:
            container_id = await client.create_container(spec)
            entry.target, entry.detail = settings.name or container_id[:12], "created"
            if settings.start:
                try:
                    await client.start_container(container_id)
                    entry.detail = "created and started"
                except PodmanError as error:
                    entry.detail = f"created; start failed: {error}"
    except PodmanError as error:
        return await arender(request, "containers/form.html",
                             _form_context(scope, settings, podman_error=str(error),
                                           choices=await _form_choices(scope)), status=400)
    record = await client.inspect_container(container_id)
    return redirect("container-detail", scope=scope, name=record.get("Name") or container_id)


@operator_required("container-edit")
async def edit_form(request, scope, name):
    """The form shows the container's environment: for operators only (a viewer could
    not submit it anyway)."""
    client = client_for(scope.name)
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
    client = client_for(scope.name)
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
        async with audited(request, "container-edit", scope, target=name) as entry:
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
            entry.detail = f"recreated as {new_id[:12]} (was {old['Id'][:12]})"
    except PodmanError as error:
        return await again(podman_error=str(error))
    return redirect("container-detail", scope=scope, name=name)


@require_POST
@operator_required("container-rename")
async def rename(request, scope, name):
    new_name = (request.POST.get("new_name") or "").strip()
    settings = ContainerSettings(image="localhost/x", name=new_name)
    try:
        validate(settings)
    except InvalidSettings as invalid:
        if "name" in invalid.errors or not new_name:
            message = "A new name is required." if not new_name else invalid.errors["name"][0]
            return HttpResponseBadRequest(message, content_type="text/plain")
    try:
        async with audited(request, "container-rename", scope, target=name) as entry:
            await client_for(scope.name).rename_container(name, new_name)
            entry.detail = f"-> {new_name}"
    except PodmanError as error:
        return HttpResponse(rename_refusal_words(error, name, new_name), content_type="text/plain",
                            status=error.status if error.status in (400, 404, 409) else 502)
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


@require_POST
@operator_required("container-action")
async def action(request, scope, name, verb):
    client = client_for(scope.name) if verb in ACTIONS else None

    async def call():
        if verb == "remove":
            await client.remove_container(name, force=request.POST.get("force") == "1")
        else:
            await getattr(client, f"{verb}_container")(name)

    async def row():
        try:
            return render_container_rows([container_row(await client.container(name))], scope.name, True)
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
