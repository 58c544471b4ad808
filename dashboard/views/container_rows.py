"""The containers table's rows, written out in Python rather than by the template engine.

The list page draws every container at once, and so does a live page when its socket
(re)connects.  Through Django templates a row cost about 0.3 ms of CPU (a {% url %} per
action button, an include, a filter per cell): 150 ms for 500 containers, on top of
podman's own 250 ms list call (bench/bench_containers_list.py).  Here a row is one
format string; every value that comes from podman goes through html.escape, and URL
parts are percent-quoted before that.  The page, the live watcher and the action
responses all use these functions, so a row looks the same however it arrived."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from engine.podman import Container

_NAME, _VERB = "--name--", "--verb--"  # stand-ins no container name can be (names start with [a-zA-Z0-9])


@lru_cache(maxsize=16)
def _url_patterns(scope: str) -> dict[str, str]:
    """The row's URLs for a scope, reversed once, with stand-ins for the name and verb."""
    return {"detail": reverse("container-detail", kwargs={"scope": scope, "name": _NAME}),
            "action": reverse("container-action", kwargs={"scope": scope, "name": _NAME, "verb": _VERB}),
            "pod": reverse("pod-detail", kwargs={"scope": scope, "name": _NAME}),
            "unit": reverse("unit-detail", kwargs={"scope": scope, "name": _NAME})}


def _url(scope: str, which: str, name: str, verb: str = "") -> str:
    return escape(_url_patterns(scope)[which].replace(_NAME, quote(name, safe="")).replace(_VERB, verb))


def _created_cell(created: datetime | None) -> str:
    if created is None:
        return '<td class="created" title=""></td>'
    shown = timezone.localtime(created) if timezone.is_aware(created) else created
    return f'<td class="created" title="{escape(shown.isoformat())}">{escape(timesince(created))} ago</td>'


def _state_cell(c: Container) -> str:
    state = escape(c.state)
    exited = c.state == "exited"
    bad = " bad" if exited and c.exit_code else ""
    code = f" ({c.exit_code})" if exited else ""
    return f'<td><span class="state {state}{bad}">{state}{code}</span></td>'


def _button(scope: str, c: Container, verb: str, label: str, confirm: str = "", danger: bool = False) -> str:
    css = ' class="danger"' if danger else ""
    ask = f' hx-confirm="{escape(confirm)}"' if confirm else ""
    return (f'<button{css} hx-post="{_url(scope, "action", c.name, verb)}" data-action="{verb}"{ask}>'
            f'{label}</button>')


def _actions_cell(scope: str, c: Container) -> str:
    """Only the actions the container's state allows."""
    if c.state == "running":
        buttons = (_button(scope, c, "stop", "Stop"), _button(scope, c, "restart", "Restart"),
                   _button(scope, c, "pause", "Pause"),
                   _button(scope, c, "kill", "Kill", f"Kill {c.name} with SIGKILL?", danger=True))
    elif c.state == "paused":
        buttons = (_button(scope, c, "unpause", "Resume"),)
    else:
        buttons = (_button(scope, c, "start", "Start"),
                   _button(scope, c, "remove", "Remove", f"Remove container {c.name}?", danger=True))
    return ('<td class="actions"><span class="row-actions" hx-target="closest tr" hx-swap="outerHTML">'
            + "".join(buttons) + "</span></td>")


def render_container_row(c: Container, scope: str, can_act: bool) -> str:
    name = escape(c.name)
    ports = "".join(f"<div>{escape(str(port))}</div>" for port in c.ports)
    pod = (f'<a href="{_url(scope, "pod", c.pod_name)}">{escape(c.pod_name)}</a>' if c.pod_name else "")
    unit = c.systemd_unit
    unit_link = f'<a href="{_url(scope, "unit", unit)}">{escape(unit)}</a>' if unit else ""
    return (f'<tr id="container-row-{escape(c.id)}" data-name="{name}" data-state="{escape(c.state)}">'
            f'<td class="name"><a href="{_url(scope, "detail", c.name)}" title="{name}">{name}</a>'
            f'<div class="muted id">{escape(c.short_id)}</div></td>'
            f'<td class="image">{escape(c.image)}</td>'
            f'{_state_cell(c)}'
            f'<td class="ports">{ports}</td>'
            f'<td class="pod">{pod}</td>'
            f'<td class="unit">{unit_link}</td>'
            f'{_created_cell(c.created)}'
            f'{_actions_cell(scope, c) if can_act else ""}'
            '</tr>')


def render_container_rows(containers: list[Container], scope: str, can_act: bool) -> str:
    return "".join(render_container_row(c, scope, can_act) for c in containers)
