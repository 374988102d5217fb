"""R-TR-7: approve OUT and IN steps left undecided for 15 days. Safe to run often and on many machines:
each request is locked with SKIP LOCKED, so a step someone is deciding right now is left alone."""
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import ApprovalStep, TransferRequest
from .flow import decide

log = logging.getLogger(__name__)


def _due_steps(now):
    return (ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING, due_at__lte=now,
                                        kind__in=[ApprovalStep.Kind.OUT, ApprovalStep.Kind.IN])
            .order_by("due_at", "pk").values_list("pk", "request_id"))


def auto_approve_due(*, now=None, batch: int = 500) -> int:
    now = now or timezone.now()
    approved = 0
    # The list is taken once: steps this sweep opens start at `now` and are not due until later.
    for step_id, request_id in list(_due_steps(now)[:batch]):
        try:
            approved += _approve_one(step_id, request_id, now=now)
        except ValidationError as exc:  # R-TR-17 not_in_branch: it stays pending for an admin to reject
            log.warning("transfer %s not approved automatically: %s", request_id, "; ".join(exc.messages))
    return approved


def _approve_one(step_id: int, request_id: int, *, now) -> int:
    with transaction.atomic():
        request = (TransferRequest.objects.select_for_update(skip_locked=True)
                   .filter(pk=request_id).first())
        if request is None:  # an admin (or another sweep) is deciding it right now
            return 0
        step = ApprovalStep.objects.select_for_update().get(pk=step_id)
        if step.status != ApprovalStep.Status.PENDING or request.status != TransferRequest.Status.PENDING:
            return 0
        decide(request, step, status=ApprovalStep.Status.AUTO_APPROVED, now=now)
        return 1
