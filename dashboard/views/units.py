"""The units area: the list (tabs by type, filters, live rows), a unit's detail page
(properties, relationships, unit file with drop-ins, journal) and its actions."""
from __future__ import annotations

import dataclasses
import shlex
from datetime import datetime, timezone
from pathlib import Path

from django.http import Http404, HttpResponseBadRequest
from django.urls import path
from django.views.decorators.http import require_POST

from dashboard.host import scopes
from dashboard.live import unit_watch
from dashboard.live.lists import LISTS, remember_page, render_rows, unit_dom_id
from dashboard.permissions import operator_required
from dashboard.host.systemd import ACTIONS, SystemdError, manager_for
from dashboard.host.unit_files import container_link, read_unit_file
from dashboard.viewer_masking import mask_unit_text
from dashboard.views.actions import audited, operate_flag
from dashboard.views.rendering import arender

KINDS = {"service": "Services", "socket": "Sockets", "timer": "Timers", "target": "Targets"}
# Actions that stop or hide something ask for confirmation first.
CONFIRM = {"stop": "Stop {name}?", "restart": "Restart {name}?", "disable": "Disable {name}?",
           "mask": "Mask {name}? It can then not be started until unmasked."}
RELATIONSHIPS = ("Requires", "Wants", "BindsTo", "PartOf", "Requisite", "Conflicts",
                 "RequiredBy", "WantedBy", "BoundBy", "After", "Before",
                 "Triggers", "TriggeredBy")
NO_VALUE = 2**64 - 1  # systemd's "not set" for uint64 properties (memory, timestamps)


dom_id = unit_dom_id  # a unit's element id, as its row and its page's state block use it


UNIT_NAME_MAX = 255  # systemd's UNIT_NAME_MAX (256) less its NUL


def bad_unit_name(name: str) -> HttpResponseBadRequest | None:
    """A 400 naming the field for a name systemd cannot have (D-Bus refuses a NUL)."""
    if len(name) > UNIT_NAME_MAX or any(ord(c) < 0x20 or ord(c) == 0x7f for c in name):
        return HttpResponseBadRequest(f"unit name: {name[:60]!r} is not a unit name (no control characters, "
                                      f"at most {UNIT_NAME_MAX} characters).", content_type="text/plain")
    return None


async def units_list(request, scope):
    kind = request.GET.get("kind", "service")
    if kind not in KINDS:
        kind = "service"
    watch = await unit_watch.watch_for(scope)
    # the rows and their version together, with no await between
    version, rows = watch.version, [unit_watch.row_dict(r) for r in watch.snapshot() if r.kind == kind]
    can_act = await operate_flag(request)
    return await arender(request, "units/list.html", {
        "scope": scope, "kind": kind, "kinds": KINDS, "version": version,
        "rows": render_rows(LISTS["units"], rows, {"scope": scope, "user_can_operate": can_act}),
        "page": remember_page(row["name"] for row in rows),
        "watch_live": watch.live, "watch_message": watch.status_message,
        "active_states": sorted({r["active_state"] for r in rows}),
        "file_states": sorted({r["file_state"] for r in rows if r["file_state"]}),
    })


def format_bytes(value) -> str:
    if value in (None, NO_VALUE):
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def format_usec(value) -> str:
    """A CLOCK_REALTIME timestamp in µs, as systemd gives them, in UTC."""
    if not value or value == NO_VALUE:
        return "—"
    return datetime.fromtimestamp(value / 1_000_000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_commands(commands) -> list[str]:
    """ExecStart and friends: a(sasbttttuii) -> the argv as a shell would take it back
    (an argument with spaces or quotes keeps its quoting)."""
    return [shlex.join(argv) if argv else path for path, argv, *_rest in commands or []]


def unit_facts(props: dict) -> list[tuple[str, str]]:
    """The main properties worth a glance, in order, as (label, text)."""
    facts = [("Description", props.get("Description", "")),
             ("State", f"{props.get('LoadState')} / {props.get('ActiveState')} / {props.get('SubState')}"),
             ("Unit file state", props.get("UnitFileState") or "—")]
    if props.get("ExecStart") is not None:
        facts.append(("ExecStart", "\n".join(format_commands(props["ExecStart"])) or "—"))
    if "MainPID" in props:
        facts.append(("Main PID", str(props["MainPID"] or "—")))
    if "MemoryCurrent" in props:
        facts.append(("Memory", format_bytes(props["MemoryCurrent"])))
    if "NRestarts" in props:
        facts.append(("Restarts", str(props["NRestarts"])))
    if props.get("Result"):
        facts.append(("Last result", props["Result"]))
    if props.get("Listen"):
        facts.append(("Listens on", ", ".join(f"{where} ({kind})" for kind, where in props["Listen"])))
    if "NextElapseUSecRealtime" in props:
        facts.append(("Next elapse", format_usec(props["NextElapseUSecRealtime"])))
        facts.append(("Last trigger", format_usec(props.get("LastTriggerUSec"))))
    facts.append(("Active since", format_usec(props.get("ActiveEnterTimestamp"))))
    return facts


def mask_refusal(props: dict, unit_dir: Path) -> str:
    """Why the unit cannot be masked, or "": a mask is a link to /dev/null written in the
    administrator's unit directory, where a unit's own file would have to go first
    (systemd answers "File ... already exists")."""
    fragment = props.get("FragmentPath") or ""
    if not fragment or Path(fragment).parent != unit_dir:
        return ""
    return (f"{props.get('Id', Path(fragment).name)} cannot be masked: its unit file {fragment} is in the "
            f"administrator's unit directory ({unit_dir}), where the mask would have to take its place. "
            "Stop and disable it instead, or remove its file.")


def available_actions(props: dict, unit_dir: Path | None = None) -> list[str]:
    """The actions that make sense in the unit's present state, in ACTIONS' order."""
    active, file_state = props.get("ActiveState", ""), props.get("UnitFileState", "")
    running = active in ("active", "activating", "reloading")
    offered = {
        "start": not running and file_state != "masked",
        "stop": running or active == "deactivating",
        "restart": running,
        "reload": running and bool(props.get("CanReload")),
        "reset-failed": active == "failed",
        "enable": file_state in ("disabled", "linked", "indirect"),
        "disable": file_state in ("enabled", "enabled-runtime", "linked", "linked-runtime", "alias"),
        "mask": file_state not in ("masked", "masked-runtime") and not (unit_dir and mask_refusal(props, unit_dir)),
        "unmask": file_state in ("masked", "masked-runtime"),
    }
    return [action for action in ACTIONS if offered[action]]


async def _unit_properties(scope: scopes.Scope, name: str) -> dict:
    watch = await unit_watch.watch_for(scope)
    if watch.live and watch.manager is not None:
        return await watch.manager.unit_properties(name)
    async with manager_for(scope) as manager:
        return await manager.unit_properties(name)


def detail_context(scope_name: str, props: dict, *, viewer: bool = False) -> dict:
    """What a unit's page shows; for a viewer, environment values are hidden from the
    unit file and the commands (dashboard.viewer_masking)."""
    name = props["Id"]
    unit_dir = scopes.get_scope(scope_name).unit_dir
    unit_file = read_unit_file(props.get("FragmentPath", ""), props.get("DropInPaths", []))
    container = container_link(unit_file.combined())
    facts = unit_facts(props)
    if viewer:
        unit_file = dataclasses.replace(unit_file, text=mask_unit_text(unit_file.text),
                                        dropins=[(p, mask_unit_text(t)) for p, t in unit_file.dropins])
        facts = [(label, mask_unit_text(text)) for label, text in facts]
    return {
        "scope": scope_name, "name": name, "props": props, "facts": facts,
        "relationships": [(rel, props[rel]) for rel in RELATIONSHIPS if props.get(rel)],
        "unit_file": unit_file, "container": container,
        "actions": [(a, CONFIRM[a].format(name=name) if a in CONFIRM else "")
                    for a in available_actions(props, unit_dir)],
        "mask_refusal": mask_refusal(props, unit_dir) if props.get("UnitFileState") not in ("masked", "masked-runtime") else "",
        "row_id": dom_id(name), "kind": name.rpartition(".")[2],
    }


async def unit_detail(request, scope, name):
    if (refusal := bad_unit_name(name)) is not None:
        return refusal
    # The version first: a change while the properties are read is then sent again.
    version = (await unit_watch.watch_for(scope)).version
    try:
        props = await _unit_properties(scope, name)
    except SystemdError as error:  # no such unit, or an invalid unit name
        raise Http404(error.message) from None
    context = detail_context(scope.name, props, viewer=not await operate_flag(request))
    context["version"] = version
    return await arender(request, "units/detail.html", context)


def _action_view(action: str):
    @require_POST
    @operator_required(f"unit-{action}")
    async def view(request, scope, name):
        if (refusal := bad_unit_name(name)) is not None:
            return refusal
        async with audited(request, f"unit-{action}", scope, target=name) as entry:
            mask_refused = ""
            if action == "mask":
                try:
                    mask_refused = mask_refusal(await _unit_properties(scope, name), scope.unit_dir)
                except SystemdError:
                    mask_refused = ""  # no such unit: systemd's own answer below says so
            if mask_refused:
                entry.result, entry.detail = "refused", mask_refused
                return await arender(request, "units/_result.html", {
                    "action": action, "name": name, "result": "refused", "message": mask_refused, "ok": False})
            try:
                async with manager_for(scope) as manager:
                    outcome = await manager.act(action, name)
                result, message, ok = outcome.result, outcome.message, outcome.ok
            except SystemdError as error:
                result, message, ok = "error", error.message, False
            except OSError as error:
                result, message, ok = "error", f"cannot reach systemd: {error}", False
            entry.result, entry.detail = result, message
        return await arender(request, "units/_result.html", {
            "action": action, "name": name, "result": result, "message": message, "ok": ok})

    view.__name__ = f"unit_{action.replace('-', '_')}"
    return view


ACTION_VIEWS = {action: _action_view(action) for action in ACTIONS}


async def unit_action(request, scope, name, action):
    view = ACTION_VIEWS.get(action)
    if view is None:
        raise Http404(f"no unit action {action!r} (known: {', '.join(ACTIONS)})")
    return await view(request, scope=scope, name=name)


# Included under /<scope>/units/ by dashboard/urls.py.
urlpatterns = [
    path("", units_list, name="units"),
    path("<str:name>/", unit_detail, name="unit-detail"),
    path("<str:name>/<slug:action>/", unit_action, name="unit-action"),
]
