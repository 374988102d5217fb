"""The league life cycle (团章; issue 6 item 5), its rules and shared steps: leaving — 离团 at 28, 自行脱团, 自愿退团,
开除团籍 — and restoration into a branch. The services are in leaving.py, restoring.py and league_approvals.py.

Leaving ends the membership (its row stays: the history) so the person no longer counts in rosters,
completeness or the 3-member minimum (R-ORG-7); restoration starts a new membership. 开除团籍 and its
restoration wait for the approval of the branch's direct superior; the rest is done at once by an admin of
the branch or of its direct superior (R-AUTH-2). Lock order: Person, then LeagueStatusChange, then Membership.
"""
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from access.permissions import admin_org_ids
from orgs.models import Organization, OrgType

from .. import league_age
from ..completeness import refresh_for_people, refresh_orgs, refresh_people
from ..extensions import in_transfer
from ..models import CadrePost, LeagueStatusChange, Membership, Person
from ..rules import full_years

S = Person.LeagueStatus
LEAVING = (S.AGED_OUT, S.LAPSED, S.WITHDREW, S.EXPELLED)
RESTORABLE = (S.LAPSED, S.WITHDREW, S.EXPELLED)  # 离团 at 28 is not restored
NEEDS_APPROVAL = {S.EXPELLED}  # 团章: 开除团籍 (and restoring it) is approved by the direct superior
BULK_LIMIT = 200
REASON_MIN = 4
AGED_OUT_REASON = "年满28周岁，未在团内担任职务，按团章办理离团"


# --- the checks -------------------------------------------------------------------------------------------

def ensure_not_self(actor, person) -> None:
    if actor is not None and actor.pk == person.pk:
        raise PermissionDenied(_("本人的团籍变动由所在团支部或其直接上级组织的管理员办理。"))


def ensure_superior(actor, change: LeagueStatusChange) -> None:
    """团章: the branch's direct superior approves, checked against every admin post (R-AUTH-2)."""
    if actor is None:
        return
    if actor.pk == change.person_id or change.branch.parent_id not in admin_org_ids(actor):
        raise PermissionDenied(_("只有该团支部的直接上级组织的管理员可以审批。"))


def acting_org_id(actor, branch: Organization) -> int | None:
    ids = admin_org_ids(actor)
    return next((pk for pk in (branch.pk, branch.parent_id) if pk in ids), None)


def clean_reason(reason) -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError({"reason": ValidationError(_("请写明原因（至少4个字）。"), code="reason_required")})
    return reason


def transfer_pending(person_ids) -> set[int]:
    return in_transfer(person_ids)  # R-TR-10, as the transfers app reports it (members/extensions.py)


def holding_posts(person_ids) -> set[int]:
    return set(CadrePost.objects.held().filter(person_id__in=person_ids, org__is_active=True)
               .values_list("person_id", flat=True))


def change_pending(person_ids, *, exclude=None) -> set[int]:
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


def check_may_leave(person, to_status, on, *, exclude=None) -> None:
    problem = leave_problem(person, to_status, on, transfer_pending=bool(transfer_pending([person.pk])),
                            holds_post=bool(holding_posts([person.pk])),
                            change_pending=bool(change_pending([person.pk], exclude=exclude)))
    if problem is not None:
        raise problem


def check_may_restore(person: Person, branch: Organization, *, exclude=None) -> None:
    if person.league_status == S.NORMAL or Membership.objects.filter(person=person, ended_at__isnull=True).exists():
        raise ValidationError(_("此人团籍正常、已在团支部，不需要恢复；调动请办理组织关系转接。"), code="already_member")
    if person.league_status not in RESTORABLE:
        raise ValidationError(_("年满28周岁离团的不能恢复团籍。"), code="not_restorable")
    if change_pending([person.pk], exclude=exclude):
        raise ValidationError(_("此人有一项团籍变动正等待上级审批，请等审批后再办理。"), code="change_pending")
    if branch.org_type != OrgType.BRANCH or not branch.is_active:  # R-ORG-2
        raise ValidationError({"branch": ValidationError(_("团籍只能恢复到有效的团支部。"), code="org_type_not_allowed")})


def lock_person(person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


def lock_membership(person, expected: Membership) -> Membership:
    current = Membership.objects.select_for_update().filter(person=person, ended_at__isnull=True).first()
    if current is None or current.pk != expected.pk:
        raise ValidationError(_("此人的组织关系刚刚发生了变化，请刷新页面后重试。"), code="membership_changed")
    return current


# --- applying a change ------------------------------------------------------------------------------------

def new_change(person, *, actor, to_status, reason, on, branch, acting_org_id) -> LeagueStatusChange:
    return LeagueStatusChange(person=person, from_status=person.league_status, to_status=to_status, effective_on=on,
                              reason=reason, branch=branch, org_path=branch.path, requested_by=who(actor),
                              acting_org_id=acting_org_id)


def who(actor):
    return actor if getattr(actor, "pk", None) else None


def decide(change, status: str, *, actor, now, note="") -> None:
    change.status, change.approved_by, change.approved_at, change.decision_note = status, who(actor), now, note
    change.save()


def _approved(change, *, actor, now, note="") -> None:
    decide(change, LeagueStatusChange.Status.APPROVED, actor=actor, now=now, note=note)


def apply_leave(change, membership, person, *, actor, now, note="") -> None:
    membership.ended_at, membership.end_reason = now, f"league:{change.to_status}"
    membership.save(update_fields=["ended_at", "end_reason"])
    person.league_status, person.league_status_on = change.to_status, change.effective_on
    person.save(update_fields=["league_status", "league_status_on"])
    _approved(change, actor=actor, now=now, note=note)
    refresh_people([person.pk])
    refresh_orgs([membership.branch_id])  # R-ORG-7 / R-CMP: the branch counts without them now


def apply_restore(change, person, *, actor, now, note="") -> None:
    Membership.objects.create(person=person, branch=change.branch, org_path=change.branch.path, started_at=now)
    person.league_status, person.league_status_on = S.NORMAL, change.effective_on
    person.save(update_fields=["league_status", "league_status_on"])
    _approved(change, actor=actor, now=now, note=note)
    refresh_for_people([person.pk])


def already_member() -> ValidationError:
    return ValidationError(_("此人已在团支部，不需要恢复。"), code="already_member")
