"""The audit trail (R-TR-16, R-AUTH-6): append-only, never a whole ID number.
Refused twice: here in the model layer (every database), and on PostgreSQL by triggers that refuse UPDATE and
DELETE whoever sends them. `audit.archive` is the one path that deletes, old rows only, once they are on file."""
import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    """Bulk writes would bypass the row guards below: the trail is append-only whichever way it is reached."""

    def update(self, **kwargs):
        raise ValueError("audit events are never edited")

    def delete(self):
        raise ValueError("audit events are never deleted")


class AuditEvent(models.Model):
    class Result(models.TextChoices):
        OK = "ok", _("成功")
        DENIED = "denied", _("无权限")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Empty for what the system does (the sweep writes ~150,000 such events a run, issue 13): partial indexes (below)
    # hold only the events someone did.
    actor = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    acting_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, related_name="+",
                                   db_index=False)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.OK)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor"], name="audit_actor", condition=models.Q(actor__isnull=False)),
            models.Index(fields=["acting_org"], name="audit_acting_org", condition=models.Q(acting_org__isnull=False)),
            # The reset-code guess limit counts one address's misses in a window (members/services/accounts.py):
            # a small partial index, not a scan of the whole trail.
            models.Index(fields=["ip", "at"], name="audit_reset_miss", condition=models.Q(action="account.reset_code_miss")),
        ]
        # Two triggers, so the archive can lift the one on DELETE (pgtrigger.ignore) and never the one on UPDATE.
        # TRUNCATE fires neither (row triggers): test flushes work; the table's privileges keep it from the app.
        triggers = [
            pgtrigger.Protect(name="audit_never_updated", operation=pgtrigger.Update),
            pgtrigger.Protect(name="audit_never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are never deleted")
