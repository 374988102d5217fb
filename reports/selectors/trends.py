"""Issue 15: the acting organization's trend figures, read from the points kept per organization
(reports/trends.py): one query of at most 26 + 12 rows, whatever the subtree's size."""
import datetime as dt

from django.db.models import Q

from orgs.models import Organization

from ..models import TrendPoint
from ..trends import last_months, last_run, last_weeks

Kind = TrendPoint.Kind


def trends(org: Organization, *, now: dt.datetime) -> dict:
    """Per week (oldest first): transfers started and completed. Per month: members, and the share of them with a
    complete record (R-CMP) where a snapshot of that month knew it (None otherwise). `taken_at`: when the figures
    were last recorded (None: never yet); `complete_since`: the first month whose share is known."""
    weeks, months = last_weeks(now), last_months(now)
    points = {(p.kind, p.period): p for p in TrendPoint.objects.filter(org=org).filter(
        Q(kind=Kind.WEEK, period__gte=weeks[0]) | Q(kind=Kind.MONTH, period__gte=months[0]))}
    week_points = [points.get((Kind.WEEK, w)) for w in weeks]
    month_points = [points.get((Kind.MONTH, m)) for m in months]
    known = [m for m, p in zip(months, month_points, strict=True) if p is not None and p.complete is not None]
    return {
        "weeks": weeks, "months": months,
        "started": [p.started if p else 0 for p in week_points],
        "completed": [p.completed if p else 0 for p in week_points],
        "members": [p.members if p else None for p in month_points],
        "complete_pct": [round(100 * p.complete / p.members, 1) if p and p.complete is not None and p.members else None
                         for p in month_points],
        "taken_at": last_run(),
        "complete_since": known[0] if known else None,
    }
