"""Starting a transfer: self-service (R-TR-1), transfer in (R-TR-2/4), transfer out (R-TR-3/5)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as
from audit.services import record, refusals_audited
from members.idnumber import normalize_id_number
from members.models import Person
from members.rules import normalize_name
from orgs.models import Organization, OrgType

from ..models import ApprovalStep, TransferRequest
from ..rules import check_none_pending, check_reason, check_target, hold_target, pending_error
from .flow import lock_members, open_step, record_initiator_step

ADMIN_TYPES = {OrgType.BRANCH, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH}


def _current_branch(person: Person, *, field="member") -> Organization:
    """Under the person's lock (flow.py's lock order): a batch or a completion running now finishes first,
    and the transfer starts from where it left the member, never from a branch they have just left."""
    m = lock_members([person.pk]).get(person.pk)
    if m is None:
        raise ValidationError({field: ValidationError(_("此人目前不是任何团支部的团员，无法办理转接。"),
                                                      code="not_a_member")})
    return Organization.objects.get(pk=m.branch_id)


def _create(*, member, from_branch, to_org, reason, note, kind, actor, acting_org, now) -> TransferRequest:
    try:
        with transaction.atomic():
            return TransferRequest.objects.create(
                member=member, from_branch=from_branch, to_org=to_org, reason=reason, note=(note or "").strip(),
                kind=kind, initiated_by=actor, initiating_org=acting_org, created_at=now)
    except IntegrityError:  # R-TR-10: a concurrent start got there first; the database said no
        raise pending_error() from None


@refusals_audited("transfer.apply")
def apply_for_transfer(*, member: Person, to_org: Organization, reason: str, note: str = "") -> TransferRequest:
    """R-TR-1: the member applies; OUT by their branch side, then IN by the target side."""
    check_reason(reason, note)
    with transaction.atomic():
        hold_target(to_org)
        from_branch = _current_branch(member)
        check_target(to_org, from_branch)
        check_none_pending(member)
        now = timezone.now()
        request = _create(member=member, from_branch=from_branch, to_org=to_org, reason=reason, note=note,
                          kind=TransferRequest.Kind.SELF, actor=member, acting_org=None, now=now)
        open_step(request, ApprovalStep.Kind.OUT, from_branch, now=now)
        record(actor=member, action="transfer.apply", target=request, to_org=to_org.pk, reason=reason)
    return request


def ensure_may_transfer(actor, acting_org) -> None:
    ensure_acting_as(actor, acting_org)
    if acting_org.org_type not in ADMIN_TYPES:
        raise PermissionDenied(_("团的领导机关不直接办理组织关系转接，请切换到团委、团工委、团总支或团支部。"))


def find_member(id_number, name) -> Person:
    """R-TR-2 look-up: the name must match the ID number; the person must be a league member."""
    person = Person.objects.filter(id_number=normalize_id_number(id_number)).first()
    if person is None:
        raise ValidationError({"id_number": ValidationError(_("没有找到该身份证号的团员，请核对。"),
                                                            code="person_not_found")})
    if person.name != normalize_name(name):
        raise ValidationError({"name": ValidationError(_("姓名与身份证号不一致，请核对。"), code="name_mismatch")})
    return person


@refusals_audited("transfer.in")
def transfer_in(*, actor, acting_org: Organization, id_number, name, reason: str, note: str = "") -> TransferRequest:
    """R-TR-2 (a branch) and R-TR-4 (a committee: assigns a branch after the OUT approval)."""
    ensure_may_transfer(actor, acting_org)
    check_reason(reason, note)
    person = find_member(id_number, name)
    with transaction.atomic():
        hold_target(acting_org)
        from_branch = _current_branch(person, field="id_number")
        check_target(acting_org, from_branch)
        check_none_pending(person)
        now = timezone.now()
        request = _create(member=person, from_branch=from_branch, to_org=acting_org, reason=reason, note=note,
                          kind=TransferRequest.Kind.TRANSFER_IN, actor=actor, acting_org=acting_org, now=now)
        record_initiator_step(request, ApprovalStep.Kind.IN, acting_org, actor=actor, acting_org=acting_org, now=now)
        open_step(request, ApprovalStep.Kind.OUT, from_branch, now=now)
        record(actor=actor, action="transfer.in", target=request, acting_org=acting_org, reason=reason)
    return request


@refusals_audited("transfer.out")
def transfer_out(*, actor, acting_org: Organization, member: Person, to_org: Organization, reason: str,
                 note: str = "") -> TransferRequest:
    """R-TR-3 (the member's branch) and R-TR-5 (its direct superior, for a subordinate branch's member)."""
    ensure_may_transfer(actor, acting_org)
    check_reason(reason, note)
    with transaction.atomic():
        hold_target(to_org)
        from_branch = _current_branch(member)
        if acting_org.pk not in (from_branch.pk, from_branch.parent_id):
            raise PermissionDenied(_("只能为本团支部或直接下级团支部的团员办理转出。"))
        check_target(to_org, from_branch)
        check_none_pending(member)
        now = timezone.now()
        request = _create(member=member, from_branch=from_branch, to_org=to_org, reason=reason, note=note,
                          kind=TransferRequest.Kind.TRANSFER_OUT, actor=actor, acting_org=acting_org, now=now)
        record_initiator_step(request, ApprovalStep.Kind.OUT, from_branch, actor=actor, acting_org=acting_org, now=now)
        open_step(request, ApprovalStep.Kind.IN, to_org, now=now)
        record(actor=actor, action="transfer.out", target=request, acting_org=acting_org, reason=reason)
    return request
