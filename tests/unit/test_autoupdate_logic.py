"""Podman's auto-update rules (engine/autoupdate.py): who takes part, policies,
when an update is due, references, outcomes."""
import pytest

from engine import autoupdate
from engine.autoupdate import (DUE, FAILED, NO_UNIT, ROLLED_BACK, UP_TO_DATE, UPDATED, Outcome, PolicyError,
                               candidates, fully_qualified, parse_policy, restart_worked, split_reference,
                               update_due)
from engine.podman.models import Container

OLD = "a" * 64
NEW = "b" * 64


def container(name, labels=None, image="quay.io/podman/stable:latest", image_id=OLD, infra=False):
    return Container.from_list({"Id": name * 4, "Names": [name], "Image": image, "ImageID": image_id,
                                "State": "running", "Labels": labels or {}, "IsInfra": infra})


def labels(policy, unit="web.service"):
    found = {"io.containers.autoupdate": policy}
    if unit:
        found["PODMAN_SYSTEMD_UNIT"] = unit
    return found


@pytest.mark.parametrize("value,policy", [("registry", "registry"), ("local", "local"), ("image", "registry"),
                                          (" Registry ", "registry"), ("", ""), (None, ""), ("disabled", "")])
def test_policies_podman_knows(value, policy):
    assert parse_policy(value) == policy


@pytest.mark.parametrize("value", ["latest", "always", "registry,local", "yes"])
def test_an_unknown_policy_is_refused_with_the_known_ones_named(value):
    with pytest.raises(PolicyError) as error:
        parse_policy(value)
    assert repr(value) in str(error.value) and "registry" in str(error.value) and "local" in str(error.value)


def test_who_takes_part():
    found = candidates([
        container("plain"),
        container("off", labels("disabled")),
        container("web", labels("registry")),
        container("loc", labels("local", "loc.service"), image="localhost/app:1"),
        container("nounit", labels("registry", unit="")),
        container("odd", labels("sometimes")),
        container("infra", labels("registry"), infra=True),
    ])
    by_name = {c.name: c for c in found}
    assert list(by_name) == ["loc", "nounit", "odd", "web"]  # sorted by name
    assert by_name["web"].can_update and by_name["web"].unit == "web.service"
    assert by_name["web"].reference == "quay.io/podman/stable:latest" and by_name["web"].short_image_id == OLD[:12]
    assert by_name["loc"].policy == "local" and by_name["loc"].can_update
    assert by_name["nounit"].problem == NO_UNIT and not by_name["nounit"].can_update
    assert "unknown auto-update policy" in by_name["odd"].problem


def test_registry_needs_a_fully_qualified_reference_local_does_not():
    short = candidates([container("r", labels("registry"), image="busybox:latest"),
                        container("l", labels("local"), image="busybox:latest")])
    by_name = {c.name: c for c in short}
    assert "fully qualified" in by_name["r"].problem
    assert by_name["l"].can_update


def test_a_container_made_from_an_image_id_or_digest_cannot_be_updated():
    found = {c.name: c for c in candidates([
        container("byid", labels("local"), image=OLD[:12]),
        container("bydigest", labels("registry"), image="quay.io/x/y@sha256:" + "c" * 64)])}
    assert "image ID" in found["byid"].problem
    assert "digest" in found["bydigest"].problem


@pytest.mark.parametrize("reference,qualified", [
    ("quay.io/podman/stable:latest", True), ("localhost/app:1", True), ("127.0.0.1:5000/phc/x:1", True),
    ("docker.io/library/alpine", True), ("busybox", False), ("library/alpine:3", False)])
def test_fully_qualified(reference, qualified):
    assert fully_qualified(reference) is qualified


@pytest.mark.parametrize("reference,parts", [
    ("127.0.0.1:5000/phc/x:1", ("127.0.0.1:5000/phc/x", "1")),
    ("127.0.0.1:5000/phc/x", ("127.0.0.1:5000/phc/x", "latest")),
    ("localhost/app:v2", ("localhost/app", "v2")),
    ("quay.io/podman/stable", ("quay.io/podman/stable", "latest"))])
def test_split_reference_for_tagging_back(reference, parts):
    assert split_reference(reference) == parts


def test_a_digest_reference_cannot_be_tagged_back():
    with pytest.raises(ValueError):
        split_reference("quay.io/x/y@sha256:" + "c" * 64)


def test_update_due_compares_image_ids():
    assert update_due(OLD, NEW)
    assert not update_due(OLD, OLD)
    assert not update_due(OLD, "sha256:" + OLD)      # the same image, written with its prefix
    assert not update_due(OLD, OLD[:12])             # or shortened
    assert not update_due(OLD, "")                   # nothing under the reference: nothing to update to


def test_restart_worked_needs_the_job_the_state_and_the_new_image():
    assert restart_worked(True, "active", NEW, NEW)
    assert not restart_worked(False, "active", NEW, NEW)
    assert not restart_worked(True, "failed", "", NEW)
    assert not restart_worked(True, "activating", NEW, NEW)
    assert not restart_worked(True, "active", OLD, NEW)   # came back on the old image
    assert not restart_worked(True, "active", "", NEW)    # not running at all


def test_outcomes():
    assert Outcome("c", "u", UPDATED, "").ok and Outcome("c", "u", UP_TO_DATE, "").ok and Outcome("c", "u", DUE, "").ok
    assert not Outcome("c", "u", ROLLED_BACK, "").ok and not Outcome("c", "u", FAILED, "").ok
    with pytest.raises(ValueError):
        Outcome("c", "u", "fine", "")
    assert set(autoupdate.OUTCOMES) == {UP_TO_DATE, DUE, UPDATED, ROLLED_BACK, FAILED}
