"""Podman's auto-update rules, as pure logic (podman-auto-update(1)).

A container takes part when its label io.containers.autoupdate names a policy:
`registry` (the registry is asked which manifest the reference the container was
created from names now, engine.registry; `image` is podman's older name for it)
or `local` (the image that reference names in local storage is compared).  An
update is due when that image is not the container's.  Updating restarts the systemd unit named by the label
PODMAN_SYSTEMD_UNIT, which makes the container again from the reference; when that
restart fails, the previous image is tagged back and the unit restarted again.

This module decides; dashboard/flows/updates.py acts.  No Django, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from engine.podman.models import SYSTEMD_UNIT_LABEL, Container
from engine.registry import fully_qualified

AUTOUPDATE_LABEL = "io.containers.autoupdate"
# the auth file podman auto-update reads the registry's credentials from
AUTHFILE_LABEL = "io.containers.autoupdate.authfile"
POLICIES = ("registry", "local")
# podman's older word for registry, kept by podman for compatibility
POLICY_ALIASES = {"image": "registry"}
# podman's default: the label absent, empty or "disabled"
OFF = ("", "disabled")

# Outcomes of a check, an update or a roll back of one container.
UP_TO_DATE = "up to date"
DUE = "update due"
UPDATED = "updated"
ROLLED_BACK = "rolled back"
FAILED = "failed"
OUTCOMES = (UP_TO_DATE, DUE, UPDATED, ROLLED_BACK, FAILED)

NO_UNIT = "not run by a unit: cannot be updated"


class PolicyError(ValueError):
    """An io.containers.autoupdate label podman would refuse."""


def parse_policy(value: str | None) -> str:
    """The policy a label value names: "registry", "local", or "" (not taking part)."""
    word = (value or "").strip().lower()
    if word in OFF:
        return ""
    word = POLICY_ALIASES.get(word, word)
    if word not in POLICIES:
        raise PolicyError(f"unknown auto-update policy {value!r}: podman knows registry, local "
                          f"(and image, an older name for registry)")
    return word


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def same_image(a: str, b: str) -> bool:
    """Two image IDs (full, with or without sha256:, or one a prefix) name the same image."""
    a, b = a.removeprefix("sha256:"), b.removeprefix("sha256:")
    if not a or not b:
        return False
    return a.startswith(b) or b.startswith(a)


def update_due(container_image_id: str, available_image_id: str) -> bool:
    """Due when the image found under the reference is another image than the
    container's.  Nothing found: nothing to update to."""
    if not available_image_id:
        return False
    return not same_image(container_image_id, available_image_id)


def looks_like_image_id(reference: str) -> bool:
    plain = reference.removeprefix("sha256:")
    return len(plain) in (12, 64) and all(c in "0123456789abcdef" for c in plain)


def split_reference(reference: str) -> tuple[str, str]:
    """repository and tag, for tagging an image back to the reference:
    "127.0.0.1:5000/phc/x:1" -> ("127.0.0.1:5000/phc/x", "1"); no tag -> "latest".
    A reference by digest cannot be re-tagged: ValueError."""
    if "@" in reference:
        raise ValueError(f"{reference} names its image by digest: it cannot point at another image")
    name, colon, tag = reference.rpartition(":")
    if colon and "/" not in tag:
        return name, tag
    return reference, "latest"


@dataclass(frozen=True)
class Candidate:
    """A container that asks to be kept current, and whether Podhouse can."""

    id: str
    name: str
    policy: str          # registry, local, or the label's raw value when unknown
    reference: str       # the image reference the container was created from
    image_id: str
    unit: str            # PODMAN_SYSTEMD_UNIT, "" when no unit runs it
    state: str
    problem: str = ""    # why it cannot be updated ("" when it can)
    authfile: str = ""   # the AUTHFILE_LABEL, "" for podman's default search

    @property
    def can_update(self) -> bool:
        return not self.problem

    @property
    def short_image_id(self) -> str:
        return short_id(self.image_id)


def candidate(container: Container) -> Candidate | None:
    """The container as an auto-update candidate, or None when it does not take part."""
    raw = container.labels.get(AUTOUPDATE_LABEL, "")
    problem = ""
    try:
        policy = parse_policy(raw)
    except PolicyError as error:
        policy, problem = raw, str(error)
    else:
        if not policy:
            return None
    unit = container.labels.get(SYSTEMD_UNIT_LABEL, "")
    reference = container.image
    if not problem:
        if not unit:
            problem = NO_UNIT
        elif not reference or looks_like_image_id(reference):
            problem = "created from an image ID, not a reference: there is nothing to look up"
        elif "@" in reference:
            problem = f"created from {reference}, a digest: it never points at another image"
        elif policy == "registry" and not fully_qualified(reference):
            problem = (f"the registry policy needs a fully qualified reference (registry/name:tag); "
                       f"{reference} names no registry")
    return Candidate(id=container.id, name=container.name, policy=policy, reference=reference,
                     image_id=container.image_id, unit=unit, state=container.state, problem=problem,
                     authfile=container.labels.get(AUTHFILE_LABEL, ""))


def candidates(containers: Iterable[Container]) -> list[Candidate]:
    """Every container that takes part (infra containers never do), by name."""
    found = [candidate(c) for c in containers if not c.is_infra]
    return sorted((c for c in found if c is not None), key=lambda c: c.name)


@dataclass(frozen=True)
class Outcome:
    """What became of one container: one of OUTCOMES, with the reason in words."""

    container: str
    unit: str
    result: str
    message: str
    old_image_id: str = ""
    new_image_id: str = ""

    def __post_init__(self):
        if self.result not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.result!r}")

    @property
    def ok(self) -> bool:
        return self.result in (UP_TO_DATE, DUE, UPDATED)


def summary(outcomes: Iterable[Outcome]) -> str:
    """"1 updated, 2 up to date": how many of each result, in the order first met."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    return ", ".join(f"{n} {result}" for result, n in counts.items())


def restart_worked(job_ok: bool, active_state: str, running_image_id: str, expected_image_id: str) -> bool:
    """The unit's restart gave what was asked: the job succeeded, the unit is active,
    and its container runs the expected image."""
    return job_ok and active_state == "active" and same_image(running_image_id, expected_image_id)
