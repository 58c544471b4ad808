"""Models built from list answers, error typing from podman's answers, events, and
the list page's filters."""
from datetime import datetime, timezone

import pytest

from engine.podman import BadRequest, Conflict, Container, Event, Image, NotFound, Pod, PodmanError, ServerError
from engine.podman.errors import error_for
from engine.podman.events import RECONNECTED
from engine.podman.models import parse_time, unit_of_inspect

LISTED = {"Id": "912ff113eb55" + "0" * 52, "Names": ["web"], "Image": "localhost/busybox:latest", "ImageID": "6e6b",
          "State": "running", "Command": ["sleep", "300"], "Created": "2026-11-22T03:49:23.809902599Z",
          "StartedAt": 1795319364, "ExitCode": 0, "Pod": "392e", "PodName": "web-pod", "IsInfra": False,
          "Labels": {"PODMAN_SYSTEMD_UNIT": "web.service"}, "Networks": [],
          "Ports": [{"host_ip": "", "container_port": 80, "host_port": 18081, "range": 1, "protocol": "tcp"}]}


def test_container_from_list():
    c = Container.from_list(LISTED)
    assert (c.name, c.short_id, c.state, c.pod_name, c.systemd_unit, c.is_running) == (
        "web", "912ff113eb55", "running", "web-pod", "web.service", True)
    assert c.created == datetime(2026, 11, 22, 3, 49, 23, 809902, tzinfo=timezone.utc)
    assert [str(p) for p in c.ports] == ["18081->80/tcp"]


def test_times_podman_gives_for_never():
    assert parse_time(-62135596800) is None and parse_time("0001-01-01T00:00:00Z") is None and parse_time("") is None


def test_unit_from_label_or_environment():
    assert unit_of_inspect({"Config": {"Labels": {"PODMAN_SYSTEMD_UNIT": "a.service"}}}) == "a.service"
    assert unit_of_inspect({"Config": {"Env": ["X=1", "PODMAN_SYSTEMD_UNIT=b.service"]}}) == "b.service"
    assert unit_of_inspect({"Config": {}}) == ""


def test_pod_members_and_infra():
    pod = Pod.from_list({"Id": "p1", "Name": "web-pod", "Status": "Running", "InfraId": "i1",
                         "Containers": [{"Id": "i1", "Names": "p1-infra", "Status": "running"},
                                        {"Id": "c1", "Names": "web", "Status": "exited"}]})
    assert pod.state == "running" and pod.infra.name == "p1-infra" and [m.name for m in pod.containers] == ["web"]


def test_image_names_and_dangling():
    assert Image.from_list({"Id": "abc", "Names": ["localhost/x:1"], "Size": 5}).name == "localhost/x:1"
    assert Image.from_list({"Id": "abc", "Names": None}).dangling


@pytest.mark.parametrize("status, body, kind", [
    (404, {"cause": "no such container", "message": "no container with name or ID \"x\" found"}, NotFound),
    (409, {"message": "name in use"}, Conflict),
    (400, {"message": "bad filter"}, BadRequest),
    (500, {"cause": "container state improper", "message": "cannot remove container as it is running"}, Conflict),
    (500, {"cause": "that name is already in use", "message": "the container name \"x\" is already in use"}, Conflict),
    (500, {"message": "localhost/nope:latest: image not known"}, NotFound),
    (500, {"message": "OCI runtime error: exec failed"}, ServerError),
    (418, "teapot", PodmanError),
])
def test_errors_are_typed_and_keep_podmans_message(status, body, kind):
    error = error_for(status, body)
    assert type(error) is kind
    assert str(error) == (body["message"] if isinstance(body, dict) else body)


def test_events_from_the_stream():
    event = Event.from_api({"Type": "container", "Action": "start", "Actor": {"ID": "abc", "Attributes": {
        "name": "web", "podId": "p1"}}, "time": 1795319363, "timeNano": 1795319363703476990})
    assert (event.type, event.action, event.id, event.name, event.pod_id, event.time_nano) == (
        "container", "start", "abc", "web", "p1", 1795319363703476990)
    assert Event.reconnected().type == RECONNECTED


def test_list_filters():
    from dashboard.live.podman_rows import container_matches, container_row

    web = container_row(Container.from_list(LISTED))
    assert container_matches(web, {"q": "WEB.serv", "state": "running", "pod": "web-pod"})
    assert not container_matches(web, {"state": "exited"})
    assert not container_matches(web, {"pod": "-"})
    assert not container_matches(web, {"q": "nothing"})
    exited = container_row(Container.from_list({**LISTED, "State": "exited", "Pod": "", "PodName": ""}))
    assert container_matches(exited, {"state": "stopped", "pod": "-"})
    assert not container_matches(container_row(Container.from_list({**LISTED, "IsInfra": True})), {})


def test_pull_progress_moves_forward_only():
    from dashboard.live.image_pulls import pull_percent

    steps = ["Getting image source signatures", "Copying blob sha256:aa", "Copying blob sha256:bb",
             "Copying config sha256:cc", "Writing manifest to image destination", "Storing signatures"]
    percents, percent = [], 0
    for step in steps:
        percent = pull_percent(percent, step)
        percents.append(percent)
    assert percents == sorted(percents) and percents[0] == 10 and percents[-1] == 95
    assert pull_percent(40, "something else") == 40
