"""Recruitment (发展团员, issue 16): an application moving through the stages of docs/recruitment-rules.md (R-REC-*).
Only recruitment/services writes these rows; the new member is entered through members.services.enter_member."""
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.idnumber import mask_id_number


class Stage(models.TextChoices):
    APPLIED = "applied", _("申请入团")
    ACTIVIST = "activist", _("入团积极分子")
    CANDIDATE = "candidate", _("发展对象")
    PREREVIEWED = "prereviewed", _("已预审")
    NOTICE = "notice", _("公示中")
    PASSED = "passed", _("支部大会通过")
    APPROVED = "approved", _("上级已批准")
    MEMBER = "member", _("已入团")
    CLOSED = "closed", _("已终止")


FINAL_STAGES = (Stage.MEMBER, Stage.CLOSED)
OPEN = ~Q(stage__in=FINAL_STAGES)


class Application(models.Model):
    """One person's way into the league through one branch."""
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="applications")
    org_path = models.CharField(max_length=255)  # copy of branch.path: subtree lists need no join
    ORG_PATH_FROM = "branch"  # orgs.services.move_org keeps the copy in step
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.APPLIED)
    # R-REC-2
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    birth_date = models.DateField(_("出生日期"))
    work_unit = models.CharField(_("学习工作单位"), max_length=100, blank=True)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    applied_on = models.DateField(_("递交入团申请书日期"))
    expected_join_on = models.DateField(_("预计入团时间"))
    # R-REC-4
    activist_on = models.DateField(_("确定为入团积极分子日期"), null=True, blank=True)
    activist_decision = models.CharField(_("确定依据"), max_length=200, blank=True)
    introducer_1 = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("入团介绍人"))
    introducer_2 = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("入团介绍人"))
    # R-REC-6..8
    candidate_on = models.DateField(_("确定为发展对象日期"), null=True, blank=True)
    prereviewed_on = models.DateField(_("预审日期"), null=True, blank=True)
    notice_from = models.DateField(_("公示开始日期"), null=True, blank=True)
    # R-REC-9
    meeting_on = models.DateField(_("支部大会日期"), null=True, blank=True)
    meeting_entitled = models.PositiveIntegerField(_("应到会有表决权团员数"), null=True, blank=True)
    meeting_present = models.PositiveIntegerField(_("实到会有表决权团员数"), null=True, blank=True)
    meeting_for = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    meeting_against = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    meeting_abstain = models.PositiveIntegerField(_("弃权"), null=True, blank=True)
    form_number = models.CharField(_("入团志愿书编号"), max_length=30, blank=True)
    approval_due_at = models.DateTimeField(_("审批期限"), null=True, blank=True)
    # R-REC-10, R-REC-11
    approved_on = models.DateField(_("上级批准日期"), null=True, blank=True)
    oath_on = models.DateField(_("入团仪式日期"), null=True, blank=True)
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="applications", verbose_name=_("团员"))
    created_by = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # R-REC-2: one open application per ID number, whatever the code does.
            models.UniqueConstraint(fields=["id_number"], condition=OPEN, name="application_one_open_per_id"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="application_stage_valid"),
            # R-REC-4: two different introducers.
            models.CheckConstraint(condition=Q(introducer_1__isnull=True) | Q(introducer_2__isnull=True)
                                   | ~Q(introducer_1=F("introducer_2")), name="application_two_introducers"),
            # R-REC-9: the meeting's numbers add up.
            models.CheckConstraint(
                condition=Q(meeting_present__isnull=True)
                | Q(meeting_present__lte=F("meeting_entitled"),
                    meeting_present__gte=F("meeting_for") + F("meeting_against") + F("meeting_abstain")),
                name="application_votes_add_up"),
            # R-REC-11: a member's application names the person it made.
            models.CheckConstraint(condition=~Q(stage=Stage.MEMBER) | Q(person__isnull=False),
                                   name="application_member_has_person"),
        ]
        indexes = [
            models.Index(fields=["org_path"], name="application_path", opclasses=["varchar_pattern_ops"],
                         condition=OPEN),
            models.Index(fields=["branch", "stage"], name="application_branch"),
            models.Index(fields=["approval_due_at"], name="application_due", condition=Q(stage=Stage.PASSED)),
        ]

    def __str__(self):
        return f"{self.name}（{self.masked_id_number}）"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_open(self) -> bool:
        return self.stage not in FINAL_STAGES


class TrainingSession(models.Model):
    """R-REC-5: one 团课 attended, in 学时 (tenths)."""
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField(_("日期"))
    hours = models.DecimalField(_("学时"), max_digits=3, decimal_places=1)
    topic = models.CharField(_("内容"), max_length=100)
    recorded_by = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0, hours__lte=12), name="training_hours_range")]

    def __str__(self):
        return f"{self.held_on} {self.hours}"


ACTION_LABELS = {
    "apply": _("录入入团申请"), "activist": _("确定为入团积极分子"), "training": _("记录团课"),
    "candidate": _("确定为发展对象"), "prereview": _("上级预审通过"), "prereview_return": _("上级预审退回"),
    "notice": _("开始公示"), "meeting": _("支部大会通过"), "approve": _("上级批准入团"),
    "approve_return": _("上级退回支部大会决议"), "oath": _("入团仪式，录入团员"), "close": _("终止申请"),
    "reverse": _("撤销上一步"),
}


class StageEvent(models.Model):
    """R-REC-12: the application's timeline. Rows are never edited; a reversal (R-REC-13) is a row of its own that
    names the row it undoes, and `before` holds what that row's change had replaced."""
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20)
    from_stage = models.CharField(max_length=12, blank=True)
    to_stage = models.CharField(max_length=12)
    actor = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, related_name="+")
    acting_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")  # one reversal per change

    class Meta:
        indexes = [models.Index(fields=["application", "at"], name="stage_event_timeline")]

    def __str__(self):
        return f"{self.application_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("timeline rows are never edited")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))
