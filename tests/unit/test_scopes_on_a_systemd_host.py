"""Which scopes a host where systemd is PID 1 offers to root and to another account,
and which one each lands on (the facts behind it were seen on the test host)."""
import pytest

from dashboard.host import hoststack, scopes


@pytest.fixture
def systemd_host(monkeypatch, tmp_path):
    def as_uid(uid):
        monkeypatch.setattr(scopes, "_cached", None)  # the scopes are cached by the state file
        monkeypatch.setattr(scopes.os, "geteuid", lambda: uid)
        monkeypatch.setattr(hoststack, "load_state", lambda: None)
        monkeypatch.setattr(hoststack, "host_state", lambda: hoststack.HostStackState(
            embedded=False, runtime_dir=f"/run/user/{uid}", bus_address=f"unix:path=/run/user/{uid}/bus",
            podman_socket=f"/run/user/{uid}/podman/podman.sock"))
    return as_uid


def test_root_gets_only_the_system_scope(systemd_host):
    systemd_host(0)
    assert list(scopes.available_scopes()) == ["system"]
    assert scopes.default_scope_name() == "system"
    assert scopes.unusable_reason(scopes.get_scope("system")) == ""


def test_another_account_gets_both_and_lands_on_its_own(systemd_host):
    systemd_host(1000)
    assert set(scopes.available_scopes()) == {"system", "user"}
    assert scopes.default_scope_name() == "user"
    assert scopes.unusable_reason(scopes.get_scope("user")) == ""


def test_the_system_scope_says_why_an_account_cannot_use_it(systemd_host, monkeypatch):
    systemd_host(1000)
    monkeypatch.setattr(scopes.os, "access", lambda path, mode: False)
    reason = scopes.unusable_reason(scopes.get_scope("system"))
    assert "/run/podman/podman.sock" in reason and "uid 1000" in reason and "user scope" in reason


def test_the_embedded_stack_offers_only_the_user_scope(monkeypatch):
    monkeypatch.setattr(scopes, "_cached", None)
    monkeypatch.setattr(hoststack, "load_state", lambda: hoststack.HostStackState(
        embedded=True, runtime_dir="/run/user/0", bus_address="unix:path=/run/user/0/bus",
        podman_socket="/run/user/0/podman/podman.sock"))
    assert list(scopes.available_scopes()) == ["user"]
    assert scopes.default_scope_name() == "user"


class Operator:
    is_authenticated = True

    def has_perm(self, perm):
        return perm == "dashboard.operate"


def test_pages_offer_no_actions_in_a_scope_the_account_cannot_use(systemd_host, monkeypatch):
    """The list, its live rows and a unit's page all ask may_act_in (views.actions.operate_flag,
    the consumers, the template context): an operator logged in to a login user's
    Podhouse gets no buttons in the system scope, and keeps them in its own."""
    from dashboard.permissions import may_act_in
    systemd_host(1000)
    monkeypatch.setattr(scopes.os, "access", lambda path, mode: False)
    assert may_act_in(Operator(), "system") is False
    assert may_act_in(Operator(), scopes.get_scope("system")) is False
    assert may_act_in(Operator(), "user") is True and may_act_in(Operator(), None) is True
    systemd_host(0)
    assert may_act_in(Operator(), "system") is True


async def test_a_socket_this_account_may_not_reach_is_not_called_missing(monkeypatch):
    from engine.podman import client as podman_client
    from engine.podman.client import PodmanClient

    def refused(path):
        raise PermissionError(13, "Permission denied", path)

    async with PodmanClient("/run/podman/podman.sock") as client:
        monkeypatch.setattr(podman_client.os, "stat", refused)
        message = str(client._unavailable(ConnectionError("connect failed")))
    assert "permission denied" in message and "no such socket" not in message
