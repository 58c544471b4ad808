"""The audit log page: every action asked of Podhouse, allowed or refused, newest
first, with filters.  /audit/ shows all scopes, /<scope>/audit/ one scope."""
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import path

from dashboard.models import AuditEntry

PAGE_SIZE = 100
FILTERS = ("user", "action", "result", "q")


def audit_list(request, scope=None):
    entries = AuditEntry.objects.all()
    if scope:
        entries = entries.filter(scope=scope.name)
    chosen = {key: request.GET.get(key, "").strip() for key in FILTERS}
    if chosen["user"]:
        entries = entries.filter(username=chosen["user"])
    if chosen["action"]:
        entries = entries.filter(action=chosen["action"])
    if chosen["result"]:
        entries = entries.filter(result=chosen["result"])
    if chosen["q"]:
        entries = entries.filter(Q(target__icontains=chosen["q"]) | Q(detail__icontains=chosen["q"]))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    choices = AuditEntry.objects.all()
    return render(request, "audit/list.html", {
        "page": page, "scope": scope, "chosen": chosen,
        "usernames": choices.order_by("username").values_list("username", flat=True).distinct(),
        "actions": choices.order_by("action").values_list("action", flat=True).distinct(),
        "results": choices.order_by("result").values_list("result", flat=True).distinct(),
        "query_without_page": "&".join(f"{k}={v}" for k, v in chosen.items() if v),
    })


# Included at /audit/ and at /<scope>/audit/ by dashboard/urls.py; `reverse("audit")`
# picks the one that fits the arguments given.
urlpatterns = [path("", audit_list, name="audit")]
