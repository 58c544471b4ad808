"""Login, the first administrator, and refused actions leaving an audit entry."""
import io

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

from dashboard.models import AuditEntry
from dashboard.permissions import can_operate, operator_required

pytestmark = pytest.mark.django_db


def test_first_run_creates_admin_with_a_printed_password_stored_only_hashed():
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().split("password:")[1].split()[0]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    assert password not in admin.password  # a salted hash, never the text
    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "password" not in again.getvalue() and User.objects.count() == 1


@operator_required("demo-action")
def demo_view(request, scope, name):
    return HttpResponse("done")


def test_viewer_is_refused_and_audited():
    viewer = User.objects.create_user("viewer", password="x")
    request = RequestFactory().post("/user/things/web/stop/")
    request.user = viewer
    response = demo_view(request, scope="user", name="web")
    assert response.status_code == 403
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.scope, entry.target, entry.result) == (
        "viewer", "demo-action", "user", "web", "refused")


def test_operator_permission_lets_the_action_through():
    operator = User.objects.create_user("op", password="x")
    operator.user_permissions.add(Permission.objects.get(codename="operate"))
    operator = User.objects.get(pk=operator.pk)  # permissions are cached per instance
    request = RequestFactory().post("/")
    request.user = operator
    assert can_operate(operator)
    assert demo_view(request, scope="user", name="web").content == b"done"
    assert not AuditEntry.objects.exists()


def test_anonymous_cannot_operate():
    assert not can_operate(AnonymousUser())
