"""The status pipeline of a transfer, guarded in one place: opening steps, deciding them, completing.
Callers hold the request's row lock (parent first, then the step: STYLE.md)."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from members.completeness import refresh_orgs
from members.models import CadrePost, Membership
from orgs.models import OrgType

from ..models import ApprovalStep, TransferRequest
from ..notify import notify_after_commit


def open_step(request: TransferRequest, kind: str, org, *, now=None) -> ApprovalStep:
    now = now or timezone.now()
    due = None if kind == ApprovalStep.Kind.ASSIGN else now + settings.TRANSFER_AUTO_APPROVE_AFTER  # R-TR-7
    step = ApprovalStep.objects.create(request=request, kind=kind, org=org, org_path=org.path, created_at=now,
                                       due_at=due)
    notify_after_commit("step_opened", step.pk)
    return step


def record_initiator_step(request: TransferRequest, kind: str, org, *, actor, acting_org, now) -> ApprovalStep:
    """R-TR-2/3: the initiating side counts as having approved; the step is kept for the timeline."""
    return ApprovalStep.objects.create(request=request, kind=kind, org=org, org_path=org.path, created_at=now,
                                       status=ApprovalStep.Status.APPROVED, decided_by=actor, acting_org=acting_org,
                                       decided_at=now)


def lock(step: ApprovalStep) -> tuple[TransferRequest, ApprovalStep]:
    # Parent first, always: two writers may wait on each other, never deadlock.
    request = TransferRequest.objects.select_for_update().get(pk=step.request_id)
    step = ApprovalStep.objects.select_for_update().select_related("org").get(pk=step.pk)
    return request, step


def ensure_pending(request: TransferRequest, step: ApprovalStep) -> None:
    if step.status != ApprovalStep.Status.PENDING or request.status != TransferRequest.Status.PENDING:
        raise ValidationError(_("这一步已经处理过了（可能刚被其他管理员或系统处理），请刷新页面。"),
                              code="step_not_pending")


def decide(request, step, *, status, actor=None, acting_org=None, comment="", now=None) -> None:
    """Close one OUT or IN step and move the request on (R-TR-1..7)."""
    now = now or timezone.now()
    step.status, step.decided_by, step.acting_org, step.decided_at, step.comment = (
        status, actor, acting_org, now, comment)
    step.save(update_fields=["status", "decided_by", "acting_org", "decided_at", "comment"])
    record(actor=actor, action=f"transfer.{step.kind}.{status}", target=request, acting_org=acting_org,
           step=step.pk, automatic=actor is None)
    notify_after_commit("step_decided", step.pk)
    if step.status == ApprovalStep.Status.REJECTED:
        finish(request, TransferRequest.Status.REJECTED, now=now)
    elif step.kind == ApprovalStep.Kind.OUT:
        in_done = request.steps.filter(kind=ApprovalStep.Kind.IN, status=ApprovalStep.Status.APPROVED).exists()
        after_in(request, now=now) if in_done else open_step(request, ApprovalStep.Kind.IN, request.to_org, now=now)
    elif step.kind == ApprovalStep.Kind.IN:
        after_in(request, now=now)


def after_in(request: TransferRequest, *, now) -> None:
    """R-TR-6: a branch's IN approval completes; a committee, working committee or general branch assigns."""
    if request.to_org.org_type == OrgType.BRANCH:
        complete(request, request.to_org, now=now)
    else:
        open_step(request, ApprovalStep.Kind.ASSIGN, request.to_org, now=now)


def complete(request: TransferRequest, branch, *, now=None, actor=None) -> None:
    """R-TR-12: the membership moves in this transaction, the history kept; old-branch cadre posts end."""
    now = now or timezone.now()
    old = Membership.objects.select_for_update().get(person=request.member, ended_at__isnull=True)
    old.ended_at, old.end_reason = now, f"transfer:{request.pk}"
    old.save(update_fields=["ended_at", "end_reason"])
    Membership.objects.create(person=request.member, branch=branch, org_path=branch.path, started_at=now)
    CadrePost.objects.filter(person=request.member, org_id=old.branch_id, ended_at__isnull=True).update(ended_at=now)
    request.to_branch = branch
    finish(request, TransferRequest.Status.COMPLETED, now=now)
    refresh_orgs([old.branch_id, branch.pk])
    record(actor=actor, action="transfer.completed", target=request, from_branch=old.branch_id, to_branch=branch.pk)


def finish(request: TransferRequest, status: str, *, now) -> None:
    request.steps.filter(status=ApprovalStep.Status.PENDING).update(status=ApprovalStep.Status.CANCELLED)
    request.status, request.finished_at = status, now
    request.save(update_fields=["status", "finished_at", "to_branch"])
    notify_after_commit("request_finished", request.pk)
