"""Writing the audit log: every action, allowed or refused, leaves one entry."""
from asgiref.sync import sync_to_async

from dashboard.models import AuditEntry


def record(user, action: str, *, scope: str = "", target: str = "", result: str = "ok",
           detail: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        username=getattr(user, "username", "") or "anonymous",
        scope=scope, action=action, target=target[:512], result=result, detail=detail,
    )


arecord = sync_to_async(record)
