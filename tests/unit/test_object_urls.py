"""Fixed words in the containers' and pods' URLs can never be taken for an object's
name: a container called "new" must still have its own detail page."""
import pytest
from django.urls import URLPattern, resolve, reverse

from dashboard.views import containers, pods
from engine.podman.container_spec import NAME_RE


@pytest.mark.parametrize("module, detail", [(containers, "container-detail"), (pods, "pod-detail")])
def test_no_fixed_first_segment_is_a_possible_name(module, detail):
    fixed = [str(p.pattern).split("/", 1)[0] for p in module.urlpatterns
             if isinstance(p, URLPattern) and not str(p.pattern).startswith("<") and str(p.pattern)]
    assert all(not NAME_RE.match(word) for word in fixed), fixed


@pytest.mark.parametrize("name", ["new", "edit", "rename", "start", "x"])
def test_a_container_named_like_a_route_reaches_its_own_page(name):
    match = resolve(reverse("container-detail", kwargs={"scope": "user", "name": name}))
    assert match.url_name == "container-detail" and match.kwargs["name"] == name
