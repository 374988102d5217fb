"""Reads of the weekly study roster (青年大学习, R-TR-15).

A member counts for a week at the branch whose Membership was current at the week's cut-off, Tuesday
22:00 Asia/Shanghai (14:00 UTC): started_at <= cut-off < ended_at (or not ended). A completed transfer
ends the old row and starts the new one at the same instant (R-TR-12), so at any instant a member is in
exactly one branch, and a transfer completed before the cut-off counts at the new branch. At the old
branch that member is exempt for the week: their membership there ended by a transfer between Monday
00:00 and the cut-off. Pending transfers change nothing (a transfer counts only once completed)."""
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from members.models import Membership
from orgs.models import Organization, OrgType

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CUTOFF_DAY, CUTOFF_TIME = 2, dt.time(22, 0)  # ISO weekday 2: Tuesday
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def start(self) -> dt.datetime:
        """Monday 00:00 Asia/Shanghai."""
        return dt.datetime.combine(self.monday, dt.time(0, 0), tzinfo=SHANGHAI)

    @property
    def cutoff(self) -> dt.datetime:
        """Tuesday 22:00 Asia/Shanghai (no daylight saving there: always 14:00 UTC)."""
        day = dt.date.fromisocalendar(self.year, self.number, CUTOFF_DAY)
        return dt.datetime.combine(day, CUTOFF_TIME, tzinfo=SHANGHAI)

    @property
    def iso(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def shifted(self, weeks: int) -> "Week":
        return week_of(self.monday + dt.timedelta(weeks=weeks))


def week_of(day: dt.date) -> Week:
    year, number, _weekday = day.isocalendar()
    return Week(year, number)


def current_week(now: dt.datetime | None = None) -> Week:
    return week_of(timezone.localtime(now or timezone.now(), SHANGHAI).date())


def parse_week(week: str = "", date: str = "") -> Week | None:
    """`2026-W07` (an ISO week, as <input type=week> sends it) or `2026-02-11` (any day of that week)."""
    found = _WEEK.match((week or "").strip())
    if found:
        try:
            return week_of(dt.date.fromisocalendar(int(found[1]), int(found[2]), 1))
        except ValueError:
            return None
    try:
        return week_of(dt.date.fromisoformat((date or "").strip()))
    except ValueError:
        return None


def counted_q(cutoff: dt.datetime, prefix: str = "") -> Q:
    """The membership was current at the cut-off."""
    return (Q(**{f"{prefix}started_at__lte": cutoff})
            & (Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gt": cutoff})))


def exempt_q(week: Week, prefix: str = "") -> Q:
    """The membership ended by a completed transfer this week, no later than the cut-off."""
    return Q(**{f"{prefix}end_reason__startswith": "transfer:", f"{prefix}ended_at__gte": week.start,
                f"{prefix}ended_at__lte": week.cutoff})


def branch_counts(*, acting_org: Organization, week: Week, query: str = "") -> QuerySet[Organization]:
    """The subtree's branches, each with `counted` and `exempt`: one grouped query, however many branches.
    Dissolved branches are left out unless someone counted or was exempt there that week."""
    cutoff = week.cutoff
    qs = (Organization.objects.filter(path__startswith=acting_org.path, org_type=OrgType.BRANCH)
          .annotate(counted=Count("memberships__person", filter=counted_q(cutoff, "memberships__"), distinct=True),
                    exempt=Count("memberships__person", filter=exempt_q(week, "memberships__"), distinct=True))
          .filter(Q(is_active=True) | Q(counted__gt=0) | Q(exempt__gt=0))
          .select_related("parent").order_by("parent__full_name", "full_name", "pk"))
    if query:
        qs = qs.filter(full_name__contains=query.strip())
    return qs


def totals(*, acting_org: Organization, week: Week) -> dict[str, int]:
    """The whole subtree's figures in one query: people counted (each once) and exempt."""
    # Through the branches' path index and the memberships' branch index: org_path's index covers only
    # current rows, and the roster reads the history too.
    rows = Membership.objects.filter(branch__path__startswith=acting_org.path)
    return rows.aggregate(counted=Count("person", filter=counted_q(week.cutoff), distinct=True),
                          exempt=Count("person", filter=exempt_q(week), distinct=True),
                          branches=Count("branch", filter=counted_q(week.cutoff), distinct=True))


def _moved_to():
    """Where an exempt member went: the branch of their membership that started as this one ended."""
    return Subquery(Membership.objects.filter(person=OuterRef("person"), started_at=OuterRef("ended_at"))
                    .exclude(pk=OuterRef("pk")).values("branch__full_name")[:1], output_field=CharField())


def counted_members(*, branch: Organization, week: Week) -> QuerySet[Membership]:
    return (Membership.objects.filter(counted_q(week.cutoff), branch=branch).select_related("person")
            .order_by("person__name", "person_id"))


def exempt_members(*, branch: Organization, week: Week) -> QuerySet[Membership]:
    return (Membership.objects.filter(exempt_q(week), branch=branch).select_related("person")
            .annotate(moved_to=_moved_to()).order_by("person__name", "person_id"))


def roster_rows(*, acting_org: Organization, week: Week) -> QuerySet[Membership]:
    """Every row of the export: members counted and members exempt, by branch."""
    return (Membership.objects.filter(branch__path__startswith=acting_org.path)
            .filter(counted_q(week.cutoff) | exempt_q(week))
            .select_related("person", "branch__parent").annotate(moved_to=_moved_to())
            .order_by("branch__parent__full_name", "branch__full_name", "branch_id", "person__name", "person_id"))
