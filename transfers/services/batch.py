"""Batch transfer (批量接转, R-TR-9): up to 30 members of one subordinate branch, at once, no approval."""
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited
from members.models import Membership
from orgs.models import Organization, OrgType
from orgs.permissions import ensure_acting_as
from orgs.selectors import is_within

from ..models import TransferRequest
from ..rules import check_reason, pending_error
from .flow import complete

BATCH_TYPES = {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH}


def precheck_codes(*, from_branch, members) -> dict[int, tuple[str, str]]:
    """Per person, (code, message) of why they cannot move, or ("", "") when they can."""
    current = dict(Membership.objects.filter(person__in=members, ended_at__isnull=True)
                   .values_list("person_id", "branch_id"))
    pending = set(TransferRequest.objects.filter(member__in=members, status=TransferRequest.Status.PENDING)
                  .values_list("member_id", flat=True))
    out = {}
    for person in members:
        if current.get(person.pk) != from_branch.pk:
            out[person.pk] = ("not_a_member", _("不是所选团支部的团员"))
        elif person.pk in pending:  # R-TR-10
            out[person.pk] = ("transfer_in_progress", _("已有一项正在办理的转接"))
        else:
            out[person.pk] = ("", "")
    return out


def precheck(*, acting_org, from_branch, members, to_branch) -> dict[int, str]:
    """Per person, why they cannot move ('' when they can): the batch page shows it before confirming."""
    return {pk: why for pk, (_code, why) in precheck_codes(from_branch=from_branch, members=members).items()}


def _check(acting_org, from_branch, members, to_branch) -> None:
    if len(members) > settings.TRANSFER_BATCH_LIMIT:
        raise ValidationError(_("批量接转一次最多%(n)d人，您选了%(k)d人。") % {
            "n": settings.TRANSFER_BATCH_LIMIT, "k": len(members)}, code="batch_too_large")
    if not members:
        raise ValidationError({"members": ValidationError(_("请至少选择一名团员。"), code="required")})
    for org, field in ((from_branch, "from_branch"), (to_branch, "to_branch")):
        # The row decides, not the caller's copy: the branch may have been dissolved since it was picked.
        if not Organization.objects.filter(pk=org.pk, is_active=True).exists():
            raise ValidationError({field: ValidationError(_("该团支部已撤销，请重新选择。"), code="target_not_active")})
        if org.org_type != OrgType.BRANCH:
            raise ValidationError({field: ValidationError(_("请选择一个有效的团支部。"), code="target_not_allowed")})
        if not is_within(org, acting_org) or org.pk == acting_org.pk:  # R-AUTH-4
            raise ValidationError({field: ValidationError(_("只能在本组织下属的团支部之间批量接转。"),
                                                          code="not_in_subtree")})
    if from_branch.pk == to_branch.pk:
        raise ValidationError({"to_branch": ValidationError(_("目标团支部与原团支部相同。"), code="same_branch")})


@refusals_audited("transfer.batch")
def batch_transfer(*, actor, acting_org: Organization, from_branch: Organization, members, to_branch: Organization,
                   reason: str, note: str = "") -> list[TransferRequest]:
    ensure_acting_as(actor, acting_org)
    if acting_org.org_type not in BATCH_TYPES:
        raise PermissionDenied(_("批量接转由团委、团工委或团总支的管理员办理。"))
    members = list({m.pk: m for m in members}.values())
    _check(acting_org, from_branch, members, to_branch)
    check_reason(reason, note)
    problems = {pk: found for pk, found in precheck_codes(from_branch=from_branch, members=members).items()
                if found[0]}
    if problems:
        names = {m.pk: m.name for m in members}
        raise ValidationError([ValidationError(f"{names[pk]}：{why}", code=code)
                               for pk, (code, why) in problems.items()])
    now, batch = timezone.now(), uuid.uuid4()
    done = []
    try:
        with transaction.atomic():  # all or nothing
            for person in members:
                request = TransferRequest.objects.create(
                    member=person, from_branch=from_branch, to_org=to_branch, reason=reason, note=(note or "").strip(),
                    kind=TransferRequest.Kind.BATCH, initiated_by=actor, initiating_org=acting_org, batch_id=batch,
                    created_at=now)
                complete(request, to_branch, now=now, actor=actor)
                done.append(request)
            record(actor=actor, action="transfer.batch", target=to_branch, acting_org=acting_org,
                   from_branch=from_branch.pk, count=len(done), batch=str(batch))
    except IntegrityError:
        raise pending_error() from None
    return done
