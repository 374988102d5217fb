"""Batch transfer (批量接转, R-TR-9): up to 30 members of one subordinate branch, at once, no approval."""
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as
from audit.services import record, refusals_audited
from members.models import Membership
from orgs.models import Organization, OrgType
from orgs.selectors import is_within

from ..models import TransferRequest
from ..rules import check_reason, pending_error
from .flow import complete_all, lock_members

BATCH_TYPES = {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH}


def _why_not(person_ids, *, from_branch, current: dict[int, int | None]) -> dict[int, tuple[str, str]]:
    """Per person, (code, message) of why they cannot move, or ("", "") when they can; current maps each
    person to their current branch id."""
    pending = set(TransferRequest.objects.filter(member_id__in=person_ids, status=TransferRequest.Status.PENDING)
                  .values_list("member_id", flat=True))
    out = {}
    for pk in person_ids:
        if current.get(pk) != from_branch.pk:  # R-TR-17
            out[pk] = ("not_in_branch", _("不是所选团支部的团员"))
        elif pk in pending:  # R-TR-10
            out[pk] = ("transfer_in_progress", _("已有一项正在办理的转接"))
        else:
            out[pk] = ("", "")
    return out


def precheck_codes(*, from_branch, members) -> dict[int, tuple[str, str]]:
    """The page's hint, read without locks: batch_transfer decides again under them (R-TR-17)."""
    current = dict(Membership.objects.filter(person__in=members, ended_at__isnull=True)
                   .values_list("person_id", "branch_id"))
    return _why_not([m.pk for m in members], from_branch=from_branch, current=current)


def precheck(*, acting_org, from_branch, members, to_branch) -> dict[int, str]:
    """Per person, why they cannot move ('' when they can): the batch page shows it before confirming."""
    return {pk: why for pk, (_code, why) in precheck_codes(from_branch=from_branch, members=members).items()}


def _check_size(members) -> None:
    if len(members) > settings.TRANSFER_BATCH_LIMIT:
        raise ValidationError(_("批量接转一次最多%(n)d人，您选了%(k)d人。") % {
            "n": settings.TRANSFER_BATCH_LIMIT, "k": len(members)}, code="batch_too_large")
    if not members:
        raise ValidationError({"members": ValidationError(_("请至少选择一名团员。"), code="required")})


def _check_orgs(acting_org, from_branch, to_branch) -> tuple[Organization, Organization]:
    """R-AUTH-4 on the rows as they are now, not the caller's copies: a branch may have been dissolved or
    moved since it was picked. Returns the fresh rows. The two branches are locked (FOR NO KEY UPDATE, ascending id,
    before the members: merging.py's order) so that a merge or a rebuild of either waits for this batch, or this
    batch for it and then reads the branch dissolved or rebuilt (issue 15)."""
    fresh = {o.pk: o for o in Organization.objects.select_for_update(no_key=True)
             .filter(pk__in=[from_branch.pk, to_branch.pk]).order_by("pk")}
    fresh[acting_org.pk] = Organization.objects.get(pk=acting_org.pk)
    acting_org = fresh[acting_org.pk]
    from_branch, to_branch = fresh[from_branch.pk], fresh[to_branch.pk]
    for org, field in ((from_branch, "from_branch"), (to_branch, "to_branch")):
        if not org.is_active:
            raise ValidationError({field: ValidationError(_("该团支部已撤销，请重新选择。"), code="target_not_active")})
        if org.org_type != OrgType.BRANCH:
            raise ValidationError({field: ValidationError(_("请选择一个有效的团支部。"), code="target_not_allowed")})
        if not is_within(org, acting_org) or org.pk == acting_org.pk:  # R-AUTH-4
            raise ValidationError({field: ValidationError(_("只能在本组织下属的团支部之间批量接转。"),
                                                          code="not_in_subtree")})
    if from_branch.pk == to_branch.pk:
        raise ValidationError({"to_branch": ValidationError(_("目标团支部与原团支部相同。"), code="same_branch")})
    return from_branch, to_branch


@refusals_audited("transfer.batch")
def batch_transfer(*, actor, acting_org: Organization, from_branch: Organization, members, to_branch: Organization,
                   reason: str, note: str = "") -> list[TransferRequest]:
    ensure_acting_as(actor, acting_org)
    if acting_org.org_type not in BATCH_TYPES:
        raise PermissionDenied(_("批量接转由团委、团工委或团总支的管理员办理。"))
    members = sorted({m.pk: m for m in members}.values(), key=lambda m: m.pk)  # R-TR-17: the lock order
    _check_size(members)
    check_reason(reason, note)
    now, batch = timezone.now(), uuid.uuid4()
    try:
        with transaction.atomic():  # R-TR-9: all or nothing
            # R-TR-17: every check below is made again here, after the locks; the page's pre-check was a hint.
            from_branch, to_branch = _check_orgs(acting_org, from_branch, to_branch)
            current = lock_members([m.pk for m in members])
            why = _why_not([m.pk for m in members], from_branch=from_branch,
                           current={pk: m.branch_id for pk, m in current.items()})
            problems = [ValidationError(f"{m.name}：{why[m.pk][1]}", code=why[m.pk][0]) for m in members
                        if why[m.pk][0]]
            if problems:
                raise ValidationError(problems)
            # One insert for every request, pending first, so transfer_one_pending still guards R-TR-10; then
            # one completion for all of them (flow.complete_all): the same queries for 3 members or 30.
            done = TransferRequest.objects.bulk_create([TransferRequest(
                member=person, from_branch=from_branch, to_org=to_branch, reason=reason, note=(note or "").strip(),
                kind=TransferRequest.Kind.BATCH, initiated_by=actor, initiating_org=acting_org, batch_id=batch,
                created_at=now) for person in members])
            complete_all(done, to_branch, now=now, actor=actor, memberships=current)
            record(actor=actor, action="transfer.batch", target=to_branch, acting_org=acting_org,
                   from_branch=from_branch.pk, count=len(done), batch=str(batch))
    except IntegrityError:  # R-TR-10: the database's own guard (transfer_one_pending)
        raise pending_error() from None
    return done
