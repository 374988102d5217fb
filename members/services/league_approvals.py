"""The direct superior decides 开除团籍 and its restoration (团章); the rules are in lifecycle.py."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited

from .. import league_age
from ..models import LeagueStatusChange, Membership
from .lifecycle import (
    already_member,
    apply_leave,
    apply_restore,
    check_may_leave,
    check_may_restore,
    decide,
    ensure_superior,
    lock_membership,
    lock_person,
)


@refusals_audited("league.approve")
def approve_status_change(*, actor, change: LeagueStatusChange, reason: str = "") -> LeagueStatusChange:
    """The direct superior approves a pending 开除团籍 (the membership ends now) or its restoration."""
    ensure_superior(actor, change)
    now = timezone.now()
    note = (reason or "").strip()
    try:
        with transaction.atomic():
            person = lock_person(change.person)
            change = LeagueStatusChange.objects.select_for_update().select_related("branch").get(pk=change.pk)
            if change.status != LeagueStatusChange.Status.PENDING:
                raise ValidationError(_("这项团籍变动已经审批过了。"), code="step_not_pending")
            change.effective_on = league_age.today()  # 团章: in force from the superior's approval
            if change.is_restoration:
                if person.league_status != change.from_status:
                    raise ValidationError(_("此人的团籍状态已经变化，请重新办理。"), code="status_changed")
                check_may_restore(person, change.branch, exclude=change)
                apply_restore(change, person, actor=actor, now=now, note=note)
            else:
                current = Membership.objects.filter(person=person, ended_at__isnull=True).first()
                if current is None or current.branch_id != change.branch_id:
                    raise ValidationError(_("此人的组织关系已经变化，请重新办理。"), code="membership_changed")
                membership = lock_membership(person, current)
                check_may_leave(person, change.to_status, change.effective_on, exclude=change)
                apply_leave(change, membership, person, actor=actor, now=now, note=note)
            record(actor=actor, action="league.approve", target=person, acting_org=change.branch.parent,
                   to_status=change.to_status, from_status=change.from_status, note=note, change=change.pk)
    except IntegrityError:
        raise already_member() from None
    return change


@refusals_audited("league.reject")
def reject_status_change(*, actor, change: LeagueStatusChange, reason: str = "") -> LeagueStatusChange:
    """The direct superior does not approve: the change ends, nothing else moves. A reason is required."""
    ensure_superior(actor, change)
    note = (reason or "").strip()
    if not note:
        raise ValidationError({"reason": ValidationError(_("请写明不批准的理由。"), code="reason_required")})
    with transaction.atomic():
        person = lock_person(change.person)
        change = LeagueStatusChange.objects.select_for_update().select_related("branch").get(pk=change.pk)
        if change.status != LeagueStatusChange.Status.PENDING:
            raise ValidationError(_("这项团籍变动已经审批过了。"), code="step_not_pending")
        decide(change, LeagueStatusChange.Status.REJECTED, actor=actor, now=timezone.now(), note=note)
        record(actor=actor, action="league.reject", target=person, acting_org=change.branch.parent,
               to_status=change.to_status, note=note, change=change.pk)
    return change
