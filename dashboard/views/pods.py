"""Pods: the list with members and infra container, create, lifecycle, detail."""
from __future__ import annotations

import json

from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from dashboard.permissions import operator_required
from dashboard.host.podman_clients import client_for
from dashboard.live.lists import LISTS, remember_page, render_rows
from dashboard.live.podman_rows import pod_row
from dashboard.live.podman_watch import ensure_watching
from dashboard.views.rendering import arender
from dashboard.views.actions import audited, lifecycle_action, operate_flag, podman_failure
from engine.podman import Pod, PodmanError
from engine.podman.container_spec import InvalidSettings, pod_spec

POD_ACTIONS = ("start", "stop", "restart", "remove")


def render_pod_rows(pods: list[Pod], scope: str, can_act: bool) -> str:
    """Rows drawn by the live list's own template (pods/_rows.html)."""
    rows = sorted(map(pod_row, pods), key=LISTS["pods"].sort_key)
    return render_rows(LISTS["pods"], rows, {"scope": scope, "user_can_operate": can_act})


async def pod_list(request, scope, form=None, errors=None, podman_error="", status=200):
    position = ensure_watching(scope.name).position()  # before podman is read
    try:
        pods = await client_for(scope.name).list_pods()
    except PodmanError as error:
        return await podman_failure(request, error, scope, "pods")
    can_act = await operate_flag(request)
    return await arender(request, "pods/list.html", {
        "scope": scope, "rows": render_pod_rows(pods, scope.name, can_act), "count": len(pods),
        "form": form or {}, "errors": errors or {}, "podman_error": podman_error,
        "position": position, "page": remember_page(p.id for p in pods)}, status=status)


async def pods_page(request, scope):
    if request.method == "POST":
        return await pod_create(request, scope)
    return await pod_list(request, scope)


@operator_required("pod-create")
async def pod_create(request, scope):
    form = {k: request.POST.get(k, "") for k in ("name", "ports", "labels")}
    try:
        spec = pod_spec(**form)
    except InvalidSettings as invalid:
        return await pod_list(request, scope, form, invalid.errors, status=400)
    try:
        async with audited(request, "pod-create", scope, target=form["name"]):
            await client_for(scope.name).create_pod(spec)
    except PodmanError as error:
        return await pod_list(request, scope, form, podman_error=str(error), status=400)
    return redirect("pod-detail", scope=scope, name=form["name"])


async def pod_detail(request, scope, name):
    client = client_for(scope.name)
    try:
        record = await client.inspect_pod(name)
    except PodmanError as error:
        return await podman_failure(request, error, scope, f"pod {name}")
    listed = await client.list_pods(filters={"id": [record["Id"]]})
    members = await client.list_containers(all=True, filters={"pod": [record["Id"]]})
    return await arender(request, "pods/detail.html", {
        "scope": scope, "record": record, "p": listed[0] if listed else None, "name": record.get("Name", name),
        "pod": {"name": record.get("Name", name), "id": record["Id"]},
        "members": sorted(members, key=lambda c: (not c.is_infra, c.name)),
        "raw_json": json.dumps(record, indent=2, sort_keys=True)})


@require_POST
@operator_required("pod-action")
async def pod_action(request, scope, name, verb):
    client = client_for(scope.name) if verb in POD_ACTIONS else None

    async def call():
        if verb == "remove":
            await client.remove_pod(name, force=request.POST.get("force") == "1")
        else:
            await getattr(client, f"{verb}_pod")(name)

    async def row():
        listed = await client.list_pods(filters={"name": [f"^{name}$"]})
        return render_pod_rows(listed[:1], scope.name, True)

    return await lifecycle_action(request, scope, name, verb, "pod", POD_ACTIONS, call, row)


urlpatterns = [
    path("", pods_page, name="pods"),
    path("<str:name>/", pod_detail, name="pod-detail"),
    path("<str:name>/<str:verb>/", pod_action, name="pod-action"),
]
