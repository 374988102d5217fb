"""Transfers of the organizational relationship (组织关系接转, R-TR)."""
import functools

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    """R-TR-13: the national list."""
    FURTHER_STUDY = "further_study", _("升学")
    EMPLOYED_WITH_ORG = "employed_with_org", _("已落实工作单位（工作单位有团组织）")
    EMPLOYED_WITHOUT_ORG = "employed_without_org", _("已落实工作单位（工作单位无团组织）")
    UNEMPLOYED = "unemployed", _("未落实就业去向")
    ENLISTED = "enlisted", _("参军入伍")
    ABROAD_OFFICIAL = "abroad_official", _("出国（境）（因公）")
    ABROAD_PRIVATE = "abroad_private", _("出国（境）（因私）")
    JOB_CHANGE = "job_change", _("工作调动")
    MOVED = "moved", _("迁居")
    OTHER = "other", _("其他")


class SystemReason(models.TextChoices):
    """Reasons only the system writes (issue 15): never offered in a form, where R-TR-13's national list stays the
    choice list (transfers.rules.check_reason refuses them with unknown_reason)."""
    REORGANIZATION = "reorganization", _("组织调整")  # a merge of branches (transfers/services/merging.py)


class ChoiceLabels(models.Model):
    """get_<field>_display from a table of the field's labels made once. Django's makes the field's choices hashable
    at every call, translating each label to hash it: four calls an inbox row were a fifth of its rendering (issue 13,
    docs/performance.md). The label is shown in the request's language, translated once for each language."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):   # Django's hook behind every get_<field>_display
        value = getattr(self, field.attname)
        return _label(field, value, get_language())


@functools.cache
def _labels(field) -> dict:
    return dict(field.flatchoices)


@functools.lru_cache(maxsize=1024)
def _label(field, value, language) -> str:
    """A label as shown in `language`, translated once: the catalogues are read at start and not reloaded."""
    return force_str(_labels(field).get(value, value), strings_only=True)


class TransferRequest(ChoiceLabels):
    class Status(models.TextChoices):
        PENDING = "pending", _("办理中")
        COMPLETED = "completed", _("已完成")
        REJECTED = "rejected", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Kind(models.TextChoices):
        SELF = "self", _("本人申请")           # R-TR-1
        TRANSFER_IN = "in", _("办理转入")      # R-TR-2, R-TR-4
        TRANSFER_OUT = "out", _("办理转出")    # R-TR-3, R-TR-5
        BATCH = "batch", _("批量接转")         # R-TR-9
        REORGANIZATION = "reorg", _("组织调整")  # issue 15: written complete by a merge, never started by anyone

    member = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="transfers",
                               db_index=False)  # transfer_member (member, created_at) serves it
    from_branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="transfers_out")
    to_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="transfers_in")
    to_branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")  # where the member landed
    reason = models.CharField(_("转接原因"), max_length=30, choices=[*Reason.choices, *SystemReason.choices])
    note = models.TextField(_("说明"), blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    initiated_by = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, related_name="+")
    initiating_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, related_name="+")
    batch_id = models.UUIDField(null=True, blank=True)  # transfer_batch: the few requests of a batch only
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # R-TR-10: one transfer in progress per member, whatever the code does.
            models.UniqueConstraint(fields=["member"], condition=Q(status="pending"), name="transfer_one_pending"),
        ]
        # Each index a request has is written again when it completes (the sweep completes ~45,000 a run, issue 13):
        # none repeats another's head, and the batch's holds only the requests of a batch.
        indexes = [models.Index(fields=["member", "created_at"], name="transfer_member"),
                   models.Index(fields=["batch_id"], name="transfer_batch", condition=Q(batch_id__isnull=False))]

    def __str__(self):
        return f"transfer {self.pk} ({self.status})"


class ApprovalStep(ChoiceLabels):
    class Kind(models.TextChoices):
        OUT = "out", _("转出审批")
        IN = "in", _("转入审批")
        ASSIGN = "assign", _("分配团支部")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        AUTO_APPROVED = "auto_approved", _("超时自动同意")
        REJECTED = "rejected", _("已退回")
        CANCELLED = "cancelled", _("已取消")

    request = models.ForeignKey(TransferRequest, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="approval_steps",
                            db_index=False)  # step_org_status (org, status) serves it
    org_path = models.CharField(max_length=255)  # copy of org.path: subtree counts need no join
    ORG_PATH_FROM = "org"  # orgs.services.move_org keeps the copy in step
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)  # R-TR-7; None for ASSIGN (never automatic)
    # Empty for every pending and automatically approved step: partial indexes (below) hold only the decided ones,
    # so writing a step that nobody decided touches neither.
    decided_by = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   db_index=False)
    acting_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", db_index=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=Q(status="pending"), name="step_one_pending"),
            models.CheckConstraint(condition=~Q(kind="assign") | Q(due_at__isnull=True), name="step_assign_never_due"),
        ]
        indexes = [
            models.Index(fields=["org", "status"], name="step_org_status"),
            models.Index(fields=["due_at"], name="step_due", condition=Q(status="pending")),
            # The dashboard's drill-down of pending and overdue steps, oldest first (reports.selectors.dashboard.
            # steps_behind): at the root a read of its first 50 entries; the path's range sorted every pending step
            # of the country (88–105 ms at 1,000,000 members → 0.6 ms; issue 13, docs/performance.md).
            models.Index(fields=["created_at", "id"], name="step_pending_created", condition=Q(status="pending")),
            # Covering: the subtree's pending counts (dashboard: pending, overdue, the inbox's share) are
            # index-only scans (docs/performance.md).
            models.Index(fields=["org_path"], name="step_path_pending", opclasses=["varchar_pattern_ops"],
                         include=["created_at"], condition=Q(status="pending")),
            # The dashboard's "approved automatically in the last 30 days" (R-TR-7), a range of its own.
            models.Index(fields=["org_path", "decided_at"], name="step_path_auto",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"], condition=Q(status="auto_approved")),
            models.Index(fields=["decided_by"], name="step_decided_by", condition=Q(decided_by__isnull=False)),
            models.Index(fields=["acting_org"], name="step_acting_org", condition=Q(acting_org__isnull=False)),
        ]

    def __str__(self):
        return f"{self.kind} step of {self.request_id} ({self.status})"


class Message(models.Model):
    """An in-app message (消息中心) about a transfer event, a reminder or an account change; e-mailed too when an
    address is on file. Issue 14: stored as a `code` and its `params`, rendered in the reader's language when shown
    (transfers/message_texts.py); `text` is what was written before codes (old rows show it) and, for new rows, the
    text in the writer's language, kept for the logs."""
    recipient = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="messages",
                                  db_index=False)  # message_unread (recipient, read_at) serves it
    request = models.ForeignKey(TransferRequest, on_delete=models.PROTECT, null=True, related_name="messages")
    # The step a step_opened message asks to decide: once decided, the message says what became of it.
    step = models.ForeignKey(ApprovalStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             db_index=False)
    event = models.CharField(max_length=30)
    code = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    text = models.CharField(max_length=300, blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)  # issue 14: e-mailed once (transfers/mail.py)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="message_unread")]

    def __str__(self):
        return self.text
