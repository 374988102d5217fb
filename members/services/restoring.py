"""Restoring a member who left (自行脱团, 自愿退团, 开除团籍) into a branch; the rules are in lifecycle.py."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from access.permissions import ensure_may_change_in
from audit.services import record, refusals_audited
from orgs.models import Organization

from .. import league_age
from ..models import LeagueStatusChange, Person
from .lifecycle import (
    NEEDS_APPROVAL,
    S,
    acting_org_id,
    already_member,
    apply_restore,
    check_may_restore,
    clean_reason,
    ensure_not_self,
    lock_person,
    new_change,
)


@refusals_audited("league.restore")
def restore_member(*, actor, person: Person, branch: Organization, reason: str) -> LeagueStatusChange:
    """Restoration from 自行脱团, 自愿退团 or 开除团籍 into a branch (开除团籍: once the superior approves)."""
    ensure_not_self(actor, person)
    ensure_may_change_in(actor, branch)  # R-AUTH-2: the branch restored into, or its direct superior
    reason = clean_reason(reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            person = lock_person(person)
            check_may_restore(person, branch)
            change = new_change(person, actor=actor, to_status=S.NORMAL, reason=reason, on=league_age.today(),
                                 branch=branch, acting_org_id=acting_org_id(actor, branch))
            if change.from_status in NEEDS_APPROVAL:
                change.save()
                record(actor=actor, action="league.request", target=person, acting_org=branch, to_status=S.NORMAL,
                       from_status=change.from_status, reason=reason, change=change.pk)
                return change
            apply_restore(change, person, actor=actor, now=now)
            record(actor=actor, action="league.restore", target=person, acting_org=branch,
                   from_status=change.from_status, reason=reason, change=change.pk)
    except IntegrityError:  # a membership started meanwhile (membership_one_current_branch)
        raise already_member() from None
    return change
