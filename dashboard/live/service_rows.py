"""The rows of the services list (the live-list contract of dashboard.live.lists): a
service Podhouse made (its files, dashboard.flows.services.podhouse_services) joined with its
unit's row in the unit watcher (dashboard.live.unit_watch).  Keyed by the service."""
from __future__ import annotations

from dashboard.flows import services
from dashboard.host.scopes import Scope
from dashboard.live.lists import service_dom_id


def service_row(made: services.MadeService, unit: dict | None) -> dict:
    """One row's data: what Podhouse made and, when the unit is loaded, its state."""
    kind, _, target = made.source.partition(" ")
    unit = unit or {}
    return {"service": made.service, "format": made.format, "source": made.source, "kind": kind,
            "target": target, "paths": [str(p) for p in made.paths], "edited": made.edited,
            "active_state": unit.get("active_state", ""), "sub_state": unit.get("sub_state", ""),
            "file_state": unit.get("file_state", ""), "dom_id": service_dom_id(made.service)}


def service_rows(scope: Scope, units: dict[str, dict]) -> list[dict]:
    """Every service Podhouse made in the scope, with the unit rows `units` (name -> row)."""
    return [service_row(made, units.get(name)) for name, made in sorted(services.podhouse_services(scope).items())]


def _may_be_made(scope: Scope, service: str) -> bool:
    """Whether a main service's own file is there (a classic unit, a Quadlet .container or .pod)."""
    stem = service.removesuffix(".service")
    return ((scope.unit_dir / service).exists() or (scope.quadlet_dir / f"{stem}.container").exists()
            or (stem.endswith("-pod") and (scope.quadlet_dir / f"{stem.removesuffix('-pod')}.pod").exists()))


def service_changes(scope: Scope, changes: dict[str, dict | None], held: set[str] = frozenset()) -> dict[str, dict | None]:
    """The unit watcher's changes of service units as changes of the services list: a
    unit whose files Podhouse no longer made (or never made) is None, gone from it.
    The files are read again for a batch that may concern the list (a unit of a row
    the page holds, `held`, or one with a file of its own where Podhouse writes):
    generating or removing a service writes them before the daemon-reload whose
    changes bring the unit.  The many other services' changes cost a stat or three."""
    if not any(name in held or _may_be_made(scope, name) for name in changes):
        return dict.fromkeys(changes)
    made = services.podhouse_services(scope)
    return {name: (service_row(made[name], unit) if name in made else None) for name, unit in changes.items()}
