"""Deciding steps: approve, reject (R-TR-11), assign a branch (R-TR-4/6), withdraw (R-TR-11)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited
from orgs.locking import hold, hold_active
from orgs.models import Organization, OrgType
from orgs.selectors import is_within

from ..models import ApprovalStep, TransferRequest
from ..permissions import ensure_can_decide
from .flow import complete, decide, ensure_pending, finish, lock


def _wrong_kind(expected: str) -> ValidationError:
    return ValidationError(_("这一步是“%(kind)s”，不能这样处理。") % {"kind": ApprovalStep.Kind(expected).label},
                           code="wrong_step_kind")


@refusals_audited("transfer.approve")
def approve(*, actor, acting_org: Organization, step: ApprovalStep, comment: str = "") -> ApprovalStep:
    """Approve one side of a transfer, then open the next step or finish it."""
    ensure_can_decide(actor, acting_org, step)  # R-AUTH-3
    with transaction.atomic():
        # The target first (orgs before the request and people): an approval that completes the transfer reads the
        # target's type and path under its lock, so a rebuild, merge or move of it waits, or went first and is seen.
        target = hold(Organization(pk=TransferRequest.objects.values_list("to_org_id", flat=True)
                                   .get(pk=step.request_id)))
        request, step = lock(step)
        if request.to_org_id != target.pk:  # re-pointed by a merge between the two reads
            raise ValidationError(_("这项转接刚被调整（目标组织已合并），请刷新页面后再处理。"), code="step_not_pending")
        if step.kind == ApprovalStep.Kind.ASSIGN:
            raise _wrong_kind(step.kind)
        ensure_pending(request, step)
        decide(request, step, status=ApprovalStep.Status.APPROVED, actor=actor, acting_org=acting_org,
               comment=(comment or "").strip())
    return step


@refusals_audited("transfer.reject")
def reject(*, actor, acting_org: Organization, step: ApprovalStep, reason: str) -> ApprovalStep:
    """R-TR-11: a rejection needs a reason and ends the transfer."""
    ensure_can_decide(actor, acting_org, step)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("退回时请写明原因，申请人会看到它。"), code="reason_required")})
    with transaction.atomic():
        request, step = lock(step)
        if step.kind == ApprovalStep.Kind.ASSIGN:
            raise _wrong_kind(step.kind)
        ensure_pending(request, step)
        decide(request, step, status=ApprovalStep.Status.REJECTED, actor=actor, acting_org=acting_org, comment=reason)
    return step


@refusals_audited("transfer.assign")
def assign_branch(*, actor, acting_org: Organization, step: ApprovalStep, branch: Organization) -> TransferRequest:
    """R-TR-4/6: the target committee picks a branch of its subtree (R-AUTH-4: inside the acting subtree)."""
    ensure_can_decide(actor, acting_org, step)
    with transaction.atomic():
        request, step = lock(step)
        if step.kind != ApprovalStep.Kind.ASSIGN:
            raise _wrong_kind(step.kind)
        ensure_pending(request, step)
        # Held until the completion commits: a merge or dissolution of the branch waits, or went first (issue 15).
        hold_active(branch, field="branch", message=_("该团支部已撤销，请重新选择。"))
        branch = Organization.objects.get(pk=branch.pk)
        if branch.org_type != OrgType.BRANCH:
            raise ValidationError({"branch": ValidationError(_("请选择一个有效的团支部。"), code="target_not_allowed")})
        if not (is_within(branch, step.org) and is_within(branch, acting_org)):
            raise ValidationError({"branch": ValidationError(_("只能分配到本组织下属的团支部。"), code="not_in_subtree")})
        if branch.pk == request.from_branch_id:
            raise ValidationError({"branch": ValidationError(_("不能分配回原来的团支部。"), code="same_branch")})
        now = timezone.now()
        step.status, step.decided_by, step.acting_org, step.decided_at = (
            ApprovalStep.Status.APPROVED, actor, acting_org, now)
        step.comment = branch.full_name
        step.save(update_fields=["status", "decided_by", "acting_org", "decided_at", "comment"])
        record(actor=actor, action="transfer.assign", target=request, acting_org=acting_org, branch=branch.pk)
        complete(request, branch, now=now, actor=actor)
    return request


@refusals_audited("transfer.withdraw")
def withdraw(*, actor, request: TransferRequest) -> TransferRequest:
    """R-TR-11: the initiator (the member, for a self-service application) withdraws a pending transfer."""
    if actor is None or request.initiated_by_id != actor.pk:
        raise PermissionDenied(_("只有发起人可以撤回这项转接。"))
    with transaction.atomic():
        request = TransferRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != TransferRequest.Status.PENDING:
            raise ValidationError(_("这项转接已经办结，不能撤回。"), code="not_withdrawable")
        finish(request, TransferRequest.Status.WITHDRAWN, now=timezone.now())
        record(actor=actor, action="transfer.withdraw", target=request)
    return request
