"""Reads of recruitment, scoped to a subtree (R-AUTH-1), with what pages touch preloaded."""
from django.db.models import Count, QuerySet
from django.utils import timezone

from orgs.models import Organization

from .models import OPEN, Application, Stage, StageEvent
from .services.reversal import latest_change
from .services.stages import training_hours

__all__ = ["applications_in", "stage_counts", "timeline", "overdue_approvals", "training_hours", "latest_change"]


def applications_in(org: Organization, *, stage: str = "") -> QuerySet[Application]:
    """Applications of branches in org's subtree (open ones unless a final stage is asked for)."""
    qs = Application.objects.filter(org_path__startswith=org.path).select_related("branch")
    qs = qs.filter(stage=stage) if stage else qs.filter(OPEN)
    return qs.order_by("-changed_at", "pk")


def stage_counts(org: Organization) -> dict[str, int]:
    rows = (Application.objects.filter(org_path__startswith=org.path).values("stage").annotate(n=Count("pk"))
            .order_by())
    counts = dict.fromkeys(Stage.values, 0)
    counts.update({row["stage"]: row["n"] for row in rows})
    return counts


def timeline(application: Application) -> list[StageEvent]:
    """Oldest first; each row's `undone` says whether a later reversal undid it (R-REC-13)."""
    events = list(application.events.select_related("actor", "acting_org").order_by("at", "pk"))
    undone = {e.reverses_id for e in events if e.reverses_id}
    for event in events:
        event.undone = event.pk in undone
    return events


def overdue_approvals(org: Organization, *, now=None) -> QuerySet[Application]:
    """R-REC-10: resolutions waiting for approval past their due time, in org's subtree."""
    return (Application.objects.filter(org_path__startswith=org.path, stage=Stage.PASSED,
                                       approval_due_at__lt=now or timezone.now())
            .select_related("branch").order_by("approval_due_at"))
