"""Demo graduation season (issue 6, item 2): the demo's 2022级 branches graduate next 30 June; one of their
members is a delayed graduate and one stays at school. Through the services (actor=None: the system);
running it again changes nothing.

`seed_roster_history` (item 3) gives the demo's people a past: everyone is entered at seed time, so without
it every week's roster before today would be empty. Like the demo transfers' ages, it is a direct write
of times on rows, as if time had passed."""
import datetime as dt
import re

from django.db.models import Exists, OuterRef
from django.utils import timezone

from members.models import CadrePost, Membership, ReminderOptOut
from orgs.models import Organization, OrgType
from orgs.naming import normalize_full_name
from orgs.upkeep import set_term_end
from transfers.models import TransferRequest

from .graduation import SHANGHAI
from .models import GraduateFlag, TrendPoint
from .reminders import KINDS, in_graduation_season, local_day, run_reminders, send
from .services import flag_graduate, set_graduation
from .trends import backfill, last_months

CLASS_OF = "2022级"
TERM_DUE_ORG = "北京示范科技有限公司团委"  # issue 15: its term ends 20 days after the seeding day
FLAGGED_BRANCH = "北京示范大学信息学院2022级2班团支部"


def next_30_june(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate(timezone=SHANGHAI)
    this_year = dt.date(today.year, 6, 30)
    return this_year if today <= this_year else dt.date(today.year + 1, 6, 30)


def _quiet_members(branch) -> list:
    """Members of the branch with no post and no transfer: the demo's other stories leave them alone."""
    return [m.person for m in Membership.objects.filter(branch=branch, ended_at__isnull=True)
            .exclude(person__in=CadrePost.objects.filter(ended_at__isnull=True).values("person"))
            .exclude(person__in=TransferRequest.objects.values("member"))
            .select_related("person").order_by("-pk")]


def seed_season() -> None:
    expected = next_30_june()
    branches = list(Organization.objects.filter(org_type=OrgType.BRANCH, is_active=True,
                                                full_name__contains=CLASS_OF).order_by("pk"))
    if not branches:
        return
    set_graduation(actor=None, acting_org=None, branches=branches, expected_on=expected)
    year = expected.year
    if GraduateFlag.objects.filter(year=year, person__memberships__branch__in=branches).exists():
        return
    branch = next((b for b in branches if b.full_name == FLAGGED_BRANCH), branches[0])
    quiet = _quiet_members(branch)
    if len(quiet) < 2:
        return
    flag_graduate(actor=None, acting_org=None, person=quiet[0], year=year, kind=GraduateFlag.Kind.DELAYED,
                  note=f"休学一年，{year + 1}年毕业")
    flag_graduate(actor=None, acting_org=None, person=quiet[1], year=year, kind=GraduateFlag.Kind.KEPT,
                  note="保送本校研究生")


def _joined_branch_on(branch_name: str, today: dt.date) -> dt.datetime:
    """1 September of the class year in the branch's name (2022级), else of last year; Asia/Shanghai."""
    found = re.search(r"(\d{4})级", branch_name)
    year = int(found[1]) if found else today.year - 1
    return dt.datetime(year, 9, 1, tzinfo=SHANGHAI)


def seed_roster_history() -> int:
    """Move the start of each person's first membership (not one a transfer started) back to when they
    joined the branch. Returns how many rows moved; a second run moves none."""
    today = timezone.localdate(timezone=SHANGHAI)
    earlier = Membership.objects.filter(person=OuterRef("person"), started_at__lt=OuterRef("started_at"))
    # A first membership has no earlier row; one a transfer started always has (the row it ended).
    first = Membership.objects.exclude(Exists(earlier)).select_related("branch")
    moved = 0
    for m in first:
        start = _joined_branch_on(m.branch.full_name, today)
        if m.started_at > start and (m.ended_at is None or m.ended_at > start):
            Membership.objects.filter(pk=m.pk).update(started_at=start)
            moved += 1
    return moved


def seed_reminders() -> dict[str, int]:
    """Issue 14: each kind of reminder in someone's message center. The reminders due now (the demo's overdue and
    nearly automatic steps, its incomplete records, members turning 28 and a committee's term ending), and outside the season the graduation
    season's as its first day would send them, dated today. Idempotent like the reminders themselves."""
    now = timezone.now()
    day = local_day(now)
    firm = Organization.objects.get(name_key=normalize_full_name(TERM_DUE_ORG), is_active=True)
    if firm.term_ends_on is None:  # issue 15: an election due soon (换届), on the due list and in a reminder
        set_term_end(actor=None, org=firm, term_ends_on=day + dt.timedelta(days=20))
    sent = run_reminders(now=now)
    if not in_graduation_season(day):
        first_day = dt.date(next_30_june(day).year, 5, 1)
        for kind in (ReminderOptOut.Kind.GRADUATION, ReminderOptOut.Kind.GRADUATION_LIST):
            sent[kind] += send(kind, KINDS[kind](now, first_day), now=now, day=day)
    return sent


HISTORY_MONTHS = 5  # months of complete-record history the demo shows on the dashboard


def seed_trends() -> dict[str, int]:
    """Issue 15: the dashboard's trend charts with a past. The backfill writes what the demo's rows tell (transfers
    per week, members at each month's end); the share of complete records is only known from snapshots taken at
    the time, so for the last few months the demo writes it as if the scheduler had taken them, rising towards
    today's (a direct write of history, like the transfers' ages). Running it again changes nothing."""
    written = backfill()
    *past, this = last_months(timezone.now())
    today = {p.org_id: p.complete / p.members for p in TrendPoint.objects.filter(
        kind=TrendPoint.Kind.MONTH, period=this, members__gt=0, complete__isnull=False)}
    for back, month in enumerate(reversed(past[-HISTORY_MONTHS:]), start=1):
        for point in TrendPoint.objects.filter(kind=TrendPoint.Kind.MONTH, period=month, complete__isnull=True):
            share = max(today.get(point.org_id, 0) - 0.12 * back, 0)
            TrendPoint.objects.filter(pk=point.pk).update(complete=round(point.members * share))
    return written
