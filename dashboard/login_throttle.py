"""Logins: every success and failure goes to the audit log, and too many failures
refuse further attempts for a while, by account and by address.

The failures are counted from the audit log itself (action "login", result "failed"),
not from a cache: the record exists anyway, it survives a restart, and every server
process sees the same count.  An account counts its failures since its last
successful login; an address counts all of its failures (someone with an account of
their own must not be able to reset the count for the address by logging in).
An attempt while refused is audited as "refused" and does not extend the wait.

The rule works inside Django's authenticate() (an authentication backend), so the
admin's login page is throttled as well as Podhouse's own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils import timezone

from dashboard import audit
from dashboard.models import AuditEntry

ACTION = "login"


@dataclass(frozen=True)
class Lockout:
    """Why attempts are refused and for how many more seconds."""
    by: str          # "account" or "address"
    seconds: int

    @property
    def message(self) -> str:
        minutes, seconds = divmod(self.seconds, 60)
        wait = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
        return (f"Too many failed logins from this {self.by}: try again in {wait}.")


def wait_seconds(failures: list[datetime], now: datetime, limit: int, window: timedelta) -> int:
    """Seconds until fewer than `limit` of these failure times fall within `window`
    before the moment; 0 when an attempt may be made now."""
    if limit <= 0:
        return 0
    recent = sorted((t for t in failures if now - t < window), reverse=True)
    if len(recent) < limit:
        return 0
    # The attempt is allowed again once the limit-th newest failure leaves the window.
    free_at = recent[limit - 1] + window
    return max(1, int((free_at - now).total_seconds() + 0.999))


def client_address(request) -> str:
    """The peer's address as the server saw it.  A proxy's X-Forwarded-For is not
    trusted: behind a proxy every attempt counts for the proxy's address."""
    return (request.META.get("REMOTE_ADDR") if request is not None else "") or "unknown"


def _detail(address: str) -> str:
    return f"from {address}"


def _failures(**match) -> list[datetime]:
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return list(AuditEntry.objects.filter(action=ACTION, result="failed", when__gte=timezone.now() - window, **match)
                .values_list("when", flat=True))


def lockout(username: str, address: str) -> Lockout | None:
    """The refusal in force for an attempt on this account from this address, if any."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    last_success = (AuditEntry.objects.filter(action=ACTION, result="ok", target=username)
                    .values_list("when", flat=True).first())
    account = [t for t in _failures(target=username) if last_success is None or t > last_success]
    waits = [
        ("account", wait_seconds(account, now, settings.LOGIN_FAILURES_PER_ACCOUNT, window)),
        ("address", wait_seconds(_failures(detail=_detail(address)), now, settings.LOGIN_FAILURES_PER_ADDRESS, window)),
    ]
    by, seconds = max(waits, key=lambda w: w[1])
    return Lockout(by, seconds) if seconds else None


class ThrottledModelBackend(ModelBackend):
    """Django's own backend, refusing before any password is checked while a lockout holds."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is not None:
            refused = lockout(str(username), client_address(request))
            if refused is not None:
                if request is not None:
                    request.login_lockout = refused
                raise PermissionDenied(refused.message)
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


@receiver(user_logged_in)
def _audit_success(sender, request, user, **kwargs):
    audit.record(user, ACTION, target=user.get_username(), result="ok", detail=_detail(client_address(request)))


@receiver(user_login_failed)
def _audit_failure(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")[:150]
    refused = getattr(request, "login_lockout", None) if request is not None else None
    entry = AuditEntry(user=None, username=username or "anonymous", action=ACTION, target=username,
                       result="refused" if refused else "failed", detail=_detail(client_address(request)))
    entry.save()


class LoginView(auth_views.LoginView):
    """Django's login page; while refused, it says why and for how long (HTTP 429)."""

    def form_invalid(self, form):
        refused = getattr(self.request, "login_lockout", None)
        if refused is None:
            return super().form_invalid(form)
        response = self.render_to_response(self.get_context_data(form=form, lockout=refused))
        response.status_code = 429
        return response
