"""Issue 15: the figures behind the dashboard's trend charts, kept per organization per week and per month
(reports.models.TrendPoint; docs/decisions.md "Trend charts from kept weekly and monthly figures").

The only writer of TrendPoint. Each figure is counted once for every organization at a time, set-based — one
query over the transfers of the window, one over the current memberships grouped by branch — and rolled up to
every ancestor in Python through the materialized paths (a path's prefixes of SEGMENT characters are its
ancestors), so a run costs the same whether one or all 100,000 organizations have figures. The dashboard then
reads one organization's rows, never a subtree's.

- `record_trends(now)`, from the scheduler (`run_schedule`, every TREND_EVERY): the current and the previous week,
  the current month (its members and complete records as of now — the month's point is its last snapshot).
- `backfill(now, weeks, months)`: what the past can tell — transfers started and completed per week from their
  timestamps; members at each month's end from the memberships' start and end; complete records only for the
  current month (R-CMP is a present state: the past months' share is not known, and left null).
"""
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from members.models import Membership
from orgs.figures import OrgStats
from orgs.models import SEGMENT, Organization
from orgs.selectors import uses_figures
from orgs.services import compact_figures
from transfers.models import TransferRequest

from .models import TrendPoint, TrendRun

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKS = 26     # the transfers chart: the last 26 weeks
MONTHS = 12    # the members and completion charts: the last 12 months
RUNS_KEPT = dt.timedelta(days=90)  # a run row is only "when did this last happen": older ones tell nothing
LOCK = 7_101_015  # pg_advisory_xact_lock: two schedulers write one set of points, one after the other
Kind = TrendPoint.Kind


# --- periods (Asia/Shanghai) --------------------------------------------------------------------------------

def local_day(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, SHANGHAI).date()


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def last_weeks(now: dt.datetime, n: int = WEEKS) -> list[dt.date]:
    this = week_of(local_day(now))
    return [this - dt.timedelta(weeks=k) for k in range(n - 1, -1, -1)]


def last_months(now: dt.datetime, n: int = MONTHS) -> list[dt.date]:
    this = month_of(local_day(now))
    return [add_months(this, -k) for k in range(n - 1, -1, -1)]


# --- counting, rolled up through the paths --------------------------------------------------------------------

def ancestors(path: str) -> list[str]:
    """The path of the organization itself and of each of its ancestors."""
    return [path[:end] for end in range(SEGMENT, len(path) + 1, SEGMENT)]


def transfers_by_week(since: dt.date, until: dt.date) -> tuple[Counter, Counter]:
    """(path, week) → transfers that left or reached that organization's subtree, started / completed in the
    week. A transfer between two branches of one subtree counts once there (the set of both ends' ancestors)."""
    started, completed = Counter(), Counter()
    window = (start_of(since), start_of(until))
    touched = Q(created_at__gte=window[0], created_at__lt=window[1]) | Q(
        status=TransferRequest.Status.COMPLETED, finished_at__gte=window[0], finished_at__lt=window[1])
    rows = (TransferRequest.objects.filter(touched).order_by()
            .values_list("created_at", "finished_at", "status", "from_branch__path", "to_org__path"))
    for created, finished, status, from_path, to_path in rows.iterator(chunk_size=5000):
        orgs = set(ancestors(from_path)) | set(ancestors(to_path))
        week = week_of(local_day(created))
        if since <= week < until:
            started.update((path, week) for path in orgs)
        if status == TransferRequest.Status.COMPLETED and finished is not None:
            week = week_of(local_day(finished))
            if since <= week < until:
                completed.update((path, week) for path in orgs)
    return started, completed


def members_by_org(at: dt.datetime | None = None) -> tuple[Counter, Counter | None]:
    """path → members of that subtree now (at=None) or at the moment `at`, and of them with a complete record
    (R-CMP) — now only: a past moment's completeness is not recorded anywhere (None). One query grouped by branch."""
    if at is None:
        current = Membership.objects.filter(ended_at__isnull=True)
    else:
        current = Membership.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at), started_at__lte=at)
    figures = {"n": Count("pk")}
    if at is None:
        figures["ok"] = Count("pk", filter=Q(person__is_complete=True))
    members, complete = Counter(), Counter() if at is None else None
    for row in current.order_by().values("org_path").annotate(**figures).iterator(chunk_size=5000):
        for path in ancestors(row["org_path"]):
            members[path] += row["n"]
            if complete is not None:
                complete[path] += row["ok"]
    return members, complete


# --- writing --------------------------------------------------------------------------------------------------

def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])


def _org_ids() -> dict[str, int]:
    return dict(Organization.objects.values_list("path", "pk").iterator(chunk_size=10000))


COLUMNS = "org_id, kind, period, started, completed, members, complete, taken_at"
# PostgreSQL: the new points of some periods, written where they differ, and the periods' other points removed — one
# statement. An hourly run changes few rows (an unchanged point is not written again), and never empties a chart
# someone is reading: the old points stay until the new ones replace them in the same transaction.
UPSERT = f"""
WITH new AS ({{rows}}),
gone AS (DELETE FROM {TrendPoint._meta.db_table} AS tp WHERE tp.kind = %(kind)s AND tp.period = ANY(%(periods)s::date[])
         AND NOT EXISTS (SELECT 1 FROM new WHERE new.o = tp.org_id AND new.p = tp.period))
INSERT INTO {TrendPoint._meta.db_table} AS tp ({COLUMNS})
SELECT o, %(kind)s, p, s, c, m, k, %(now)s FROM new
ON CONFLICT (org_id, kind, period) DO UPDATE SET started = EXCLUDED.started, completed = EXCLUDED.completed,
    members = EXCLUDED.members, complete = EXCLUDED.complete, taken_at = EXCLUDED.taken_at
WHERE (tp.started, tp.completed, tp.members, tp.complete)
      IS DISTINCT FROM (EXCLUDED.started, EXCLUDED.completed, EXCLUDED.members, EXCLUDED.complete)
"""
ARRAYS = ("SELECT * FROM unnest(%(o)s::bigint[], %(p)s::date[], %(s)s::int[], %(c)s::int[], %(m)s::int[], "
          "%(k)s::int[]) AS t(o, p, s, c, m, k)")
# The month under way from the subtree totals kept per organization (orgs/figures.py): members, and complete ones.
KEPT = (f"SELECT org_id AS o, %(month)s::date AS p, 0 AS s, 0 AS c, r_members AS m, "
        f"r_members - r_members_incomplete AS k FROM {OrgStats._meta.db_table} WHERE r_members > 0")


def _replace(kind: str, periods: list[dt.date], rows: list[tuple], *, now: dt.datetime) -> int:
    """Make the points of these periods rows of (org_id, period, started, completed, members, complete), in one
    transaction; returns the number of points."""
    with transaction.atomic():
        _lock()
        if connection.vendor == "postgresql":
            columns = list(zip(*rows, strict=True)) or [()] * 6
            with connection.cursor() as cursor:
                cursor.execute(UPSERT.format(rows=ARRAYS), {
                    "kind": kind, "periods": periods, "now": now, **{k: list(v) for k, v in zip("opscmk", columns, strict=True)}})
        else:
            TrendPoint.objects.filter(kind=kind, period__in=periods).delete()
            TrendPoint.objects.bulk_create([TrendPoint(org_id=o, kind=kind, period=p, started=s, completed=c, members=m,
                                                       complete=k, taken_at=now) for o, p, s, c, m, k in rows],
                                           batch_size=2000)
        _ran(kind, now)
    return len(rows)


def _ran(kind: str, now: dt.datetime) -> None:
    """Note the run and forget those older than RUNS_KEPT: hourly runs would otherwise add ~26,000 rows a year."""
    TrendRun.objects.create(kind=kind, taken_at=now)
    TrendRun.objects.filter(kind=kind, taken_at__lt=now - RUNS_KEPT).delete()


def write_weeks(weeks: list[dt.date], *, now: dt.datetime) -> int:
    started, completed = transfers_by_week(weeks[0], weeks[-1] + dt.timedelta(weeks=1))
    ids = _org_ids()
    rows = [(ids[path], week, started[(path, week)], completed[(path, week)], 0, None)
            for path, week in set(started) | set(completed) if path in ids]
    return _replace(Kind.WEEK, weeks, rows, now=now)


def write_month(month: dt.date, *, now: dt.datetime, at: dt.datetime | None = None) -> int:
    """The month's point: members now (at=None, with complete records) or at its end (`at`, the backfill). Now, on
    PostgreSQL: the subtree totals kept per organization, folded first — one statement, no count."""
    if at is None and uses_figures():
        compact_figures()
        with transaction.atomic():
            _lock()
            with connection.cursor() as cursor:
                cursor.execute(UPSERT.format(rows=KEPT), {"kind": Kind.MONTH, "periods": [month], "now": now,
                                                          "month": month})
            _ran(Kind.MONTH, now)
            return OrgStats.objects.filter(r_members__gt=0).count()
    members, complete = members_by_org(at)
    ids = _org_ids()
    rows = [(ids[path], month, 0, 0, n, None if complete is None else complete[path])
            for path, n in members.items() if n and path in ids]
    return _replace(Kind.MONTH, [month], rows, now=now)


def record_trends(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduler's run: this week and the last (a week that just ended is closed with its whole count), and
    this month as of now."""
    now = now or timezone.now()
    weeks = last_weeks(now, 2)
    return {"weeks": write_weeks(weeks, now=now), "months": write_month(last_months(now, 1)[0], now=now)}


def last_run() -> dt.datetime | None:
    return TrendRun.objects.order_by("-taken_at").values_list("taken_at", flat=True).first()


def is_due(*, now: dt.datetime, every: dt.timedelta) -> bool:
    last = last_run()
    return last is None or now - last >= every


def backfill(*, now: dt.datetime | None = None, weeks: int = WEEKS, months: int = MONTHS) -> dict[str, int]:
    """The past as far as the records tell it (see the module's docstring); the current periods as record_trends."""
    now = now or timezone.now()
    written = {"weeks": write_weeks(last_weeks(now, weeks), now=now), "months": 0}
    *past, this = last_months(now, months)
    # A month the scheduler already took keeps its snapshot: it knew the complete records, the backfill does not.
    taken = set(TrendPoint.objects.filter(kind=Kind.MONTH, period__in=past, complete__isnull=False)
                .values_list("period", flat=True).distinct())
    for month in past:
        if month not in taken:
            written["months"] += write_month(month, now=now, at=start_of(add_months(month, 1)))
    written["months"] += write_month(this, now=now)
    return written
