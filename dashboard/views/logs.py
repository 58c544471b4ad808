"""The Logs page (filters, a live pane) and the download of the same query as text or
JSON, streamed from journalctl (or Podman's logs API for a container that does not
log to journald) however large it is."""
import json
from datetime import datetime, timezone

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path

from dashboard.host import journal
from dashboard.live import unit_watch
from dashboard.consumers.logs import open_query
from dashboard.host.podman_clients import client_for
from dashboard.views.rendering import arender
from engine.podman import PodmanError
from engine.podman.log_cursors import PodmanLogReader

FILTERS = ("kind", "name", "priority", "since", "until", "text", "boot")
BOOT_CHOICES = (("", "all boots"), ("current", "this boot"))


def _filters(request) -> dict:
    return {key: request.GET.get(key, "").strip() for key in FILTERS}


async def logs_page(request, scope):
    filters = _filters(request)
    follow = request.GET.get("follow", "on" if not request.GET else "") == "on"
    error, source = "", None
    try:
        source, _, _ = await open_query(scope.name, filters)
    except journal.BadQuery as problem:
        error = str(problem)
    context = {
        "scope": scope, "filters": filters, "follow": follow, "error": error, "source": source,
        "kinds": journal.SOURCE_KINDS, "priorities": list(enumerate(journal.PRIORITY_NAMES)),
        "boots": BOOT_CHOICES,
    }
    # The context processors ask the database about the user: not from the event loop.
    return await arender(request, "logs/page.html", context, status=400 if error else 200)


async def name_suggestions(request, scope):
    """The names the Name field can take for the chosen kind, as a <datalist>.  Read
    when the field is first focused or the kind changes, not with every page."""
    kind = request.GET.get("kind", "")
    names: list[str] = []
    try:
        if kind == "container":
            names = [c.name for c in await client_for(scope.name).list_containers(all=True) if not c.is_infra]
        elif kind == "pod":
            names = [p.name for p in await client_for(scope.name).list_pods()]
        elif kind == "unit":
            # the unit watcher of this process already holds every unit: no bus call
            names = [u.name for u in (await unit_watch.watch_for(scope)).snapshot()]
    except PodmanError:
        names = []  # only a help: the field still takes any name, and the header shows what is down
    return await arender(request, "logs/_names.html", {"names": sorted(set(names))})


def _download_name(source: journal.LogSource, extension: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    label = f"{source.kind}-{source.name}" if source.name else "journal"
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in f"{label}-{stamp}.{extension}")


def _as_json(entry: journal.Entry) -> str:
    return json.dumps({"cursor": entry.cursor, "time_us": entry.time_us, "priority": entry.priority,
                       "origin": entry.origin, "pid": entry.pid, "message": entry.message}) + "\n"


async def _podman_entries(scope_name: str, source: journal.LogSource):
    reader = PodmanLogReader()
    async for stream, line in client_for(scope_name).container_logs(source.name, timestamps=True):
        entry = reader.entry(stream, line)
        if entry is not None:
            yield entry


async def download(request, scope):
    """The same query as the page, oldest first: `format=text` (journalctl's short-iso
    lines, UTC) or `format=json` (one JSON object per line)."""
    form = request.GET.get("format", "text")
    if form not in ("text", "json"):
        return HttpResponseBadRequest("format must be text or json")
    try:
        source, query, log_scope = await open_query(scope.name, _filters(request))
    except journal.BadQuery as problem:
        return HttpResponseBadRequest(str(problem), content_type="text/plain; charset=utf-8")
    entries = _podman_entries(scope.name, source) if source.via_podman else journal.stream_lines(query, log_scope.child_env())
    render_entry = _as_json if form == "json" else journal.format_text

    async def body():
        async for entry in entries:
            yield render_entry(entry).encode()

    extension = "jsonl" if form == "json" else "txt"
    response = StreamingHttpResponse(
        body(), content_type="application/x-ndjson" if form == "json" else "text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(source, extension)}"'
    return response


urlpatterns = [
    path("", logs_page, name="logs"),
    path("download/", download, name="logs-download"),
    path("names/", name_suggestions, name="logs-names"),
]
