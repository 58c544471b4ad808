"""What the overview page says about a scope: how its containers, pods and units are
doing, as bars, and the things that need someone's attention.  Pure functions of the
lists the page already has (podman's list answers, the unit watcher's rows)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.host.systemd import UnitRow
from engine.podman import Container, Image, Pod


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar: `css` names its colour in podhouse.css."""
    label: str
    count: int
    css: str
    percent: float = 0.0


@dataclass(frozen=True)
class Attention:
    kind: str   # "unit" or "container"
    name: str
    why: str


def _bar(parts: Iterable[tuple[str, int, str]]) -> list[Segment]:
    """Segments with their share of the whole; empty parts are left out."""
    parts = [p for p in parts if p[1]]
    total = sum(count for _, count, _ in parts)
    return [Segment(label, count, css, round(100 * count / total, 2)) for label, count, css in parts]


def _failed(c: Container) -> bool:
    return c.state in ("exited", "stopped") and c.exit_code != 0


def containers_bar(containers: Iterable[Container]) -> list[Segment]:
    """Running, paused, exited cleanly, exited with an error, created (never started).
    Pod infra containers are the pods' business and are not counted."""
    shown = [c for c in containers if not c.is_infra]
    return _bar([
        ("running", sum(c.state == "running" for c in shown), "ok"),
        ("paused", sum(c.state == "paused" for c in shown), "warn"),
        ("exited with an error", sum(_failed(c) for c in shown), "bad"),
        ("exited", sum(c.state in ("exited", "stopped") and not _failed(c) for c in shown), "idle"),
        ("created", sum(c.state == "created" for c in shown), "new"),
        ("other", sum(c.state not in ("running", "paused", "exited", "stopped", "created") for c in shown), "idle"),
    ])


def pods_bar(pods: Iterable[Pod]) -> list[Segment]:
    pods = list(pods)
    return _bar([
        ("running", sum(p.state == "running" for p in pods), "ok"),
        ("degraded", sum(p.state == "degraded" for p in pods), "warn"),
        ("stopped", sum(p.state in ("exited", "stopped") for p in pods), "idle"),
        ("created", sum(p.state == "created" for p in pods), "new"),
        ("other", sum(p.state not in ("running", "degraded", "exited", "stopped", "created") for p in pods), "idle"),
    ])


def units_bar(rows: Iterable[UnitRow]) -> list[Segment]:
    """Loaded units by their active state (systemd lists many inactive, unloaded names).
    Devices are left out: nobody starts them, and a user manager without udev keeps
    some "activating (tentative)" for ever."""
    rows = [r for r in rows if (r.load_state == "loaded" or r.active_state != "inactive")
            and not r.name.endswith(".device")]
    changing = ("activating", "deactivating", "reloading", "refreshing")
    return _bar([
        ("active", sum(r.active_state == "active" for r in rows), "ok"),
        ("changing", sum(r.active_state in changing for r in rows), "warn"),
        ("failed", sum(r.active_state == "failed" for r in rows), "bad"),
        ("inactive", sum(r.active_state == "inactive" for r in rows), "idle"),
    ])


def images_total(images: Iterable[Image]) -> tuple[int, int]:
    """How many images, and the sum of their sizes (a layer shared by several images counts in each)."""
    images = list(images)
    return len(images), sum(i.size for i in images)


def attention(containers: Iterable[Container], rows: Iterable[UnitRow]) -> list[Attention]:
    """Failed units first, then containers that exited with an error, each by name."""
    items = [Attention("unit", r.name, f"failed ({r.sub_state})" if r.sub_state and r.sub_state != "failed" else "failed")
             for r in rows if r.active_state == "failed"]
    items += [Attention("container", c.name, f"exited with code {c.exit_code}")
              for c in containers if not c.is_infra and _failed(c)]
    return sorted(items, key=lambda a: (a.kind != "unit", a.name))
