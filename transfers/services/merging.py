"""Merging a branch into a sibling branch (合并团支部, issue 15; R-ORG-7: a branch too small is dissolved or merged).

Every current member moves to the sibling with their history, each move a completed transfer of the system-only
reason "组织调整" (SystemReason.REORGANIZATION: never offered in a form, R-TR-13's list stays the choice there); the
moves are `flow.complete_all`, a batch's completion, so R-TR-12 holds as for any completion (the membership moves,
a post held in the old branch ends) in a number of queries that does not grow with the members. Open transfers
leaving the merged branch are re-pointed to leave the sibling, those arriving at it arrive at the sibling; a transfer
between the two is refused with its name (the admin decides it first: docs/decisions.md "Merging branches"). Then
the merged branch is dissolved (its remaining posts end).

Lock order (transfers/services/flow.py): the two Organization rows (ascending id), then the open TransferRequests
touching the merged branch (ascending id), then their pending ApprovalSteps, then the members (Person, then
Membership, ascending person id). An approval holds a request before its member, as we do; the organizations are
locked FOR NO KEY UPDATE, which a writer inserting a row that points at them (FOR KEY SHARE) never waits for, so
two merges, or a merge and a completion, queue and never deadlock.
"""
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import CadrePost
from access.permissions import ensure_acting_as
from audit.services import record, refusals_audited
from config.arrays import in_ids
from members.models import Membership
from orgs.models import Organization, OrgType
from orgs.selectors import is_within
from orgs.services import dissolve_org

from ..models import ApprovalStep, SystemReason, TransferRequest
from ..notify import notify_all_after_commit
from ..rules import pending_error
from .flow import complete_all, lock_members


@dataclass
class MergePlan:
    """What a merge will do, as the confirmation page shows it (read without locks: a hint, R-TR-17)."""
    merged: Organization
    into: Organization
    members: int = 0
    cadres: int = 0
    leaving: list = field(default_factory=list)    # open transfers out of the merged branch: re-pointed
    arriving: list = field(default_factory=list)   # open transfers to the merged branch: re-pointed
    between: list = field(default_factory=list)    # open transfers between the two: the merge is refused


def may_merge(acting_org: Organization, merged: Organization) -> bool:
    """Who may merge (issue 15): an admin acting as an organization whose subtree holds the branch and its
    siblings, i.e. its parent or above; the branch's own admins may not merge their branch away."""
    return merged.pk != acting_org.pk and merged.parent_id is not None and is_within(merged, acting_org)


def sibling_branches(merged: Organization):
    """The branches it may merge into (same parent, active)."""
    return (Organization.objects.filter(parent_id=merged.parent_id, org_type=OrgType.BRANCH, is_active=True)
            .exclude(pk=merged.pk).order_by("full_name"))


def _open_touching(merged: Organization):
    return (TransferRequest.objects.filter(Q(from_branch=merged) | Q(to_org=merged),
                                           status=TransferRequest.Status.PENDING)
            .select_related("member", "from_branch", "to_org").order_by("pk"))


def _split(requests, merged: Organization, into: Organization) -> tuple[list, list, list]:
    leaving, arriving, between = [], [], []
    for r in requests:
        if {r.from_branch_id, r.to_org_id} == {merged.pk, into.pk}:
            between.append(r)
        elif r.from_branch_id == merged.pk:
            leaving.append(r)
        else:
            arriving.append(r)
    return leaving, arriving, between


def plan_merge(*, merged: Organization, into: Organization) -> MergePlan:
    """The counts and lists of the confirmation page: a fixed number of queries whatever the size."""
    leaving, arriving, between = _split(list(_open_touching(merged)), merged, into)
    return MergePlan(
        merged=merged, into=into,
        members=Membership.objects.filter(branch=merged, ended_at__isnull=True).count(),
        cadres=CadrePost.objects.held().filter(org=merged).count(),
        leaving=leaving, arriving=arriving, between=between)


def _lock_orgs(merged: Organization, into: Organization) -> tuple[Organization, Organization]:
    # FOR NO KEY UPDATE: two merges of these branches queue here, while a completion that inserts a membership
    # (its foreign key takes FOR KEY SHARE on the branch) while holding a member's lock never waits on us.
    rows = {o.pk: o for o in Organization.objects.select_for_update(no_key=True).filter(pk__in=[merged.pk, into.pk])
            .order_by("pk")}
    return rows[merged.pk], rows[into.pk]


def _check_pair(acting_org: Organization, merged: Organization, into: Organization) -> None:
    """The rules, on the rows as they are under the lock."""
    if merged.pk == into.pk:
        raise ValidationError({"into": ValidationError(_("不能把团支部合并到它自己。"), code="same_branch")})
    for org, key in ((merged, "merged"), (into, "into")):
        if not org.is_active:
            raise ValidationError({key: ValidationError(_("“%(name)s”已撤销，不能合并。") % {"name": org.full_name},
                                                        code="target_not_active")})
        if org.org_type != OrgType.BRANCH:
            raise ValidationError({key: ValidationError(_("“%(name)s”不是团支部，只能合并团支部。") % {
                "name": org.full_name}, code="target_not_allowed")})
    if merged.parent_id != into.parent_id:
        raise ValidationError({"into": ValidationError(_("只能合并到同一上级组织下的团支部。"), code="not_sibling")})
    if not (may_merge(acting_org, merged) and is_within(into, acting_org)):
        raise PermissionDenied(_("只有管理这两个团支部的上级组织的管理员可以合并团支部。"))


def _between_error(between) -> ValidationError:
    names = "、".join(f"{r.member.name}（{r.from_branch.full_name} → {r.to_org.full_name}）" for r in between)
    return ValidationError(_("这两个团支部之间还有正在办理的转接，请先同意、退回或撤回后再合并：%(list)s") % {"list": names},
                           code="transfer_between")


def _repoint(requests, steps, merged: Organization, into: Organization) -> list[int]:
    """Open transfers follow the merge: from the merged branch → from the sibling; to it → to the sibling; their
    pending steps at the merged branch are the sibling's to decide (R-AUTH-3: its admins, or the same parent's).
    Returns the re-pointed steps, whose deciders are told after commit."""
    ids = [r.pk for r in requests]
    TransferRequest.objects.filter(in_ids("pk", ids), from_branch=merged).update(from_branch=into)
    TransferRequest.objects.filter(in_ids("pk", ids), to_org=merged).update(to_org=into)
    moved = [s.pk for s in steps if s.org_id == merged.pk]
    ApprovalStep.objects.filter(in_ids("pk", moved)).update(org=into, org_path=into.path)
    return moved


@refusals_audited("org.merge")
def merge_branch(*, actor, acting_org: Organization, merged: Organization, into: Organization) -> list[TransferRequest]:
    """Merge `merged` into its sibling `into` (合并团支部); returns the completed transfers, one per member moved."""
    ensure_acting_as(actor, acting_org)
    if actor is not None and not (may_merge(acting_org, merged) and is_within(into, acting_org)):
        raise PermissionDenied(_("只有管理这两个团支部的上级组织的管理员可以合并团支部。"))
    now = timezone.now()
    try:
        with transaction.atomic():
            merged, into = _lock_orgs(merged, into)
            _check_pair(acting_org, merged, into)
            requests = list(_open_touching(merged).select_for_update(of=("self",)))
            steps = list(ApprovalStep.objects.select_for_update().filter(
                in_ids("request_id", [r.pk for r in requests]), status=ApprovalStep.Status.PENDING).order_by("pk"))
            leaving, arriving, between = _split(requests, merged, into)
            if between:
                raise _between_error(between)
            # R-TR-17: who is in the branch is read again under the members' locks; someone who arrived between the
            # two reads was not locked, and the merge is refused whole rather than leave them behind.
            seen = list(Membership.objects.filter(branch=merged, ended_at__isnull=True).values_list("person_id",
                                                                                                     flat=True))
            current = lock_members(seen)
            movers = {pk: m for pk, m in current.items() if m.branch_id == merged.pk}
            if Membership.objects.filter(branch=merged, ended_at__isnull=True).exclude(
                    in_ids("person_id", list(movers))).exists():
                raise ValidationError(_("合并时有人员刚转入该团支部，请刷新页面后重试。"), code="merge_changed")
            moved_steps = _repoint(requests, steps, merged, into)
            # Written complete, not pending: a member with an open transfer (re-pointed above) keeps it, and
            # transfer_one_pending (R-TR-10) binds pending rows only.
            done = TransferRequest.objects.bulk_create([TransferRequest(
                member_id=pk, from_branch=merged, to_org=into, to_branch=into,
                reason=SystemReason.REORGANIZATION, kind=TransferRequest.Kind.REORGANIZATION,
                status=TransferRequest.Status.COMPLETED, initiated_by=actor, initiating_org=acting_org,
                created_at=now, finished_at=now) for pk in sorted(movers)])
            complete_all(done, into, now=now, actor=actor, memberships=movers)
            # The acting organization was checked above and may stand above the parent that dissolve_org asks for:
            # it runs as the system here, and this merge's own event names the actor.
            dissolve_org(actor=None, org=merged)
            notify_all_after_commit("step_opened", moved_steps)
            record(actor=actor, action="org.merge", target=merged, acting_org=acting_org, into=into.pk,
                   members=len(done), leaving=[r.pk for r in leaving], arriving=[r.pk for r in arriving])
    except IntegrityError:  # R-TR-10's index, should an insert have raced us
        raise pending_error() from None
    return done
