"""What a generator produces: the files of one service, with the Podhouse marker."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

MARKER = "# Podhouse-generated"


def with_marker(body: str, source: str, main_service: str) -> str:
    """The file text: a first line that says Podhouse wrote it, from what, for which
    service (a pod's members name the pod's), with a digest of the rest so that a
    hand edit shows; then the body."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return (f"{MARKER} from {source} for {main_service} (sha256:{digest}). "
            f"Podhouse keeps a backup when it rewrites this file.\n{body}")


def marker_state(text: str) -> str:
    """'ours' (unchanged since Podhouse wrote it), 'edited' (ours, changed by hand)
    or 'foreign' (no marker: someone else's file)."""
    first, _, body = text.partition("\n")
    if not first.startswith(MARKER):
        return "foreign"
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return "ours" if f"(sha256:{digest})" in first else "edited"


@dataclass(frozen=True)
class UnitFile:
    directory: str   # "quadlet" or "unit": which folder of the scope it goes to
    filename: str
    text: str


@dataclass
class GeneratedUnits:
    """The files for one container or pod, and the services systemd will have."""

    format: str                      # "quadlet" or "classic"
    files: list[UnitFile]
    main_service: str                # the unit to enable and start
    services: list[str]              # every service, main first
    notes: list[str] = field(default_factory=list)  # why auto chose this format, ...
