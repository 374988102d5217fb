"""R-TR-7: approve OUT and IN steps left undecided for 15 days. Safe to run often and on many machines:
each request is locked with SKIP LOCKED, so a step someone is deciding right now is left alone."""
from django.db import transaction
from django.utils import timezone

from ..models import ApprovalStep, TransferRequest
from .flow import decide


def _due_steps(now):
    return (ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING, due_at__lte=now,
                                        kind__in=[ApprovalStep.Kind.OUT, ApprovalStep.Kind.IN])
            .order_by("due_at", "pk").values_list("pk", "request_id"))


def auto_approve_due(*, now=None, batch: int = 500) -> int:
    now = now or timezone.now()
    approved = 0
    # The list is taken once: steps this sweep opens start at `now` and are not due until later.
    for step_id, request_id in list(_due_steps(now)[:batch]):
        with transaction.atomic():
            request = (TransferRequest.objects.select_for_update(skip_locked=True)
                       .filter(pk=request_id).first())
            if request is None:  # an admin (or another sweep) is deciding it right now
                continue
            step = ApprovalStep.objects.select_for_update().get(pk=step_id)
            if step.status != ApprovalStep.Status.PENDING or request.status != TransferRequest.Status.PENDING:
                continue
            decide(request, step, status=ApprovalStep.Status.AUTO_APPROVED, now=now)
            approved += 1
    return approved
