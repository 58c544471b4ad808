"""Podhouse's own records.  Containers, pods, images and units live in Podman and
systemd, never in this database; what is stored here is who did what."""
from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One action asked of Podhouse: who, when, in which scope, on what, and the result."""

    when = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150)  # kept when the account is deleted
    scope = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=512, blank=True)
    result = models.CharField(max_length=32)  # "ok", "failed", "refused", or systemd's job result
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-when"]
        permissions = [("operate", "Can act: start, stop, create, remove, generate units")]

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.target}: {self.result}"


class UpdateRecord(models.Model):
    """One update (or roll back) of a container's image, kept so that an update that
    worked but is bad can be rolled back by hand to the image it replaced."""

    when = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150)
    scope = models.CharField(max_length=16)
    unit = models.CharField(max_length=256)
    container = models.CharField(max_length=256)
    reference = models.CharField(max_length=512)
    old_image_id = models.CharField(max_length=80)   # what ran before
    new_image_id = models.CharField(max_length=80)   # what was asked to run
    action = models.CharField(max_length=16, default="update")  # "update" or "roll back"
    outcome = models.CharField(max_length=32)       # engine.autoupdate's OUTCOMES
    message = models.TextField(blank=True)          # systemd's words, or why it failed

    class Meta:
        ordering = ["-when", "-id"]

    def __str__(self):
        return f"{self.when:%Y-%m-%d %H:%M:%S} {self.action} {self.container}: {self.outcome}"
