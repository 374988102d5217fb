"""Leaving the league (团章; issue 6 item 5): one person now, or 离团 at 28 for many at once. The rules and
the shared steps are in lifecycle.py."""
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.custody import ensure_may_change_person
from access.permissions import ensure_acting_as, ensure_may_change_in, ensure_within
from audit.services import record, refusals_audited
from orgs.models import Organization

from .. import league_age
from ..completeness import refresh_orgs, refresh_people
from ..models import LeagueStatusChange, Membership, Person
from .lifecycle import (
    AGED_OUT_REASON,
    BULK_LIMIT,
    LEAVING,
    NEEDS_APPROVAL,
    S,
    acting_org_id,
    apply_leave,
    change_pending,
    check_may_leave,
    clean_reason,
    ensure_not_self,
    holding_posts,
    leave_problem,
    lock_membership,
    lock_person,
    new_change,
    transfer_pending,
    who,
)


@refusals_audited("league.change")
def change_league_status(*, actor, person: Person, to_status: str, reason: str,
                         effective_on: dt.date | None = None) -> LeagueStatusChange:
    """A member leaves the league. 开除团籍 waits for the superior (a pending change); the rest take effect now."""
    ensure_not_self(actor, person)
    membership = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    if membership is None:
        ensure_may_change_person(actor, person)
        raise ValidationError(_("此人目前不在任何团支部，无法办理。"), code="not_a_member")
    branch = membership.branch
    ensure_may_change_in(actor, branch)  # R-AUTH-2
    if to_status not in LEAVING:
        raise ValidationError({"to_status": ValidationError(_("请选择团籍变动类型。"), code="status_invalid")})
    reason = clean_reason(reason)
    today = league_age.today()
    on = effective_on or today
    if on > today:
        raise ValidationError({"effective_on": ValidationError(_("生效日期不能晚于今天。"), code="effective_on_future")})
    now = timezone.now()
    with transaction.atomic():
        person = lock_person(person)
        membership = lock_membership(person, membership)
        check_may_leave(person, to_status, on)
        change = new_change(person, actor=actor, to_status=to_status, reason=reason, on=on, branch=branch,
                             acting_org_id=acting_org_id(actor, branch))
        if to_status in NEEDS_APPROVAL:
            change.save()
            record(actor=actor, action="league.request", target=person, acting_org=branch, to_status=to_status,
                   reason=reason, change=change.pk)
            return change
        apply_leave(change, membership, person, actor=actor, now=now)
        record(actor=actor, action="league.change", target=person, acting_org=branch, to_status=to_status,
               effective_on=on.isoformat(), reason=reason, change=change.pk)
    return change


@refusals_audited("league.bulk_leave")
def leave_league_in_bulk(*, actor, acting_org: Organization, people) -> list[LeagueStatusChange]:
    """离团 at 28 for members picked from the list (≤ 200), all or nothing: each one checked, one refusal
    refuses the whole batch and names everyone refused."""
    ensure_acting_as(actor, acting_org)  # R-AUTH-1
    ids = sorted({p.pk for p in people})
    if not ids:
        raise ValidationError(_("请至少选择一人。"), code="nobody_selected")
    if len(ids) > BULK_LIMIT:
        raise ValidationError(_("一次最多办理%(n)d人。") % {"n": BULK_LIMIT}, code="batch_too_large")
    checked = {m.person_id: m for m in Membership.objects.filter(person_id__in=ids, ended_at__isnull=True)
               .select_related("branch", "person")}
    for m in checked.values():
        ensure_not_self(actor, m.person)
        ensure_within(m.branch, acting_org)  # R-AUTH-4 / R-AUTH-1
        ensure_may_change_in(actor, m.branch)  # R-AUTH-2
    on, now = league_age.today(), timezone.now()
    with transaction.atomic():
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        memberships = {m.person_id: m for m in Membership.objects.select_for_update()
                       .filter(person_id__in=ids, ended_at__isnull=True).order_by("pk")}
        transfers, posts, pending = transfer_pending(ids), holding_posts(ids), change_pending(ids)
        errors = []
        for pk in ids:
            person, membership = locked.get(pk), memberships.get(pk)
            if person is None or membership is None or pk not in checked or membership.pk != checked[pk].pk:
                name = checked[pk].person.name if pk in checked else str(pk)
                errors.append(ValidationError(_("%(name)s：此人已不在团支部或组织关系刚刚变化。") % {"name": name},
                                              code="membership_changed"))
                continue
            problem = leave_problem(person, S.AGED_OUT, on, transfer_pending=pk in transfers, holds_post=pk in posts,
                                    change_pending=pk in pending)
            if problem is not None:
                errors.append(ValidationError(f"{person.name}（{person.masked_id_number}）：{problem.message}",
                                              code=problem.code))
        if errors:
            raise ValidationError({"people": errors})
        changes = LeagueStatusChange.objects.bulk_create([
            LeagueStatusChange(person_id=pk, from_status=S.NORMAL, to_status=S.AGED_OUT, effective_on=on,
                               reason=AGED_OUT_REASON, branch=checked[pk].branch, org_path=checked[pk].branch.path,
                               requested_by=who(actor), acting_org=acting_org,
                               status=LeagueStatusChange.Status.APPROVED, approved_by=who(actor), approved_at=now)
            for pk in ids])
        Membership.objects.filter(pk__in=[m.pk for m in memberships.values()]).update(
            ended_at=now, end_reason=f"league:{S.AGED_OUT}")
        Person.objects.filter(pk__in=ids).update(league_status=S.AGED_OUT, league_status_on=on)
        refresh_people(ids)
        refresh_orgs({m.branch_id for m in memberships.values()})
        for pk in ids:
            record(actor=actor, action="league.change", target=locked[pk], acting_org=acting_org,
                   to_status=S.AGED_OUT, effective_on=on.isoformat(), reason=AGED_OUT_REASON, bulk=True)
    return changes
