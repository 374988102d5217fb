"""The league life cycle (团章; issue 6 item 5): leaving — 离团 at 28, 自行脱团, 自愿退团, 开除团籍 — and
restoration into a branch.

Leaving ends the membership (its row stays: the history) so the person no longer counts in rosters,
completeness or the 3-member minimum (R-ORG-7); restoration starts a new membership. 开除团籍 and its
restoration wait for the approval of the branch's direct superior; the rest is done at once by an admin of
the branch or of its direct superior (R-AUTH-2). Lock order: Person, then LeagueStatusChange, then Membership.
"""
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited
from orgs.models import Organization, OrgType
from orgs.permissions import admin_org_ids, ensure_acting_as, ensure_may_change_in, ensure_within

from .. import league_age
from ..completeness import refresh_for_people, refresh_orgs, refresh_people
from ..models import CadrePost, LeagueStatusChange, Membership, Person
from ..permissions import ensure_may_change_person
from ..rules import full_years

S = Person.LeagueStatus
LEAVING = (S.AGED_OUT, S.LAPSED, S.WITHDREW, S.EXPELLED)
RESTORABLE = (S.LAPSED, S.WITHDREW, S.EXPELLED)  # 离团 at 28 is not restored
NEEDS_APPROVAL = {S.EXPELLED}  # 团章: 开除团籍 (and restoring it) is approved by the direct superior
BULK_LIMIT = 200
REASON_MIN = 4
AGED_OUT_REASON = "年满28周岁，未在团内担任职务，按团章办理离团"


# --- the checks -------------------------------------------------------------------------------------------

def _ensure_not_self(actor, person) -> None:
    if actor is not None and actor.pk == person.pk:
        raise PermissionDenied(_("本人的团籍变动由所在团支部或其直接上级组织的管理员办理。"))


def _ensure_superior(actor, change: LeagueStatusChange) -> None:
    """团章: the branch's direct superior approves, checked against every admin post (R-AUTH-2)."""
    if actor is None:
        return
    if actor.pk == change.person_id or change.branch.parent_id not in admin_org_ids(actor):
        raise PermissionDenied(_("只有该团支部的直接上级组织的管理员可以审批。"))


def _acting_org_id(actor, branch: Organization) -> int | None:
    ids = admin_org_ids(actor)
    return next((pk for pk in (branch.pk, branch.parent_id) if pk in ids), None)


def _clean_reason(reason) -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError({"reason": ValidationError(_("请写明原因（至少4个字）。"), code="reason_required")})
    return reason


def _transfer_pending(person_ids) -> set[int]:
    from transfers.models import TransferRequest

    return set(TransferRequest.objects.filter(member_id__in=person_ids, status=TransferRequest.Status.PENDING)
               .values_list("member_id", flat=True))


def _holding_posts(person_ids) -> set[int]:
    return set(CadrePost.objects.held().filter(person_id__in=person_ids, org__is_active=True)
               .values_list("person_id", flat=True))


def _change_pending(person_ids, *, exclude=None) -> set[int]:
    qs = LeagueStatusChange.objects.filter(person_id__in=person_ids, status=LeagueStatusChange.Status.PENDING)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return set(qs.values_list("person_id", flat=True))


def leave_problem(person: Person, to_status: str, on: dt.date, *, transfer_pending: bool, holds_post: bool,
                  change_pending: bool) -> ValidationError | None:
    """Why this member may not leave with `to_status` on `on` (None when they may)."""
    if person.league_status != S.NORMAL:
        return ValidationError(_("此人已不是正常团籍（%(status)s）。") % {"status": person.get_league_status_display()},
                               code="already_left")
    if change_pending:
        return ValidationError(_("此人有一项团籍变动正等待上级审批，请等审批后再办理。"), code="change_pending")
    if transfer_pending:  # R-TR-10: the transfer first
        return ValidationError(_("此人有一项正在办理的组织关系转接，请等它办结或撤回后再办理。"),
                               code="transfer_in_progress")
    if holds_post:
        if to_status == S.AGED_OUT:
            return ValidationError(_("此人在团内担任职务：团章规定，担任团内职务的团员年满28周岁不离团。"),
                                   code="holds_post")
        return ValidationError(_("此人在团内担任职务，请先免去其职务再办理。"), code="holds_post")
    if to_status == S.AGED_OUT:
        born = person.birth_date
        if born is None or full_years(born, on) < league_age.AGE_OUT:
            return ValidationError(_("此人%(date)s才年满28周岁，届时才能办理离团。") % {
                "date": league_age.birthday(born).isoformat() if born else _("（出生日期不详）")}, code="not_yet_28")
    return None


def _check_may_leave(person, to_status, on, *, exclude=None) -> None:
    problem = leave_problem(person, to_status, on, transfer_pending=bool(_transfer_pending([person.pk])),
                            holds_post=bool(_holding_posts([person.pk])),
                            change_pending=bool(_change_pending([person.pk], exclude=exclude)))
    if problem is not None:
        raise problem


def _check_may_restore(person: Person, branch: Organization, *, exclude=None) -> None:
    if person.league_status == S.NORMAL or Membership.objects.filter(person=person, ended_at__isnull=True).exists():
        raise ValidationError(_("此人团籍正常、已在团支部，不需要恢复；调动请办理组织关系转接。"), code="already_member")
    if person.league_status not in RESTORABLE:
        raise ValidationError(_("年满28周岁离团的不能恢复团籍。"), code="not_restorable")
    if _change_pending([person.pk], exclude=exclude):
        raise ValidationError(_("此人有一项团籍变动正等待上级审批，请等审批后再办理。"), code="change_pending")
    if branch.org_type != OrgType.BRANCH or not branch.is_active:  # R-ORG-2
        raise ValidationError({"branch": ValidationError(_("团籍只能恢复到有效的团支部。"), code="org_type_not_allowed")})


def _lock_person(person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


def _lock_membership(person, expected: Membership) -> Membership:
    current = Membership.objects.select_for_update().filter(person=person, ended_at__isnull=True).first()
    if current is None or current.pk != expected.pk:
        raise ValidationError(_("此人的组织关系刚刚发生了变化，请刷新页面后重试。"), code="membership_changed")
    return current


# --- applying a change ------------------------------------------------------------------------------------

def _new_change(person, *, actor, to_status, reason, on, branch, acting_org_id) -> LeagueStatusChange:
    return LeagueStatusChange(person=person, from_status=person.league_status, to_status=to_status, effective_on=on,
                              reason=reason, branch=branch, org_path=branch.path, requested_by=_who(actor),
                              acting_org_id=acting_org_id)


def _who(actor):
    return actor if getattr(actor, "pk", None) else None


def _decide(change, status: str, *, actor, now, note="") -> None:
    change.status, change.approved_by, change.approved_at, change.decision_note = status, _who(actor), now, note
    change.save()


def _approved(change, *, actor, now, note="") -> None:
    _decide(change, LeagueStatusChange.Status.APPROVED, actor=actor, now=now, note=note)


def _apply_leave(change, membership, person, *, actor, now, note="") -> None:
    membership.ended_at, membership.end_reason = now, f"league:{change.to_status}"
    membership.save(update_fields=["ended_at", "end_reason"])
    person.league_status, person.league_status_on = change.to_status, change.effective_on
    person.save(update_fields=["league_status", "league_status_on"])
    _approved(change, actor=actor, now=now, note=note)
    refresh_people([person.pk])
    refresh_orgs([membership.branch_id])  # R-ORG-7 / R-CMP: the branch counts without them now


def _apply_restore(change, person, *, actor, now, note="") -> None:
    Membership.objects.create(person=person, branch=change.branch, org_path=change.branch.path, started_at=now)
    person.league_status, person.league_status_on = S.NORMAL, change.effective_on
    person.save(update_fields=["league_status", "league_status_on"])
    _approved(change, actor=actor, now=now, note=note)
    refresh_for_people([person.pk])


def _already_member() -> ValidationError:
    return ValidationError(_("此人已在团支部，不需要恢复。"), code="already_member")


# --- the services ---------------------------------------------------------------------------------------

@refusals_audited("league.change")
def change_league_status(*, actor, person: Person, to_status: str, reason: str,
                         effective_on: dt.date | None = None) -> LeagueStatusChange:
    """A member leaves the league. 开除团籍 waits for the superior (a pending change); the rest take effect now."""
    _ensure_not_self(actor, person)
    membership = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    if membership is None:
        ensure_may_change_person(actor, person)
        raise ValidationError(_("此人目前不在任何团支部，无法办理。"), code="not_a_member")
    branch = membership.branch
    ensure_may_change_in(actor, branch)  # R-AUTH-2
    if to_status not in LEAVING:
        raise ValidationError({"to_status": ValidationError(_("请选择团籍变动类型。"), code="status_invalid")})
    reason = _clean_reason(reason)
    today = league_age.today()
    on = effective_on or today
    if on > today:
        raise ValidationError({"effective_on": ValidationError(_("生效日期不能晚于今天。"), code="effective_on_future")})
    now = timezone.now()
    with transaction.atomic():
        person = _lock_person(person)
        membership = _lock_membership(person, membership)
        _check_may_leave(person, to_status, on)
        change = _new_change(person, actor=actor, to_status=to_status, reason=reason, on=on, branch=branch,
                             acting_org_id=_acting_org_id(actor, branch))
        if to_status in NEEDS_APPROVAL:
            change.save()
            record(actor=actor, action="league.request", target=person, acting_org=branch, to_status=to_status,
                   reason=reason, change=change.pk)
            return change
        _apply_leave(change, membership, person, actor=actor, now=now)
        record(actor=actor, action="league.change", target=person, acting_org=branch, to_status=to_status,
               effective_on=on.isoformat(), reason=reason, change=change.pk)
    return change


@refusals_audited("league.restore")
def restore_member(*, actor, person: Person, branch: Organization, reason: str) -> LeagueStatusChange:
    """Restoration from 自行脱团, 自愿退团 or 开除团籍 into a branch (开除团籍: once the superior approves)."""
    _ensure_not_self(actor, person)
    ensure_may_change_in(actor, branch)  # R-AUTH-2: the branch restored into, or its direct superior
    reason = _clean_reason(reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            person = _lock_person(person)
            _check_may_restore(person, branch)
            change = _new_change(person, actor=actor, to_status=S.NORMAL, reason=reason, on=league_age.today(),
                                 branch=branch, acting_org_id=_acting_org_id(actor, branch))
            if change.from_status in NEEDS_APPROVAL:
                change.save()
                record(actor=actor, action="league.request", target=person, acting_org=branch, to_status=S.NORMAL,
                       from_status=change.from_status, reason=reason, change=change.pk)
                return change
            _apply_restore(change, person, actor=actor, now=now)
            record(actor=actor, action="league.restore", target=person, acting_org=branch,
                   from_status=change.from_status, reason=reason, change=change.pk)
    except IntegrityError:  # a membership started meanwhile (membership_one_current_branch)
        raise _already_member() from None
    return change


@refusals_audited("league.approve")
def approve_status_change(*, actor, change: LeagueStatusChange, reason: str = "") -> LeagueStatusChange:
    """The direct superior approves a pending 开除团籍 (the membership ends now) or its restoration."""
    _ensure_superior(actor, change)
    now = timezone.now()
    note = (reason or "").strip()
    try:
        with transaction.atomic():
            person = _lock_person(change.person)
            change = LeagueStatusChange.objects.select_for_update().select_related("branch").get(pk=change.pk)
            if change.status != LeagueStatusChange.Status.PENDING:
                raise ValidationError(_("这项团籍变动已经审批过了。"), code="step_not_pending")
            change.effective_on = league_age.today()  # 团章: in force from the superior's approval
            if change.is_restoration:
                if person.league_status != change.from_status:
                    raise ValidationError(_("此人的团籍状态已经变化，请重新办理。"), code="status_changed")
                _check_may_restore(person, change.branch, exclude=change)
                _apply_restore(change, person, actor=actor, now=now, note=note)
            else:
                current = Membership.objects.filter(person=person, ended_at__isnull=True).first()
                if current is None or current.branch_id != change.branch_id:
                    raise ValidationError(_("此人的组织关系已经变化，请重新办理。"), code="membership_changed")
                membership = _lock_membership(person, current)
                _check_may_leave(person, change.to_status, change.effective_on, exclude=change)
                _apply_leave(change, membership, person, actor=actor, now=now, note=note)
            record(actor=actor, action="league.approve", target=person, acting_org=change.branch.parent,
                   to_status=change.to_status, from_status=change.from_status, note=note, change=change.pk)
    except IntegrityError:
        raise _already_member() from None
    return change


@refusals_audited("league.reject")
def reject_status_change(*, actor, change: LeagueStatusChange, reason: str = "") -> LeagueStatusChange:
    """The direct superior does not approve: the change ends, nothing else moves. A reason is required."""
    _ensure_superior(actor, change)
    note = (reason or "").strip()
    if not note:
        raise ValidationError({"reason": ValidationError(_("请写明不批准的理由。"), code="reason_required")})
    with transaction.atomic():
        person = _lock_person(change.person)
        change = LeagueStatusChange.objects.select_for_update().select_related("branch").get(pk=change.pk)
        if change.status != LeagueStatusChange.Status.PENDING:
            raise ValidationError(_("这项团籍变动已经审批过了。"), code="step_not_pending")
        _decide(change, LeagueStatusChange.Status.REJECTED, actor=actor, now=timezone.now(), note=note)
        record(actor=actor, action="league.reject", target=person, acting_org=change.branch.parent,
               to_status=change.to_status, note=note, change=change.pk)
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
        _ensure_not_self(actor, m.person)
        ensure_within(m.branch, acting_org)  # R-AUTH-4 / R-AUTH-1
        ensure_may_change_in(actor, m.branch)  # R-AUTH-2
    on, now = league_age.today(), timezone.now()
    with transaction.atomic():
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        memberships = {m.person_id: m for m in Membership.objects.select_for_update()
                       .filter(person_id__in=ids, ended_at__isnull=True).order_by("pk")}
        transfers, posts, pending = _transfer_pending(ids), _holding_posts(ids), _change_pending(ids)
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
                               requested_by=_who(actor), acting_org=acting_org,
                               status=LeagueStatusChange.Status.APPROVED, approved_by=_who(actor), approved_at=now)
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
