"""The rows of Podman's live lists as plain data: what the watcher publishes and what
the rows templates (containers/_rows.html, pods/_rows.html, images/_rows.html) draw, on
the page and live alike.  Values are podman's, unescaped (the templates escape);
URL parts are quoted here once (`*_q`) so that a row needs no {% url %}."""
from __future__ import annotations

from urllib.parse import quote

from engine.autoupdate import candidate
from engine.podman import Container, Image, Pod


def _q(value: str) -> str:
    return quote(value, safe="")


def container_row(c: Container) -> dict:
    unit = c.systemd_unit
    return {"id": c.id, "short_id": c.short_id, "name": c.name, "name_q": _q(c.name), "image": c.image,
            "state": c.state, "exit_code": c.exit_code, "ports": [str(port) for port in c.ports],
            "pod_id": c.pod_id, "pod_name": c.pod_name, "pod_q": _q(c.pod_name), "unit": unit, "unit_q": _q(unit),
            "is_infra": c.is_infra, "created": c.created, "update": _update(c)}


def _update(c: Container) -> dict | None:
    """What the updates page's lists show of a container labelled for Podman's
    auto-update (None when it is not): `problem` says why it cannot be kept current
    ("" when it can; engine.autoupdate)."""
    found = candidate(c)
    if found is None:
        return None
    return {"policy": found.policy, "reference": found.reference, "short_image_id": found.short_image_id,
            "problem": found.problem}


def container_filters(params) -> dict[str, str]:
    """The containers list's filters, from a page's query (or its socket's)."""
    return {"q": (params.get("q") or "").strip(), "state": params.get("state") or "",
            "pod": (params.get("pod") or "").strip()}


def container_matches(row: dict, filters: dict) -> bool:
    """The list's filters: text (name, image, id, unit), state, pod.  Infra containers
    belong to the pods page."""
    if row["is_infra"]:
        return False
    state = filters.get("state")
    if state and not (row["state"] == state or (state == "stopped" and row["state"] in ("exited", "stopped"))):
        return False
    pod = filters.get("pod")
    if pod and pod not in (row["pod_name"], row["pod_id"]) and not (pod == "-" and not row["pod_id"]):
        return False
    text = (filters.get("q") or "").lower()
    if text and not any(text in value.lower() for value in (row["name"], row["image"], row["id"], row["unit"])):
        return False
    return True


def pod_row(p: Pod) -> dict:
    def member(m):
        return {"id": m.id, "name": m.name, "name_q": _q(m.name), "state": m.state}

    return {"id": p.id, "short_id": p.short_id, "name": p.name, "name_q": _q(p.name), "state": p.state,
            "created": p.created, "members": [member(m) for m in p.members],
            "containers": [member(m) for m in p.containers], "infra": member(p.infra) if p.infra else None}


def image_row(i: Image) -> dict:
    return {"id": i.id, "short_id": i.short_id, "name": i.name, "names": list(i.names), "size": i.size,
            "created": i.created, "containers": i.containers}


ROWS = {"containers": container_row, "pods": pod_row, "images": image_row}
SORT = {"containers": lambda row: row["name"], "pods": lambda row: row["name"], "images": lambda row: row["name"]}
