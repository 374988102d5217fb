"""The organization tree (R-ORG).

The parent link is the source of truth; `path` is a materialized copy of it (one fixed-width
base-36 segment per level, the organization's own id last) so that "is X within Y" is a string
prefix test and "Y's subtree" is one indexed `LIKE 'prefix%'` query at any depth
(docs/decisions.md has the measurements).
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .regions import REGION_CHOICES

SEGMENT = 6  # base-36 characters per level: 2.1 billion ids
SMALL_BRANCH = 3  # R-ORG-7: a branch with fewer members than this is to be dissolved or merged


def path_segment(pk: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while pk:
        pk, rem = divmod(pk, 36)
        out = digits[rem] + out
    return out.rjust(SEGMENT, "0")


class OrgType(models.TextChoices):
    LEADING = "leading", _("团的领导机关")
    COMMITTEE = "committee", _("团委")
    WORKING_COMMITTEE = "working_committee", _("团工委")
    GENERAL_BRANCH = "general_branch", _("团总支")
    BRANCH = "branch", _("团支部")


# R-ORG-1: what each type may contain.
ALLOWED_CHILDREN = {
    OrgType.LEADING: set(OrgType),
    OrgType.COMMITTEE: {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH},
    OrgType.WORKING_COMMITTEE: {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH},
    OrgType.GENERAL_BRANCH: {OrgType.BRANCH},
    OrgType.BRANCH: set(),
}


class Organization(models.Model):
    full_name = models.CharField(_("全称"), max_length=200)
    name_key = models.CharField(max_length=200, editable=False)  # R-ORG-5 comparison key
    name = models.CharField(_("简称"), max_length=100, blank=True)
    org_type = models.CharField(_("类型"), max_length=20, choices=OrgType.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("上级组织"))
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    region_code = models.CharField(_("所在地区"), max_length=2, choices=REGION_CHOICES)
    is_active = models.BooleanField(_("有效"), default=True)
    # R-CMP: whether the organization meets its type's completion standard (members/completeness.py).
    meets_standard = models.BooleanField(_("达到录入标准"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    dissolved_at = models.DateTimeField(null=True, blank=True)
    # Issue 15: when the current term (届) ends and the next election (换届) is due; reports/reminders.py reminds.
    term_ends_on = models.DateField(_("届满日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("团组织")
        verbose_name_plural = _("团组织")
        constraints = [
            models.UniqueConstraint(fields=["name_key"], condition=Q(is_active=True), name="org_active_name_unique"),
            models.CheckConstraint(condition=~Q(org_type="branch") | Q(parent__isnull=False), name="org_branch_has_parent"),
        ]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' under any collation.
            models.Index(fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "full_name"], name="org_children"),
            # the few organizations with a term date: the reminder and the due list read these only
            models.Index(fields=["term_ends_on"], name="org_term_ends", condition=Q(term_ends_on__isnull=False)),
        ]

    def __str__(self):
        return self.full_name

    @property
    def display_name(self) -> str:
        return self.name or self.full_name

    @property
    def is_branch(self) -> bool:
        return self.org_type == OrgType.BRANCH

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to self, read from the path: no query."""
        return [int(self.path[i:i + SEGMENT], 36) for i in range(0, len(self.path), SEGMENT)]


# The figures kept per organization and the former names live in their own modules; Django finds models through
# this one.
from .figures import OrgCurrent, OrgStats, OrgStatsDelta, PersonStatsMark, RequestStatsMark  # noqa: E402, F401
from .history import FormerName  # noqa: E402, F401
