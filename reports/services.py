"""Writes of the graduation season (R-TR-14): marking branches' expected graduation, flagging members who
do not graduate with their branch (延期毕业) or stay at school (留校), and reminding those who have not
started their transfer. Keyword-only, actor first (None: the system); each call one transaction, audited.

Who may (R-AUTH-1/2): an admin acting as the branch, its direct superior or any organization above it —
the acting subtree. Anyone else gets PermissionDenied, audited in a transaction of its own (R-AUTH-6)."""
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as, ensure_within
from audit.services import record, refusals_audited
from members.models import CadrePost, Membership, Person
from orgs.models import Organization, OrgType
from transfers.message_texts import render
from transfers.models import Message

from .graduation import FIRST_YEAR, LAST_YEAR, State, graduates
from .models import BranchGraduation, GraduateFlag

REMINDER = "graduation_reminder"              # Message.event, to the graduate
REMINDER_ADMIN = "graduation_reminder_admin"  # Message.event, to the graduate's branch admins
REMIND_AGAIN_AFTER = dt.timedelta(hours=24)


def _ensure_may_manage(actor, acting_org, org: Organization) -> None:
    """R-AUTH-1/2: acting as an organization at or above `org`."""
    if actor is None:
        return
    if acting_org is None:
        raise PermissionDenied(_("请先选择要代表的组织。"))
    ensure_acting_as(actor, acting_org)
    ensure_within(org, acting_org)


def _check_year(year) -> int:
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": ValidationError(_("毕业年份无效。"), code="year_invalid")})
    return year


def _check_date(expected_on) -> dt.date:
    if not isinstance(expected_on, dt.date):
        raise ValidationError({"expected_on": ValidationError(_("请填写预计毕业时间。"), code="required")})
    _check_year(expected_on.year)
    return expected_on


def _active_branches(branches) -> list[Organization]:
    """The rows decide, not the caller's copies: a branch may have been dissolved since it was picked."""
    ids = {b.pk for b in branches}
    found = list(Organization.objects.filter(pk__in=ids).order_by("pk"))
    if not ids:
        raise ValidationError({"branches": ValidationError(_("请至少选择一个团支部。"), code="required")})
    if len(found) != len(ids) or any(not b.is_active or b.org_type != OrgType.BRANCH for b in found):
        raise ValidationError({"branches": ValidationError(_("只能为有效的团支部标记毕业时间。"), code="not_a_branch")})
    return found


@refusals_audited("graduation.set")
def set_graduation(*, actor, acting_org: Organization | None, branches, expected_on: dt.date) -> int:
    """Mark branches as graduating around `expected_on`; returns how many marks changed. Setting the same
    date again changes nothing and is not recorded."""
    branches = list(branches)
    for branch in branches or [acting_org]:
        _ensure_may_manage(actor, acting_org, branch)
    expected_on = _check_date(expected_on)
    branches = _active_branches(branches)
    changed = 0
    with transaction.atomic():
        marks = {m.branch_id: m for m in BranchGraduation.objects.select_for_update()
                 .filter(branch__in=branches).order_by("branch_id")}
        now = timezone.now()
        for branch in branches:
            mark = marks.get(branch.pk)
            if mark is not None and mark.expected_on == expected_on:
                continue
            previous = mark.expected_on.isoformat() if mark else ""
            mark = mark or BranchGraduation(branch=branch)
            mark.expected_on, mark.set_by, mark.set_at = expected_on, actor, now
            mark.save()
            record(actor=actor, action="graduation.set", target=branch, acting_org=acting_org,
                   expected_on=expected_on.isoformat(), previous=previous)
            changed += 1
    return changed


@refusals_audited("graduation.clear")
def clear_graduation(*, actor, acting_org: Organization | None, branch: Organization) -> bool:
    """Take a branch off the graduation list (marked by mistake); its members' flags stay, unused."""
    _ensure_may_manage(actor, acting_org, branch)
    with transaction.atomic():
        mark = BranchGraduation.objects.select_for_update().filter(branch=branch).first()
        if mark is None:
            return False
        previous = mark.expected_on.isoformat()
        mark.delete()
        record(actor=actor, action="graduation.clear", target=branch, acting_org=acting_org, previous=previous)
    return True


def _branch_of(person: Person) -> Organization:
    m = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    if m is None:
        raise ValidationError({"person": ValidationError(_("此人目前不是任何团支部的团员。"), code="not_a_member")})
    return m.branch


@refusals_audited("graduation.flag")
def flag_graduate(*, actor, acting_org: Organization | None, person: Person, year: int, kind: str,
                  note: str = "") -> GraduateFlag:
    """Flag a current member of the subtree as a delayed graduate or kept at school for `year`."""
    _ensure_may_manage(actor, acting_org, _branch_of(person))
    _check_year(year)
    if kind not in GraduateFlag.Kind.values:
        raise ValidationError({"kind": ValidationError(_("请选择“延期毕业”或“留校”。"), code="kind_invalid")})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": ValidationError(_("说明最多200字。"), code="max_length")})
    with transaction.atomic():
        flag = GraduateFlag.objects.select_for_update().filter(person=person, year=year).first()
        if flag is not None and (flag.kind, flag.note) == (kind, note):
            return flag
        previous = flag.kind if flag else ""
        flag = flag or GraduateFlag(person=person, year=year)
        flag.kind, flag.note, flag.set_by, flag.set_at = kind, note, actor, timezone.now()
        flag.save()
        record(actor=actor, action="graduation.flag", target=person, acting_org=acting_org, year=year, kind=kind,
               previous=previous)
    return flag


@refusals_audited("graduation.unflag")
def unflag_graduate(*, actor, acting_org: Organization | None, person: Person, year: int) -> bool:
    """The member graduates with the branch after all."""
    _ensure_may_manage(actor, acting_org, _branch_of(person))
    with transaction.atomic():
        flag = GraduateFlag.objects.select_for_update().filter(person=person, year=year).first()
        if flag is None:
            return False
        previous = flag.kind
        flag.delete()
        record(actor=actor, action="graduation.unflag", target=person, acting_org=acting_org, year=year,
               previous=previous)
    return True


def _message(**fields) -> Message:
    """Issue 14: a code and its parameters, rendered in the reader's language; `text` in the writer's, for the logs."""
    message = Message(code=fields["event"], **fields)
    message.text = render(message)[:300]
    return message


@refusals_audited("graduation.remind")
def send_graduation_reminders(*, actor, acting_org: Organization, year: int,
                              branch: Organization | None = None) -> dict[str, int]:
    """An in-app message to every graduate of the subtree (or of one graduating branch) who has not started
    a transfer, and one to each admin of their branches. Someone reminded in the last 24 hours is skipped,
    so a second click sends nothing twice. Returns {"members", "admins", "skipped"}."""
    _ensure_may_manage(actor, acting_org, branch or acting_org)
    _check_year(year)
    with transaction.atomic():
        now = timezone.now()
        due = list(graduates(acting_org=acting_org, year=year, branch=branch).filter(state=State.NOT_STARTED)
                   .values_list("pk", "grad_branch_id", "grad_branch_name"))
        recent = set(Message.objects.filter(event=REMINDER, created_at__gte=now - REMIND_AGAIN_AFTER,
                                            recipient_id__in=[pk for pk, _b, _n in due])
                     .values_list("recipient_id", flat=True))
        send = [(pk, b, name) for pk, b, name in due if pk not in recent]
        apply_link = reverse("transfers:apply")
        rows = [_message(recipient_id=pk, event=REMINDER, link=apply_link, created_at=now,
                         params={"b": name, "year": year}) for pk, _b, name in send]
        per_branch: dict[int, tuple[str, int]] = {}
        for _pk, b, name in send:
            per_branch[b] = (name, per_branch.get(b, (name, 0))[1] + 1)
        admins = (CadrePost.objects.held().filter(org_id__in=per_branch, is_admin=True)
                  .values_list("person_id", "org_id").distinct())
        page = reverse("reports:graduation")
        for person_id, org_id in admins:
            name, n = per_branch[org_id]
            link = f"{page}?{urlencode({'year': year, 'branch': org_id, 'state': State.NOT_STARTED})}"
            rows.append(_message(recipient_id=person_id, event=REMINDER_ADMIN, link=link, created_at=now,
                                 params={"b": name, "n": n, "year": year}))
        Message.objects.bulk_create(rows)
        result = {"members": len(send), "admins": len(rows) - len(send), "skipped": len(due) - len(send)}
        record(actor=actor, action="graduation.remind", target=branch, acting_org=acting_org, year=year, **result)
    return result
