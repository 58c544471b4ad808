"""The scope in URLs: views get the Scope; a scope this host lacks is a 404 page in
the site's layout that says why; the header's switcher links to the scopes that exist."""
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import resolve, reverse

from dashboard.context import scope_switch
from dashboard.host import hoststack, scopes
from dashboard.urls import ScopeConverter

STATE = {"embedded": True, "runtime_dir": "/run/user/0", "bus_address": "unix:path=/run/user/0/bus",
         "podman_socket": "/run/user/0/podman/podman.sock"}


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host stack state file of our own: embedded (user only) unless a test says otherwise."""
    state_file = tmp_path / "state.json"
    monkeypatch.setattr(hoststack, "STATE_FILE", state_file)

    def make(embedded: bool = True):
        state_file.write_text(json.dumps({**STATE, "embedded": embedded}))
    make()
    return make


def test_the_converter_gives_the_scope_and_refuses_an_absent_one(host):
    converter = ScopeConverter()
    assert converter.to_python("user") == scopes.get_scope("user")
    with pytest.raises(ValueError):
        converter.to_python("system")
    assert converter.to_url(scopes.get_scope("user")) == "user" and converter.to_url("user") == "user"
    assert reverse("containers", kwargs={"scope": scopes.get_scope("user")}) == "/user/containers/"
    assert resolve("/user/containers/web/").kwargs["scope"] == scopes.get_scope("user")


@pytest.mark.django_db
def test_an_absent_scope_is_a_styled_404_that_says_why(host):
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "", "x"))
    response = client.get("/system/containers/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "No system scope on this host" in text and "systemd is not PID 1" in text
    assert 'class="topbar"' in text  # the site's layout
    assert 'href="/user/containers/"' in text


@pytest.mark.django_db
def test_an_anonymous_visitor_learns_nothing_of_the_scopes(host):
    response = Client().get("/system/containers/")
    assert response.status_code == 404 and "systemd" not in response.content.decode()


def test_the_switcher_links_to_the_same_area_in_the_scopes_that_exist(host, monkeypatch):
    assert [(s["name"], s["url"]) for s in scope_switch("/user/containers/web/", "user")] == [
        ("system", ""), ("user", "/user/containers/")]
    # A systemd host as root: the system scope only (root's own podman is the rootful one).
    host(embedded=False)
    monkeypatch.setattr(scopes, "_cached", None)
    monkeypatch.setattr(scopes.os, "geteuid", lambda: 0)
    assert [(s["name"], s["url"]) for s in scope_switch("/system/containers/web/", "system")] == [
        ("system", "/system/containers/"), ("user", "")]
    # ... and as another account: both.
    monkeypatch.setattr(scopes, "_cached", None)
    monkeypatch.setattr(scopes.os, "geteuid", lambda: 1000)
    assert [(s["name"], s["url"], s["current"]) for s in scope_switch("/user/containers/web/", "user")] == [
        ("system", "/system/containers/", False), ("user", "/user/containers/", True)]
    assert [s["url"] for s in scope_switch("/audit/", "user")] == ["/system/audit/", "/user/audit/"]
    assert [s["url"] for s in scope_switch("/user/", "user")] == ["/system/", "/user/"]
    assert [s["url"] for s in scope_switch("/login/", "user")] == ["/system/", "/user/"]
