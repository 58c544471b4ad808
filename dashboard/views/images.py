"""Images: list, detail, remove, prune, import a rootfs tarball (upload progress in
the browser) and pull (podman's progress streamed live over a websocket)."""
from __future__ import annotations

import asyncio
import json
import secrets

from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_POST

from dashboard.permissions import operator_required
from dashboard.host.podman_clients import client_for
from dashboard.live.image_pulls import image_pulls
from dashboard.live.lists import LISTS, answering_row, remember_page, render_rows
from dashboard.live.podman_rows import image_row
from dashboard.live.podman_watch import ensure_watching
from dashboard.views.rendering import arender
from dashboard.views.actions import audited, go_next, operate_flag, podman_failure, podman_refusal
from engine.podman import Image, PodmanError
from engine.podman.container_spec import valid_image_reference
from engine.podman.image_archives import DOCKER_ARCHIVE, OCI_ARCHIVE, archive_kind

IMPORT_CHUNK = 1024 * 1024


def render_image_rows(images: list[Image], scope: str, can_act: bool) -> str:
    """Rows drawn by the live list's own template (images/_rows.html)."""
    rows = sorted(map(image_row, images), key=LISTS["images"].sort_key)
    return render_rows(LISTS["images"], rows, {"scope": scope, "user_can_operate": can_act})


async def image_list(request, scope):
    position = ensure_watching(scope.name).position()  # before podman is read
    try:
        images = await client_for(scope.name).list_images()
    except PodmanError as error:
        return await podman_failure(request, error, scope, "images")
    can_act = await operate_flag(request)
    return await arender(request, "images/list.html", {
        "scope": scope, "rows": render_image_rows(images, scope.name, can_act), "count": len(images),
        "position": position, "page": remember_page(i.id for i in images)})


async def image_detail(request, scope, image_id):
    client = client_for(scope.name)
    try:
        record = await client.inspect_image(image_id)
    except PodmanError as error:
        return await podman_failure(request, error, scope, f"image {image_id}")
    users = await client.list_containers(all=True, filters={"ancestor": [record["Id"]]})
    return await arender(request, "images/detail.html", {
        "scope": scope, "record": record, "users": users, "name": (record.get("RepoTags") or [record["Id"][:12]])[0],
        "raw_json": json.dumps(record, indent=2, sort_keys=True)})


@require_POST
@operator_required("image-remove")
async def image_remove(request, scope, image_id):
    try:
        async with answering_row(request), audited(request, "image-remove", scope, target=image_id):
            await client_for(scope.name).remove_image(image_id, force=request.POST.get("force") == "1")
    except PodmanError as error:
        return podman_refusal(error)
    return go_next(request) or HttpResponse("")


@require_POST
@operator_required("image-prune")
async def image_prune(request, scope):
    everything = request.POST.get("all") == "1"
    try:
        async with audited(request, "image-prune", scope) as entry:
            reports = await client_for(scope.name).prune_images(all=everything)
            removed = [r.get("Id", "") for r in reports]
            entry.target, entry.detail = "all unused" if everything else "dangling", f"removed {len(removed)}"
    except PodmanError as error:
        return podman_refusal(error)
    freed = sum(int(r.get("Size") or 0) for r in reports)
    return HttpResponse(render_to_string("images/_prune_result.html", {"removed": removed, "freed": freed}))


@require_POST
@operator_required("image-import")
async def image_import(request, scope):
    """A rootfs tarball uploaded by the browser (its progress bar follows the upload),
    imported with an optional CMD."""
    reference = (request.POST.get("reference") or "").strip()
    command = (request.POST.get("cmd") or "").strip()
    upload = request.FILES.get("tarball")
    problems = []
    if not upload:
        problems.append("Choose a tarball to import.")
    if reference and not valid_image_reference(reference):
        problems.append(f"{reference!r} is not an image reference (e.g. localhost/myroot:latest).")
    if problems:
        return HttpResponseBadRequest(" ".join(problems), content_type="text/plain")
    kind = await asyncio.to_thread(archive_kind, upload)
    if kind in (DOCKER_ARCHIVE, OCI_ARCHIVE):
        words = (f"{upload.name} is an image archive ({kind}, as `podman save` writes), not a root filesystem: "
                 "importing it as one would give a broken image, so nothing was imported. "
                 "Loading image archives is not supported by Podhouse yet (on the host: podman load -i FILE).")
        async with audited(request, "image-import", scope, target=reference or upload.name) as entry:
            entry.result, entry.detail = "refused", f"{kind}: not a root filesystem"
        return HttpResponseBadRequest(words, content_type="text/plain")
    changes = [f"CMD {json.dumps(command.split())}"] if command else []

    def chunks():
        upload.seek(0)
        yield from upload.chunks(IMPORT_CHUNK)

    try:
        async with audited(request, "image-import", scope, target=reference or upload.name) as entry:
            image_id = await client_for(scope.name).import_image(_async_chunks(chunks()), reference=reference,
                                                                 changes=changes)
            entry.detail = f"{image_id[:12]} from {upload.name} ({upload.size} bytes)"
    except PodmanError as error:
        return podman_refusal(error)
    return HttpResponse(render_to_string("images/_import_result.html",
                                         {"image_id": image_id, "reference": reference, "scope": scope}))


async def _async_chunks(chunks):
    iterator = iter(chunks)
    while True:
        chunk = await asyncio.to_thread(next, iterator, None)
        if chunk is None:
            return
        yield chunk


@require_POST
@operator_required("image-pull")
async def image_pull(request, scope):
    """Starts the pull in this server process and answers a progress pane that follows
    it over a websocket (so a slow pull never holds the request)."""
    user = await request.auser()
    reference = (request.POST.get("reference") or "").strip()
    if not reference:
        return HttpResponseBadRequest("Give an image reference to pull.", content_type="text/plain")
    plain = reference.removeprefix("docker://")
    if not valid_image_reference(plain):
        return HttpResponseBadRequest(f"{reference!r} is not an image reference (e.g. docker.io/library/alpine:latest).",
                                      content_type="text/plain")
    job = secrets.token_hex(8)
    image_pulls.start_pull(job, scope.name, plain, user, tls_verify=request.POST.get("insecure") != "1")
    return HttpResponse(render_to_string("images/_pull_progress.html",
                                         {"job": job, "reference": reference, "scope": scope}))


urlpatterns = [
    path("", image_list, name="images"),
    path("prune/", image_prune, name="image-prune"),
    path("import/", image_import, name="image-import"),
    path("pull/", image_pull, name="image-pull"),
    path("<str:image_id>/", image_detail, name="image-detail"),
    path("<str:image_id>/remove/", image_remove, name="image-remove"),
]
