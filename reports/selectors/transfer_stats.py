"""Transfer statistics by child organization (issue 6 item 4): how long the sides of the subtree take to
decide, the share approved automatically (R-TR-7), and rejections by the transfer's reason (R-TR-11/13).

A step belongs to the child whose subtree holds its organization: the step's org_path cut after the child's
segment, as members.lists.completion_by_child groups people. Steps of the acting organization itself form
one more row. The median is computed in the database: percentile_cont on PostgreSQL, the middle rows of a
window on SQLite. Five queries at any size.
"""
import datetime as dt
import statistics

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber, Substr
from django.utils import timezone

from orgs.models import SEGMENT, Organization
from transfers.models import ApprovalStep, Reason

PERIODS = (30, 90, 365)
DEFAULT_DAYS = 90
DECIDED = (ApprovalStep.Status.APPROVED, ApprovalStep.Status.AUTO_APPROVED, ApprovalStep.Status.REJECTED)
TOOK = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5) over an interval: the median, interpolated like statistics.median."""
    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def period_days(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in PERIODS else DEFAULT_DAYS


def decided_steps(org: Organization, *, days: int = DEFAULT_DAYS, now=None) -> QuerySet[ApprovalStep]:
    """OUT and IN steps of the subtree decided within the period. The initiating side's step (R-TR-2/3) is
    recorded as approved at the moment it is created: that is no decision, and it would pull medians to 0."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    return (ApprovalStep.objects.filter(org_path__startswith=org.path, kind__in=[ApprovalStep.Kind.OUT, ApprovalStep.Kind.IN],
                                        status__in=DECIDED, decided_at__gte=since, decided_at__gt=F("created_at"))
            .order_by())


def _medians(steps: QuerySet, key) -> dict:
    """{group: median duration}, computed by the database."""
    grouped = steps.annotate(group=key).values("group")
    if connection.vendor == "postgresql":
        return {r["group"]: r["median"] for r in grouped.annotate(median=Median(TOOK))}
    # SQLite has no percentile function: rank each group's durations in a window and fetch only the middle
    # one or two rows of each group, then average those two in Python.
    ranked = steps.annotate(group=key, took=TOOK).annotate(
        rank=Window(RowNumber(), partition_by=[F("group")], order_by=[F("took").asc(), F("pk").asc()]),
        size=Window(Count("pk"), partition_by=[F("group")]))
    middle = ranked.filter(Q(rank=(F("size") + 1) / 2) | Q(rank=(F("size") + 2) / 2)).values_list("group", "took")
    found: dict = {}
    for group, took in middle:
        found.setdefault(group, []).append(took)
    return {group: _mean(values) for group, values in found.items()}


def _mean(values: list[dt.timedelta]) -> dt.timedelta:
    return dt.timedelta(microseconds=round(statistics.fmean(v / dt.timedelta(microseconds=1) for v in values)))


def _figures(steps: QuerySet, key) -> dict:
    return {r["group"]: r for r in steps.annotate(group=key).values("group").annotate(
        decided=Count("pk"),
        auto=Count("pk", filter=Q(status=ApprovalStep.Status.AUTO_APPROVED)),
        rejected=Count("pk", filter=Q(status=ApprovalStep.Status.REJECTED)))}


def _rejections(steps: QuerySet, key) -> dict:
    """{group: {reason: n}}: a rejection ends its transfer (R-TR-11), so rejected steps count rejected requests."""
    out: dict = {}
    rows = (steps.filter(status=ApprovalStep.Status.REJECTED).annotate(group=key).values("group", "request__reason")
            .annotate(n=Count("pk")).values_list("group", "request__reason", "n"))
    for group, reason, n in rows:
        out.setdefault(group, {})[reason] = n
    return out


def transfer_stats(org: Organization, *, days: int = DEFAULT_DAYS, now=None) -> dict:
    """Rows for the acting organization itself (when it decided anything) and for each active child, and
    a total over the whole subtree."""
    steps = decided_steps(org, days=days, now=now)
    child = Substr("org_path", 1, len(org.path) + SEGMENT)
    figures, medians, rejections = _figures(steps, child), _medians(steps, child), _rejections(steps, child)
    whole = Value("all")
    total_median = _medians(steps, whole).get("all")

    def row(key, label_org, *, own=False) -> dict:
        f = figures.get(key, {})
        decided = f.get("decided", 0)
        return {"org": label_org, "own": own, "decided": decided, "auto": f.get("auto", 0),
                "rejected": f.get("rejected", 0), "auto_pct": round(100 * f.get("auto", 0) / decided) if decided else None,
                "median": medians.get(key), "reasons": _reason_rows(rejections.get(key, {}))}

    rows = [row(org.path, org, own=True)] if org.path in figures else []
    rows += [row(c.path, c) for c in Organization.objects.filter(parent=org, is_active=True).order_by("org_type", "full_name")]
    decided = sum(f["decided"] for f in figures.values())
    auto = sum(f["auto"] for f in figures.values())
    reasons: dict = {}
    for by_reason in rejections.values():
        for reason, n in by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + n
    total = {"decided": decided, "auto": auto, "rejected": sum(reasons.values()),
             "auto_pct": round(100 * auto / decided) if decided else None, "median": total_median,
             "reasons": _reason_rows(reasons)}
    return {"rows": rows, "total": total, "days": days}


def _reason_rows(counts: dict) -> list[dict]:
    """In the national list's order (R-TR-13), only the reasons that occurred."""
    return [{"reason": value, "label": label, "n": counts[value]} for value, label in Reason.choices if counts.get(value)]
