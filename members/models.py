"""People (R-ENT), their branch membership and cadre posts (R-ORG-2/3, R-ENT-7), reset codes (R-ACC-2)."""
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from access.models import CadrePost  # noqa: F401  (the contract names it here: CONTRACT.md "members")

from .choices import DevNumberIssue, Gender, Verification
from .idnumber import mask_id_number
from .profile import EDUCATION_CHOICES, ETHNIC_CHOICES, OCCUPATION_CHOICES, PoliticalStatus


class PersonManager(BaseUserManager):
    def create_user(self, id_number, name="", password=None, **extra):
        person = self.model(id_number=id_number, name=name, **extra)
        if password:
            person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, id_number, name="管理员", password=None, **extra):
        return self.create_user(id_number, name, password, is_staff=True, is_superuser=True, **extra)


class Person(AbstractBaseUser, PermissionsMixin):
    class LeagueStatus(models.TextChoices):
        """团籍 under the 团章: normal, or one of the ways of leaving (members/services/lifecycle.py)."""
        NORMAL = "normal", _("正常")
        AGED_OUT = "aged_out", _("离团")
        LAPSED = "lapsed", _("自行脱团")
        WITHDREW = "withdrew", _("自愿退团")
        EXPELLED = "expelled", _("开除团籍")

    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices, blank=True)
    joined_on = models.DateField(_("入团时间"), null=True, blank=True)
    # NULL, not "", when absent: the unique constraint then only binds real numbers (R-ENT-4).
    development_number = models.CharField(_("发展团员编号"), max_length=12, null=True, blank=True, unique=True)
    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    verification_status = models.CharField(_("认证状态"), max_length=10, choices=Verification.choices,
                                           default=Verification.PENDING)
    verification_reason = models.CharField(_("认证不通过原因"), max_length=200, blank=True)
    override_reason = models.TextField(_("团中央统一录入说明"), blank=True)  # R-ENT-3
    ethnicity = models.CharField(_("民族"), max_length=10, choices=ETHNIC_CHOICES, blank=True)
    political_status = models.CharField(_("政治面貌"), max_length=15, choices=PoliticalStatus.choices, blank=True)
    full_time_education = models.CharField(_("全日制学历"), max_length=20, choices=EDUCATION_CHOICES, blank=True)
    highest_education = models.CharField(_("最高学历"), max_length=20, choices=EDUCATION_CHOICES, blank=True)
    work_unit = models.CharField(_("学习工作单位"), max_length=100, blank=True)
    province = models.CharField(_("所在地区（省）"), max_length=2, blank=True)
    city = models.CharField(_("所在地区（市）"), max_length=30, blank=True)
    occupation = models.CharField(_("职业"), max_length=20, choices=OCCUPATION_CHOICES, blank=True)
    party_joined_on = models.DateField(_("入党时间"), null=True, blank=True)
    league_card_number = models.CharField(_("团员证编号"), max_length=30, blank=True)
    # Derived and stored so lists can filter and superiors can count at scale (members/completeness.py).
    is_complete = models.BooleanField(_("信息完整"), default=False, db_index=True)
    dev_number_issue = models.CharField(_("发展团员编号问题"), max_length=10, choices=DevNumberIssue.choices,
                                        blank=True, db_index=True)
    # R-ACC-1: until a person sets a password, the last 8 characters of the ID number are it.
    password_set = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # 团籍 (issue 6 item 5): who left keeps their record; their membership ended then (LeagueStatusChange).
    league_status = models.CharField(_("团籍状态"), max_length=10, choices=LeagueStatus.choices,
                                     default=LeagueStatus.NORMAL, db_index=True)
    league_status_on = models.DateField(_("团籍状态变更日期"), null=True, blank=True)
    # Issue 14: the language of the person's mail (pages follow the page's language); set by the language switch.
    language = models.CharField(_("语言"), max_length=10, choices=[("zh-hans", "简体中文"), ("en", "English")],
                                default="zh-hans")  # settings.LANGUAGES

    objects = PersonManager()

    USERNAME_FIELD = "id_number"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        indexes = [models.Index(fields=["name"], name="person_name"),
                   # The turning-28 reminder and list read people by birth date, country-wide (issue 14).
                   models.Index(fields=["birth_date"], name="person_birth_date")]

    def __str__(self):
        return f"{self.name}（{self.masked_id_number}）"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def must_change_password(self) -> bool:
        return not self.password_set

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_set = raw_password is not None

    def check_password(self, raw_password):
        # R-ACC-1 without a per-person hash: bulk entry would otherwise cost ~0.2 s a person.
        if not self.password_set:
            return bool(raw_password) and constant_time_compare(raw_password, self.id_number[-8:])
        return super().check_password(raw_password)

    def has_usable_password(self):
        return self.password_set and super().has_usable_password()


class ReminderOptOut(models.Model):
    """Issue 14: a kind of reminder the person does not want (reports/reminders.py sends the kinds)."""

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("转接审批超时未处理（72 小时）")
        ESCALATION = "escalation", _("下级组织的审批超时未处理（督办，120 小时）")
        AUTO_SOON = "auto_soon", _("转接审批即将超时自动同意（48 小时内）")
        GRADUATION = "graduation", _("毕业季：办理组织关系转接（每周）")
        GRADUATION_LIST = "graduation_list", _("毕业季：本支部尚未办理转接的毕业生（每周）")
        TURNING_28 = "turning_28", _("本支部 90 天内年满 28 周岁的团员（每月）")
        INCOMPLETE = "incomplete", _("本支部信息不完整的人员（每月）")
        TERM_DUE = "term_due", _("本组织或下级组织 30 天内届满换届（每月）")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reminder_opt_outs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="reminder_opt_out_once")]

    def __str__(self):
        return f"{self.person_id}: {self.kind}"


class Membership(models.Model):
    """A person's organizational relationship (组织关系) in a branch; ended rows are the history (R-TR-12)."""
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="memberships",
                               db_index=False)  # membership_branch (branch, ended_at) serves it
    org_path = models.CharField(max_length=255)  # copy of branch.path: subtree counts need no join
    ORG_PATH_FROM = "branch"  # orgs.services.move_org keeps the copy in step
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            # R-ENT-7 / R-ORG-2: one current branch per person, whatever the code does.
            models.UniqueConstraint(fields=["person"], condition=Q(ended_at__isnull=True),
                                    name="membership_one_current_branch"),
        ]
        indexes = [
            models.Index(fields=["org_path"], name="membership_path", opclasses=["varchar_pattern_ops"],
                         condition=Q(ended_at__isnull=True)),
            models.Index(fields=["branch", "ended_at"], name="membership_branch"),
        ]

    def __str__(self):
        return f"{self.person_id} @ {self.branch_id}"


class ResetCode(models.Model):
    """R-ACC-2: single use, 24 hours, stored hashed, one live code per person."""
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reset_codes")
    code_hash = models.CharField(max_length=128)
    issued_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)  # used, replaced by a newer code, or guessed at
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(closed_at__isnull=True),
                                    name="reset_code_one_live"),
        ]

    def __str__(self):
        return f"reset code of {self.person_id}"


class NumberSegment(models.Model):
    """R-ENT-4a: a range of development numbers of one year, allocated to an organization's subtree."""
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="segments")
    org_path = models.CharField(max_length=255)
    ORG_PATH_FROM = "org"  # orgs.services.move_org keeps the copy in step
    year = models.PositiveSmallIntegerField(_("年份"))
    first = models.CharField(_("起始编号"), max_length=12)
    last = models.CharField(_("结束编号"), max_length=12)
    allocated_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(first__lte=models.F("last")), name="segment_ordered")]
        indexes = [models.Index(fields=["year", "first"], name="segment_year")]

    def __str__(self):
        return f"{self.first}–{self.last}"

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1


class ImportJob(models.Model):
    """An uploaded workbook checked, then imported, by tasks (issue 5, issue 14). Its state lives here, so the
    progress page survives a reload and a task re-reads it; only members/importing/jobs.py writes it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        CHECKING = "checking", _("正在检查")
        CHECKED = "checked", _("检查完成")
        IMPORTING = "importing", _("正在导入")
        DONE = "done", _("已导入")
        FAILED = "failed", _("未能完成")

    class Marked(models.TextChoices):
        """The file with its bad cells marked, built by a task once a check finds problems (issue 14)."""
        NONE = "", _("无")
        BUILDING = "building", _("正在生成")
        READY = "ready", _("可下载")
        FAILED = "failed", _("无法生成")

    actor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="import_jobs")
    acting_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("模板"), max_length=20)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_content = models.BinaryField()  # emptied once the job is done or failed: no personal data kept longer
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [row, header, code, message]; row 0: the whole file
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)  # the worker's heartbeat
    finished_at = models.DateTimeField(null=True, blank=True)
    marked = models.CharField(max_length=10, choices=Marked.choices, default=Marked.NONE, blank=True)
    marked_content = models.BinaryField(default=b"", blank=True)  # emptied with file_content

    class Meta:
        indexes = [models.Index(fields=["actor", "-created_at"], name="import_job_actor")]

    def __str__(self):
        return f"{self.file_name}（{self.get_status_display()}）"


class ExportJob(models.Model):
    """A large export built by a task (issue 14): the list's kind and filters as the page had them, its progress,
    then the file, which only its owner may download (each download audited). Only members/exporting/jobs.py
    writes it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        BUILDING = "building", _("正在生成")
        READY = "ready", _("可下载")
        FAILED = "failed", _("未能完成")

    actor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="export_jobs")
    acting_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    content = models.BinaryField(default=b"", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)  # the task's heartbeat
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["actor", "-created_at"], name="export_job_actor")]

    def __str__(self):
        return f"{self.kind} #{self.pk}（{self.get_status_display()}）"


class LeagueStatusChange(models.Model):
    """One change of a person's 团籍 (leaving, or restoration into a branch): the history, never edited but
    to decide it. 开除团籍 and its restoration wait for the branch's direct superior (members/services/lifecycle.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待上级审批")
        APPROVED = "approved", _("已生效")
        REJECTED = "rejected", _("未批准")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="league_changes")
    from_status = models.CharField(_("原状态"), max_length=10, choices=Person.LeagueStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=10, choices=Person.LeagueStatus.choices)
    effective_on = models.DateField(_("生效日期"))
    reason = models.TextField(_("原因"))
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")  # left or restored into
    org_path = models.CharField(max_length=255)  # copy of branch.path: subtree lists need no join
    ORG_PATH_FROM = "branch"  # orgs.services.move_org keeps the copy in step (before issue 11 it was left behind)
    requested_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    acting_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    approved_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)  # when decided, approved or not
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        constraints = [
            # One change at a time per person, whatever the code does.
            models.UniqueConstraint(fields=["person"], condition=Q(status="pending"), name="league_change_one_pending"),
            # Leaving starts from normal; restoration ends at normal; 离团 at 28 is never restored.
            models.CheckConstraint(condition=(Q(from_status="normal") & ~Q(to_status="normal"))
                                   | (Q(to_status="normal") & Q(from_status__in=["lapsed", "withdrew", "expelled"])),
                                   name="league_change_direction"),
            models.CheckConstraint(condition=Q(status="pending", approved_at__isnull=True)
                                   | (~Q(status="pending") & Q(approved_at__isnull=False)),
                                   name="league_change_decided_at"),
        ]
        indexes = [
            models.Index(fields=["org_path"], name="league_change_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["branch", "status"], name="league_change_branch"),
            models.Index(fields=["person", "-requested_at"], name="league_change_person"),
        ]

    def __str__(self):
        return f"{self.person_id}: {self.from_status} → {self.to_status} ({self.status})"

    @property
    def is_restoration(self) -> bool:
        return self.to_status == Person.LeagueStatus.NORMAL


class IdentityCase(models.Model):
    """R-VER-5: what an admin cannot fix alone, filed with evidence to the operators (the admins of the
    province's leading organ). Kinds are the seed's case 2 (two records tangled: an ID number R-VER-2 refuses
    because it is on record for someone else) and case 3 (a `failed` verification the filer believes wrong)."""

    class Kind(models.TextChoices):
        TANGLED = "tangled", _("两条记录身份信息混淆")
        WRONGLY_FAILED = "wrongly_failed", _("认证不通过有误")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        VERIFIED = "verified", _("已人工认证")
        UNTANGLED = "untangled", _("已理清记录")
        REJECTED = "rejected", _("已驳回")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identity_cases",
                               verbose_name=_("当事人"))
    # tangled: the record that holds the ID number the person's should be, and that number and name as filed
    other = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("另一条记录"))
    claimed_id_number = models.CharField(_("应为的身份证号"), max_length=18, blank=True)
    claimed_name = models.CharField(_("应为的姓名"), max_length=50, blank=True)
    note = models.TextField(_("情况说明"))
    filed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    filed_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.TextField(_("处理说明"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-pk"]
        constraints = [
            # one open case a person: a second would race the first's decision
            models.UniqueConstraint(fields=["person"], condition=Q(status="open"), name="identity_case_one_open"),
        ]
        indexes = [models.Index(fields=["province", "status", "filed_at"], name="identity_case_inbox")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class IdentityCasePhoto(models.Model):
    """The identity card's photo of a case, in the database (docs/decisions.md "Identity case photos"): never a
    file under MEDIA or static, served only by `cases:photo` to the case's parties, deleted 30 days after the case
    closes (`purge_case_photos`)."""
    case = models.OneToOneField(IdentityCase, on_delete=models.PROTECT, related_name="photo")
    content_type = models.CharField(max_length=20)  # set by us from the bytes, never the upload's word
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.content_type} {self.size} B"


class AgeExceptionBatch(models.Model):
    """R-ENT-11: what a province's leading organ forwards to the central organ at once — its requests waiting
    there, with the totals the seed names (the export of the batch is that list)."""
    province = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    forwarded_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    forwarded_at = models.DateTimeField(default=timezone.now)
    size = models.PositiveIntegerField(_("人数"), default=0)

    class Meta:
        ordering = ["-forwarded_at", "-pk"]
        indexes = [models.Index(fields=["province", "-forwarded_at"], name="age_batch_province")]

    def __str__(self):
        return f"{self.province_id} {self.forwarded_at:%Y-%m-%d} ({self.size})"


class AgeExceptionRequest(models.Model):
    """R-ENT-11: a request that the central organ enter someone R-ENT-2 refuses (R-ENT-3), filed by the branch that
    recruited them or its county-level committee, collected by the province, entered or returned by the centre."""

    class Status(models.TextChoices):
        FILED = "filed", _("待省级汇总")
        FORWARDED = "forwarded", _("已报送中央")
        ENTERED = "entered", _("已录入")
        RETURNED = "returned", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN = (Status.FILED, Status.FORWARDED)

    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    phone = models.CharField(_("联系方式（手机号码）"), max_length=11)
    joined_on = models.DateField(_("入团时间"))
    development_number = models.CharField(_("发展团员编号"), max_length=12, blank=True)
    explanation = models.TextField(_("情况说明"))
    # The branch the person is in now (当前所在团组织): they are entered there.
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("当前所在团组织"))
    org_path = models.CharField(max_length=255)  # copy of branch.path: subtree lists need no join
    ORG_PATH_FROM = "branch"
    province = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    filed_as = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    filed_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.FILED)
    batch = models.ForeignKey(AgeExceptionBatch, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="requests")
    decided_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    person = models.OneToOneField(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-filed_at", "-pk"]
        constraints = [
            # One open request per ID number, whoever files it.
            models.UniqueConstraint(fields=["id_number"], condition=Q(status__in=["filed", "forwarded"]),
                                    name="age_exception_one_open"),
            # Entered exactly when a person is linked: a second entry of one request has nowhere to go.
            models.CheckConstraint(condition=Q(status="entered", person__isnull=False)
                                   | (~Q(status="entered") & Q(person__isnull=True)),
                                   name="age_exception_entered_person"),
            models.CheckConstraint(condition=~Q(status="forwarded") | Q(batch__isnull=False),
                                   name="age_exception_forwarded_batch"),
        ]
        indexes = [
            models.Index(fields=["org_path"], name="age_exception_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["province", "status"], name="age_exception_province"),
            models.Index(fields=["status", "batch"], name="age_exception_status"),
        ]

    def __str__(self):
        return f"{self.name} ({self.status})"

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
