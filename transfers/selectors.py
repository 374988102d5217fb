"""Reads of the transfer workflow."""
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from orgs.permissions import admin_org_ids

from .models import ApprovalStep, TransferRequest

STEP_RELATED = ("request__member", "request__from_branch", "request__to_org", "org", "org__parent")


def pending_steps(*, actor, acting_org) -> QuerySet[ApprovalStep]:
    """What actor, acting as acting_org, may decide: steps of acting_org and of its direct subordinates
    (R-AUTH-3), oldest (most overdue) first."""
    if acting_org is None or acting_org.pk not in admin_org_ids(actor):
        return ApprovalStep.objects.none()
    return (ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING)
            .filter(Q(org=acting_org) | Q(org__parent=acting_org))
            .select_related(*STEP_RELATED).order_by("created_at", "pk"))


def overdue_cutoff(now=None):
    return (now or timezone.now()) - settings.TRANSFER_OVERDUE_AFTER


def escalations(*, actor, acting_org, now=None) -> QuerySet[ApprovalStep]:
    """R-TR-8: overdue steps whose approvers answer to acting_org (the side's superior's superior)."""
    if acting_org is None or acting_org.pk not in admin_org_ids(actor):
        return ApprovalStep.objects.none()
    return (ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING, created_at__lt=overdue_cutoff(now))
            .filter(Q(org__parent__parent=acting_org) | Q(org__parent=acting_org, kind=ApprovalStep.Kind.ASSIGN))
            .select_related(*STEP_RELATED).order_by("created_at", "pk"))


def transfers_of(member) -> QuerySet[TransferRequest]:
    return (TransferRequest.objects.filter(member=member).select_related("from_branch", "to_org", "to_branch")
            .prefetch_related("steps__org", "steps__decided_by").order_by("-created_at", "-pk"))


def history(*, acting_org, status="", reason="", query="") -> QuerySet[TransferRequest]:
    """Transfers that left or reached the acting organization's subtree."""
    qs = (TransferRequest.objects.filter(Q(from_branch__path__startswith=acting_org.path)
                                         | Q(to_org__path__startswith=acting_org.path))
          .select_related("member", "from_branch", "to_org", "to_branch").order_by("-created_at", "-pk"))
    if status:
        qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    if query:
        qs = qs.filter(member__name__contains=query.strip())
    return qs
