"""Login throttling and the audit of logins (dashboard.login_throttle)."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from dashboard.login_throttle import Lockout, wait_seconds
from dashboard.models import AuditEntry

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=15)


def test_under_the_limit_there_is_no_wait():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert wait_seconds(failures, NOW, 5, WINDOW) == 0


def test_at_the_limit_the_wait_lasts_until_the_oldest_counted_failure_leaves_the_window():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 5)]
    assert wait_seconds(failures, NOW, 5, WINDOW) == 10 * 60
    # more failures than the limit: the limit-th newest one decides
    failures.append(NOW - timedelta(minutes=14))
    assert wait_seconds(failures, NOW, 5, WINDOW) == 10 * 60


def test_failures_older_than_the_window_do_not_count():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 16, 20)]
    assert wait_seconds(failures, NOW, 5, WINDOW) == 0


def test_a_wait_is_never_zero_while_refused_and_a_limit_of_zero_refuses_nothing():
    failures = [NOW - WINDOW + timedelta(milliseconds=10)] * 5
    assert wait_seconds(failures, NOW, 5, WINDOW) == 1
    assert wait_seconds([NOW] * 50, NOW, 0, WINDOW) == 0


def test_the_message_says_how_long():
    assert Lockout("account", 600).message == "Too many failed logins from this account: try again in 10 min 0 s."
    assert Lockout("address", 42).message == "Too many failed logins from this address: try again in 42 s."


def _attempt(client, username, password, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_ADDRESS=100)
def test_the_right_password_is_refused_after_too_many_wrong_ones_and_every_attempt_is_audited():
    User.objects.create_user("target", password="the-right-password-1")
    client = Client()
    for _ in range(3):
        assert _attempt(client, "target", "wrong").status_code == 200
    answer = _attempt(client, "target", "the-right-password-1")
    assert answer.status_code == 429
    # the wait counts from the first failure: 15 min less the seconds the attempts took
    assert re.search(r"Too many failed logins from this account: try again in 1[45] min", answer.content.decode())
    assert "_auth_user_id" not in client.session
    results = list(AuditEntry.objects.filter(action="login").order_by("when", "id").values_list("target", "result", "detail"))
    assert results == [("target", "failed", "from 10.0.0.1")] * 3 + [("target", "refused", "from 10.0.0.1")]
    # another account from the same address is not held back by this one's failures
    User.objects.create_user("other", password="other-password-1")
    assert _attempt(client, "other", "other-password-1").status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_ADDRESS=100)
def test_a_success_resets_the_accounts_count():
    User.objects.create_user("target", password="the-right-password-1")
    client = Client()
    for _ in range(2):
        _attempt(client, "target", "wrong")
    assert _attempt(client, "target", "the-right-password-1").status_code == 302
    assert AuditEntry.objects.filter(action="login", result="ok", target="target").count() == 1
    client.logout()
    for _ in range(2):
        _attempt(client, "target", "wrong")
    assert _attempt(client, "target", "the-right-password-1").status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_ACCOUNT=100, LOGIN_FAILURES_PER_ADDRESS=4)
def test_an_address_guessing_many_accounts_is_refused_and_other_addresses_are_not():
    User.objects.create_user("target", password="the-right-password-1")
    client = Client()
    for n in range(4):
        _attempt(client, f"guess{n}", "wrong", address="10.9.9.9")
    answer = _attempt(client, "target", "the-right-password-1", address="10.9.9.9")
    assert answer.status_code == 429
    assert "from this address" in answer.content.decode()
    assert _attempt(client, "target", "the-right-password-1", address="10.1.1.1").status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_ACCOUNT=2, LOGIN_FAILURES_PER_ADDRESS=100)
def test_the_admin_login_page_is_throttled_too():
    User.objects.create_superuser("boss", password="boss-password-1")
    client = Client()
    for _ in range(2):
        client.post("/admin/login/", {"username": "boss", "password": "wrong"}, REMOTE_ADDR="10.0.0.2")
    client.post("/admin/login/", {"username": "boss", "password": "boss-password-1"}, REMOTE_ADDR="10.0.0.2")
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login", target="boss", result="refused").count() == 1
