"""The status pipeline of a transfer, guarded in one place: opening steps, deciding them, completing.
Callers hold the request's row lock (parent first, then the step: STYLE.md).

Lock order (STYLE.md 3 and 10, R-TR-17), the same for every writer, so two may wait on each other, never deadlock:
  0. the branches a merge or a batch works on, FOR NO KEY UPDATE in ascending id (merging.py, batch.py), before
     anything below; a completion's insert takes FOR KEY SHARE on its branch, which never waits for these;
  1. TransferRequest, then its ApprovalStep (`lock`): approve, reject, assign_branch, withdraw, the sweep;
  2. Person, then the person's current Membership (`lock_members`), several people in ascending person id:
     every completion (`complete`), every start (start.py) and a batch, which takes them for all its members
     before it writes anything. members/services/lifecycle.py takes Person, LeagueStatusChange, Membership,
     so a leave and a transfer of one member queue on the Person row, and the second re-reads and refuses.
Whoever holds 2 never waits for a lock of 1: a batch or a start reads other requests without locking them (its
insert may wait, through the index transfer_one_pending, for a withdrawal or rejection to commit; those hold 1
only and wait for nothing in 2).
"""
import functools
import operator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from access.permissions import forget_admin_orgs
from audit.services import record, record_many, unsaved_event
from config.arrays import in_ids
from members.completeness import refresh_orgs
from members.models import CadrePost, Membership, Person
from orgs.models import OrgType

from ..models import ApprovalStep, TransferRequest
from ..notify import notify_after_commit, notify_all_after_commit


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
    # of=("self",): the step only; locking its organization too (the join) serialized every decision in it and
    # could wait in a circle with the share holds of orgs/locking.py.
    step = ApprovalStep.objects.select_for_update(of=("self",)).select_related("org").get(pk=step.pk)
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


def lock_members(person_ids) -> dict[int, Membership]:
    """R-TR-17: lock the people in ascending id, then their current memberships; {person id: membership}.
    The Person row always exists (a membership may end and another start), and lifecycle.py locks it too."""
    ids = sorted(set(person_ids))
    list(Person.objects.select_for_update().filter(in_ids("pk", ids)).order_by("pk").values_list("pk", flat=True))
    # A new statement after the locks: it reads what the previous holder of each lock committed.
    return {m.person_id: m for m in Membership.objects.select_for_update()
            .filter(in_ids("person_id", ids), ended_at__isnull=True).order_by("person_id")}


def not_in_branch() -> ValidationError:
    return ValidationError(_("该团员已不在转出的团支部（可能刚被转走或已离团），这项转接不能办结。"),
                           code="not_in_branch")


def complete(request: TransferRequest, branch, *, now=None, actor=None, membership=None) -> None:
    """R-TR-12: the membership moves in this transaction, the history kept; old-branch cadre posts end.
    R-TR-17: only from the request's from_branch, read under the member's lock (`membership` when the
    caller, a batch, already holds it)."""
    now = now or timezone.now()
    old = membership or lock_members([request.member_id]).get(request.member_id)
    if old is None or old.branch_id != request.from_branch_id:  # moved or left by another path meanwhile
        raise not_in_branch()
    old.ended_at, old.end_reason = now, f"transfer:{request.pk}"
    old.save(update_fields=["ended_at", "end_reason"])
    Membership.objects.create(person=request.member, branch=branch, org_path=branch.path, started_at=now)
    # R-TR-12: what they held in the old branch ends, pending posts too; rights read in this request go with it.
    CadrePost.objects.filter(person=request.member, org_id=old.branch_id, ended_at__isnull=True).update(ended_at=now)
    forget_admin_orgs()
    request.to_branch = branch
    finish(request, TransferRequest.Status.COMPLETED, now=now)
    refresh_orgs([old.branch_id, branch.pk])
    record(actor=actor, action="transfer.completed", target=request, from_branch=old.branch_id, to_branch=branch.pk)


def complete_all(requests: list[TransferRequest], branch, *, now, actor, memberships: dict[int, Membership]) -> None:
    """`complete` for many requests at once (a batch, R-TR-9): the same rows, events and messages, in a number of
    queries that does not grow with the requests. The caller holds every member's lock and passes what
    `lock_members` returned."""
    if not requests:
        return
    for request in requests:  # R-TR-17, as in `complete`
        old = memberships.get(request.member_id)
        if old is None or old.branch_id != request.from_branch_id:
            raise not_in_branch()
    olds = [memberships[r.member_id] for r in requests]
    for request, old in zip(requests, olds, strict=True):
        old.ended_at, old.end_reason = now, f"transfer:{request.pk}"
    Membership.objects.filter(pk__in=[old.pk for old in olds]).update(
        ended_at=now, end_reason=Case(*(When(pk=old.pk, then=Value(old.end_reason)) for old in olds)))
    Membership.objects.bulk_create([Membership(person_id=r.member_id, branch=branch, org_path=branch.path,
                                               started_at=now) for r in requests])
    # R-TR-12: what each held in the branch they left ends (their own old branch only).
    left = {}
    for old in olds:
        left.setdefault(old.branch_id, []).append(old.person_id)
    CadrePost.objects.filter(functools.reduce(operator.or_, (Q(org_id=b, person_id__in=p) for b, p in left.items())),
                             ended_at__isnull=True).update(ended_at=now)
    forget_admin_orgs()
    ids = [r.pk for r in requests]
    ApprovalStep.objects.filter(request_id__in=ids, status=ApprovalStep.Status.PENDING).update(
        status=ApprovalStep.Status.CANCELLED)
    TransferRequest.objects.filter(pk__in=ids).update(status=TransferRequest.Status.COMPLETED, finished_at=now,
                                                      to_branch=branch)
    for request in requests:
        request.status, request.finished_at, request.to_branch = TransferRequest.Status.COMPLETED, now, branch
    notify_all_after_commit("request_finished", ids)
    refresh_orgs({old.branch_id for old in olds} | {branch.pk})
    record_many([unsaved_event(actor=actor, action="transfer.completed", target=request, from_branch=old.branch_id,
                               to_branch=branch.pk) for request, old in zip(requests, olds, strict=True)])


def finish(request: TransferRequest, status: str, *, now) -> None:
    request.steps.filter(status=ApprovalStep.Status.PENDING).update(status=ApprovalStep.Status.CANCELLED)
    request.status, request.finished_at = status, now
    request.save(update_fields=["status", "finished_at", "to_branch"])
    notify_after_commit("request_finished", request.pk)
