"""The updates page's two live lists on the containers' rows (dashboard.live.podman_rows):
a container labelled for auto-update goes to the list it can be kept current in, or to
the list of those it cannot, never to both; an unlabelled one to neither."""
from dashboard.consumers.updates import UpdatableContainersConsumer
from dashboard.live.lists import LISTS
from dashboard.live.podman_rows import container_row
from engine.podman import Container


def container(name, labels):
    return Container.from_list({"Id": f"{name}-id", "Names": [name], "Image": "registry.example/app:1",
                                "ImageID": "f" * 64, "State": "running", "Labels": labels})


def consumer(list_name):
    live = UpdatableContainersConsumer()
    live.live_list = LISTS[list_name]
    return live


def test_each_labelled_container_is_in_one_list():
    kept = container_row(container("kept", {"io.containers.autoupdate": "registry",
                                            "PODMAN_SYSTEMD_UNIT": "kept.service"}))
    no_unit = container_row(container("loose", {"io.containers.autoupdate": "registry"}))
    plain = container_row(container("plain", {}))
    assert kept["update"] == {"policy": "registry", "reference": "registry.example/app:1",
                              "short_image_id": "f" * 12, "problem": ""}
    assert plain["update"] is None
    updatable, cannot = consumer("updates"), consumer("updates-cannot")
    assert [updatable.visible(r) for r in (kept, no_unit, plain)] == [True, False, False]
    assert [cannot.visible(r) for r in (kept, no_unit, plain)] == [False, True, False]
