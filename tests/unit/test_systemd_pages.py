"""The units and audit pages' own logic, without systemd: formatting of properties,
url names, action guards, and the audit page's filters."""
import shlex

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from dashboard import audit
from dashboard.models import AuditEntry
from dashboard.views.units import (NO_VALUE, dom_id, format_bytes, format_commands, format_usec,
                                   unit_facts)


def test_format_bytes_and_unset_values():
    assert format_bytes(512) == "512 B"
    assert format_bytes(3 * 1024 * 1024 + 512 * 1024) == "3.5 MiB"
    assert format_bytes(NO_VALUE) == "—" and format_bytes(None) == "—"


def test_format_usec_is_utc_and_unset_is_a_dash():
    assert format_usec(1_700_000_000_000_000) == "2023-11-14 22:13:20 UTC"
    assert format_usec(0) == "—" and format_usec(NO_VALUE) == "—"


def test_format_commands_joins_argv():
    commands = [("/bin/sleep", ["/bin/sleep", "1000"], False, 0, 0, 0, 0, 0, 0, 0)]
    assert format_commands(commands) == ["/bin/sleep 1000"]
    assert format_commands(None) == []
    quoted = [("/bin/sh", ["/bin/sh", "-c", "echo 'a b' \"$HOME\""], False, 0, 0, 0, 0, 0, 0, 0)]
    assert shlex.split(format_commands(quoted)[0]) == quoted[0][1]
    spaced = [("/usr/bin/podman", ["/usr/bin/podman", "run", "--label", "a=b c"], False, 0, 0, 0, 0, 0, 0, 0)]
    assert format_commands(spaced) == ["/usr/bin/podman run --label 'a=b c'"]


def test_unit_facts_per_type():
    service = {"Description": "web", "LoadState": "loaded", "ActiveState": "active", "SubState": "running",
               "UnitFileState": "enabled", "ExecStart": [("/bin/sleep", ["/bin/sleep", "9"], False, 0, 0, 0, 0, 0, 0, 0)],
               "MainPID": 42, "MemoryCurrent": 2048, "NRestarts": 3, "Result": "success",
               "ActiveEnterTimestamp": 1_700_000_000_000_000}
    facts = dict(unit_facts(service))
    assert facts["ExecStart"] == "/bin/sleep 9" and facts["Main PID"] == "42"
    assert facts["Memory"] == "2.0 KiB" and facts["Restarts"] == "3"
    assert facts["State"] == "loaded / active / running"
    timer = {"LoadState": "loaded", "ActiveState": "active", "SubState": "waiting",
             "NextElapseUSecRealtime": 1_700_000_000_000_000, "LastTriggerUSec": 0}
    facts = dict(unit_facts(timer))
    assert facts["Next elapse"].startswith("2023-11-14") and facts["Last trigger"] == "—"
    assert "Main PID" not in facts
    socket = {"LoadState": "loaded", "ActiveState": "active", "SubState": "listening",
              "Listen": [("Stream", "/run/user/0/bus")]}
    assert dict(unit_facts(socket))["Listens on"] == "/run/user/0/bus (Stream)"


def test_dom_ids_are_stable_and_css_safe():
    assert dom_id("getty@tty1.service") == dom_id("getty@tty1.service")
    assert dom_id("a.service") != dom_id("b.service")
    assert all(c.isalnum() or c == "-" for c in dom_id("run-user-0-pk\\x2ddebconf.mount"))


def test_url_names():
    assert reverse("units", kwargs={"scope": "user"}) == "/user/units/"
    assert reverse("unit-detail", kwargs={"scope": "user", "name": "web.service"}) == "/user/units/web.service/"
    assert reverse("unit-action", kwargs={"scope": "user", "name": "web.service", "action": "stop"}) == (
        "/user/units/web.service/stop/")
    assert reverse("audit") == "/audit/"
    assert reverse("audit", kwargs={"scope": "user"}) == "/user/audit/"


@pytest.mark.django_db
def test_actions_want_post_and_a_known_action(client):
    User.objects.create_superuser("boss", password="pw")
    client.login(username="boss", password="pw")
    assert client.get("/user/units/web.service/stop/").status_code == 405
    assert client.post("/user/units/web.service/explode/").status_code == 404
    assert not AuditEntry.objects.exclude(action="login").exists()


@pytest.mark.django_db
def test_viewer_action_is_refused_and_audited_without_touching_systemd(client):
    User.objects.create_user("watcher", password="pw")
    client.login(username="watcher", password="pw")
    response = client.post("/user/units/phs-x.service/restart/")
    assert response.status_code == 403
    entry = AuditEntry.objects.exclude(action="login").get()
    assert (entry.username, entry.action, entry.scope, entry.target, entry.result) == (
        "watcher", "unit-restart", "user", "phs-x.service", "refused")


@pytest.mark.django_db
def test_audit_page_filters(client):
    boss = User.objects.create_superuser("boss", password="pw")
    audit.record(boss, "unit-start", scope="user", target="a.service", result="done", detail="Job for a.service done.")
    audit.record(boss, "unit-stop", scope="system", target="b.service", result="failed", detail="Job for b.service failed.")
    audit.record(None, "unit-stop", scope="user", target="c.service", result="refused")
    client.login(username="boss", password="pw")

    def targets(url):
        response = client.get(url)
        assert response.status_code == 200
        # the login itself is audited too (dashboard.login_throttle); this is about the actions
        return [e.target for e in response.context["page"] if e.action != "login"]

    assert targets("/audit/") == ["c.service", "b.service", "a.service"]
    assert targets("/user/audit/") == ["c.service", "a.service"]
    assert targets("/audit/?action=unit-stop") == ["c.service", "b.service"]
    assert targets("/audit/?result=failed") == ["b.service"]
    assert targets("/audit/?user=anonymous") == ["c.service"]
    assert targets("/audit/?q=a.service") == ["a.service"]
    assert targets("/audit/?q=nothing-like-this") == []
    page = client.get("/audit/?q=nothing-like-this").content.decode()
    assert "No entries match these filters" in page


def test_available_actions_follow_the_state():
    from dashboard.views.units import available_actions
    assert available_actions({"ActiveState": "inactive", "UnitFileState": "disabled"}) == ["start", "enable", "mask"]
    assert available_actions({"ActiveState": "active", "UnitFileState": "enabled", "CanReload": True}) == [
        "stop", "restart", "reload", "disable", "mask"]
    assert "reload" not in available_actions({"ActiveState": "active", "CanReload": False})
    assert available_actions({"ActiveState": "failed", "UnitFileState": "static"}) == ["start", "reset-failed", "mask"]
    assert available_actions({"ActiveState": "inactive", "UnitFileState": "masked"}) == ["unmask"]


def test_a_unit_whose_file_is_in_the_admins_unit_dir_is_not_offered_mask():
    from pathlib import Path

    from dashboard.views.units import available_actions, mask_refusal
    unit_dir = Path("/root/.config/systemd/user")
    own = {"Id": "x.service", "ActiveState": "inactive", "UnitFileState": "disabled",
           "FragmentPath": "/root/.config/systemd/user/x.service"}
    packaged = {**own, "FragmentPath": "/usr/lib/systemd/user/x.service"}
    assert "cannot be masked" in mask_refusal(own, unit_dir) and "x.service" in mask_refusal(own, unit_dir)
    assert mask_refusal(packaged, unit_dir) == ""
    assert "mask" not in available_actions(own, unit_dir)
    assert "mask" in available_actions(packaged, unit_dir)
