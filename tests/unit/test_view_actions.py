"""dashboard/views/actions.py: the redirect after an action stays on this site, and
`audited` writes one entry per action whatever happens."""
import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import RequestFactory

from dashboard.models import AuditEntry
from dashboard.views.actions import audited, go_next, safe_next
from engine.podman import PodmanError


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/",
                                    "http://evil.example/user/", "///evil.example/", "/\\/evil.example/",
                                    "javascript:alert(1)", "evil.example", " //evil.example/"])
def test_next_elsewhere_leads_home(target):
    request = RequestFactory().post("/user/containers/web/stop/", {"next": target})
    assert safe_next(request, target) == "/"
    assert go_next(request)["HX-Redirect"] == "/"


@pytest.mark.parametrize("target", ["/user/containers/", "/user/pods/shop/", "/user/images/?q=alpine"])
def test_next_on_this_site_is_followed(target):
    request = RequestFactory().post("/user/containers/web/stop/", {"next": target})
    response = go_next(request)
    assert response.status_code == 204 and response["HX-Redirect"] == target


def test_no_next_no_redirect():
    assert go_next(RequestFactory().post("/user/containers/web/stop/")) is None


def _request(user):
    request = RequestFactory().post("/user/things/web/stop/")

    async def auser():
        return user

    request.auser = auser
    return request


def _entries():
    return [(e.username, e.action, e.scope, e.target, e.result, e.detail)
            for e in AuditEntry.objects.order_by("id")]


@pytest.mark.django_db(transaction=True)
async def test_audited_records_ok_failed_refused_and_nothing_for_bad_input():
    boss = await sync_to_async(User.objects.create_user)("boss", password="x")
    request = _request(boss)

    async with audited(request, "thing-start", "user", target="web") as entry:
        entry.detail = "started"
    with pytest.raises(PodmanError):
        async with audited(request, "thing-stop", "user", target="web"):
            raise PodmanError("no such thing")
    with pytest.raises(KeyError):
        async with audited(request, "thing-kill", "user", target="web", refused=(KeyError,)):
            raise KeyError("not yours")
    with pytest.raises(ValueError):
        async with audited(request, "thing-form", "user", target="web", bad_input=(ValueError,)):
            raise ValueError("field x")
    async with audited(request, "thing-job", "user", target="all") as entry:
        entry.handed_over()
    async with audited(request, "thing-done", "user") as entry:
        entry.result, entry.target = "done", "later"

    assert await sync_to_async(_entries)() == [
        ("boss", "thing-start", "user", "web", "ok", "started"),
        ("boss", "thing-stop", "user", "web", "failed", "no such thing"),
        ("boss", "thing-kill", "user", "web", "refused", "'not yours'"),
        ("boss", "thing-done", "user", "later", "done", ""),
    ]
