"""Graduation season (R-TR-14): when a branch graduates, and which of its members do not leave with it.
Only reports/services.py writes these rows."""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BranchGraduation(models.Model):
    """A school committee's mark: this branch's members graduate around `expected_on`."""
    branch = models.OneToOneField("orgs.Organization", on_delete=models.PROTECT, related_name="graduation",
                                  verbose_name=_("团支部"))
    expected_on = models.DateField(_("预计毕业时间"))
    set_by = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("毕业班")
        verbose_name_plural = _("毕业班")
        indexes = [models.Index(fields=["expected_on"], name="graduation_expected")]

    def __str__(self):
        return f"{self.branch_id} → {self.expected_on:%Y-%m-%d}"


class GraduateFlag(models.Model):
    """One member of a graduating branch who does not follow the branch in `year`."""

    class Kind(models.TextChoices):
        DELAYED = "delayed", _("延期毕业")   # not a graduate this year: left out of the list
        KEPT = "kept", _("留校")             # stays at school (further study, abroad…): no transfer expected

    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="graduate_flags")
    year = models.PositiveSmallIntegerField(_("毕业年份"))
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    set_by = models.ForeignKey("members.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("毕业生标记")
        verbose_name_plural = _("毕业生标记")
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="graduate_flag_one_per_year"),
            models.CheckConstraint(condition=models.Q(kind__in=["delayed", "kept"]), name="graduate_flag_kind"),
        ]

    def __str__(self):
        return f"{self.person_id} {self.year} {self.kind}"


class ReminderLog(models.Model):
    """Issue 14: a reminder of one kind sent to one person in one period — the day (daily kinds), that week's Monday
    (weekly) or the month's first day (monthly), Asia/Shanghai. Written with the message, in its transaction, by an
    INSERT … ON CONFLICT DO NOTHING (reports/reminders.py): two schedulers at once send it once."""
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)  # members.ReminderOptOut.Kind
    period = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind", "period"], name="reminder_once_a_period")]

    def __str__(self):
        return f"{self.person_id} {self.kind} {self.period}"


class ReminderDigest(models.Model):
    """Issue 14: the day's one mail to a person, gathering that day's reminders (reports/reminder_mail.py)."""
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)  # set when mailed

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="reminder_digest_once_a_day")]

    def __str__(self):
        return f"{self.person_id} {self.day}"


class TrendPoint(models.Model):
    """Issue 15: one organization's subtree figures for one week or one month (Asia/Shanghai), for the dashboard's
    trend charts. Written only by reports/trends.py — by the scheduler (the current week and month) and by
    `manage.py backfill_trends` (what the timestamps can tell of the past) — and read one organization at a time,
    so a chart costs one index range whatever the subtree's size.

    A week's row: transfers that left or reached the subtree started in it and completed in it (exact from the
    transfers' timestamps). A month's row: the subtree's current members at the month's end (or at `taken_at`, for
    the month under way), and how many of them had a complete record (R-CMP) — only known from snapshots taken at
    the time, so null in a month the backfill wrote."""

    class Kind(models.TextChoices):
        WEEK = "week", _("周")
        MONTH = "month", _("月")

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    period = models.DateField()  # the week's Monday, the month's first day
    started = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    complete = models.PositiveIntegerField(null=True, blank=True)  # null: not known for that month
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "period"], name="trend_point_once"),
            models.CheckConstraint(condition=models.Q(kind__in=["week", "month"]), name="trend_point_kind"),
        ]

    def __str__(self):
        return f"{self.org_id} {self.kind} {self.period}"


class TrendRun(models.Model):
    """Issue 15: when reports/trends.py last wrote a kind of point (an unchanged point is not written again, so
    the points' own times do not tell): the dashboard's "recorded at", the scheduler's "due"."""
    kind = models.CharField(max_length=5)
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.kind} {self.taken_at:%Y-%m-%d %H:%M}"
