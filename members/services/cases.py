"""Identity cases (R-VER-5): filed by an admin allowed to change the person (R-AUTH-2, R-AUTH-7), worked by the
admins of the province's leading organ. Every write here is one transaction that locks the case, then the people
it touches in ascending id order, re-checks, writes and is audited; the filer and the person are told after
commit (members/signals.py). A plain typo stays a direct edit (correct_identity, R-VER-2)."""
import datetime as dt
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.custody import ensure_may_change_person
from access.permissions import admin_org_ids
from audit.services import record, refusals_audited

from ..case_photos import read_photo
from ..choices import Verification
from ..completeness import refresh_for_people
from ..idnumber import birth_date_of, gender_of, mask_id_number
from ..models import IdentityCase, IdentityCasePhoto, Person
from ..rules import Errors, clean_id_number, clean_name
from ..selectors.cases import home_org, is_operator, province_of
from ..signals import identity_case_changed
from ..verification import verify_later

PHOTO_KEPT = dt.timedelta(days=30)  # R-VER-5 (issue 18): a closed case's photo is deleted 30 days after it closed
Kind, Status = IdentityCase.Kind, IdentityCase.Status


def _announce(case_id: int, event: str) -> None:
    transaction.on_commit(partial(identity_case_changed.send, sender=IdentityCase, case_id=case_id, event=event))


def _written(text, errors: Errors, field: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if len(text) < 4:
        errors.add(field, _("请写明情况（至少4个字）。") if field == "note" else _("请写明处理理由（至少4个字）。"),
                   "note_required" if field == "note" else "reason_required")
    elif len(text) > 2000:
        errors.add(field, _("不能超过2000字。"), "too_long")
    return text


@refusals_audited("identity_case.file")
def file_case(*, actor, person: Person, acting_org, kind: str, note: str, photo,
              claimed_id_number: str = "", claimed_name: str = "") -> IdentityCase:
    """R-VER-5. `kind` tangled: `claimed_id_number` is on record for another person (R-VER-2 refused it); a number
    on record for nobody is a typo, corrected directly. `kind` wrongly_failed: the person's verification failed.
    `photo`: the uploaded file (members/case_photos.py judges it)."""
    if acting_org is None or acting_org.pk not in admin_org_ids(actor):
        raise PermissionDenied(_("请以管理员身份办理。"))
    if actor.pk == person.pk:
        raise PermissionDenied(_("不能为自己提交认证问题，请联系所在组织的管理员。"))
    ensure_may_change_person(actor, person)  # R-AUTH-2, R-AUTH-7
    errors, other = Errors(), None
    note = _written(note, errors, "note")
    if kind == Kind.TANGLED:
        claimed_id_number = clean_id_number(claimed_id_number, errors)
        claimed_name = clean_name(claimed_name, errors) if (claimed_name or "").strip() else ""
        if "id_number" not in errors.by_field:
            other = Person.objects.filter(id_number=claimed_id_number).exclude(pk=person.pk).first()
            if other is None:
                errors.add("id_number", _("这个身份证号没有被其他人登记：如是录入错误，请直接点“更正姓名、身份证号、入团时间”"
                                          "修改，无需提交省级团委。"), "id_not_registered")
    elif kind == Kind.WRONGLY_FAILED:
        claimed_id_number = claimed_name = ""
        if person.verification_status != Verification.FAILED:
            errors.add("__all__", _("此人的身份认证没有不通过，无需提交。"), "not_failed")
    else:
        errors.add("kind", _("请选择问题类型。"), "kind_invalid")
    data = content_type = None
    try:
        data, content_type = read_photo(photo)
    except ValidationError as exc:
        errors.absorb(exc)
    errors.raise_if_any()
    province = province_of(home_org(person, acting_org))
    with transaction.atomic():
        locked = sorted({person.pk} | ({other.pk} if other else set()))
        people = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=locked).order_by("pk")}
        person = people[person.pk]
        if kind == Kind.WRONGLY_FAILED and person.verification_status != Verification.FAILED:
            raise ValidationError(_("此人的身份认证没有不通过，无需提交。"), code="not_failed")
        if other is not None and people.get(other.pk, Person(id_number="")).id_number != claimed_id_number:
            raise ValidationError(_("另一条记录的身份证号刚刚变更，请重新核对。"), code="case_changed")
        if IdentityCase.objects.filter(person=person, status=Status.OPEN).exists():
            raise ValidationError(_("此人已有一件待省级团委处理的认证问题，请等待处理结果。"), code="case_open")
        case = IdentityCase(kind=kind, person=person, other=other, claimed_id_number=claimed_id_number,
                            claimed_name=claimed_name, note=note, filed_by=actor, filed_org=acting_org,
                            province=province)
        try:
            with transaction.atomic():
                case.save(force_insert=True)
        except IntegrityError:  # the same case filed twice at once: identity_case_one_open
            raise ValidationError(_("此人已有一件待省级团委处理的认证问题，请等待处理结果。"), code="case_open") from None
        IdentityCasePhoto.objects.create(case=case, content_type=content_type, data=data, size=len(data))
        record(actor=actor, action="identity_case.file", target=person, acting_org=acting_org, case=case.pk,
               kind=kind, claimed=mask_id_number(claimed_id_number), other=other.pk if other else None)
    _announce(case.pk, "filed")
    return case


def _open_for_decision(actor, case: IdentityCase, *, people: tuple[int, ...]) -> tuple[IdentityCase, dict]:
    """Inside the caller's transaction: the case, locked and still open, then its people locked by ascending id."""
    case = IdentityCase.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise ValidationError(_("这件认证问题已经处理过了。"), code="case_closed")
    ids = sorted({pk for pk in people if pk})
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return case, locked


def _may_decide(actor, case: IdentityCase) -> None:
    if not is_operator(actor, case):
        raise PermissionDenied(_("认证问题由此人所在省级团委的管理员处理。"))
    if actor.pk in (case.person_id, case.other_id):
        raise PermissionDenied(_("不能处理与本人有关的认证问题。"))


def _close(case: IdentityCase, *, actor, status: str, reason: str) -> None:
    case.status, case.decided_by, case.decision_reason, case.closed_at = status, actor, reason, timezone.now()
    case.save(update_fields=["status", "decided_by", "decision_reason", "closed_at"])


def _set_verified(people) -> None:
    for p in people:
        p.verification_status, p.verification_reason = Verification.VERIFIED, ""
        p.save(update_fields=["verification_status", "verification_reason"])


@refusals_audited("identity_case.verify")
def mark_verified_by_hand(*, actor, case: IdentityCase, reason: str) -> IdentityCase:
    """Case 3 (public-security data lag): the operator has seen the card and marks the person verified."""
    _may_decide(actor, case)
    errors = Errors()
    reason = _written(reason, errors, "reason")
    if case.kind != Kind.WRONGLY_FAILED:
        errors.add("__all__", _("两条记录混淆的问题须先理清记录，不能直接认证。"), "not_wrongly_failed")
    errors.raise_if_any()
    with transaction.atomic():
        case, people = _open_for_decision(actor, case, people=(case.person_id,))
        _set_verified(people.values())
        _close(case, actor=actor, status=Status.VERIFIED, reason=reason)
        record(actor=actor, action="identity_case.verify", target=people[case.person_id], acting_org=case.province,
               case=case.pk, reason=reason)
    _announce(case.pk, "decided")
    return case


@refusals_audited("identity_case.reject")
def reject_case(*, actor, case: IdentityCase, reason: str) -> IdentityCase:
    _may_decide(actor, case)
    errors = Errors()
    reason = _written(reason, errors, "reason")
    errors.raise_if_any()
    with transaction.atomic():
        case, people = _open_for_decision(actor, case, people=(case.person_id,))
        _close(case, actor=actor, status=Status.REJECTED, reason=reason)
        record(actor=actor, action="identity_case.reject", target=people[case.person_id], acting_org=case.province,
               case=case.pk, reason=reason)
    _announce(case.pk, "decided")
    return case


SWAP, ASSIGN = "swap", "assign"


@refusals_audited("identity_case.untangle")
def untangle(*, actor, case: IdentityCase, decision: str, reason: str, other_id_number: str = "",
             person_name: str = "", other_name: str = "", by_hand: bool = False) -> IdentityCase:
    """Case 2: the operator says which record keeps which ID number. The person's record always takes the number
    filed for it (the one the other record holds); `decision` says what the other record gets: `swap`, the person's
    current number; `assign`, `other_id_number` (its holder's real number, on record for nobody). Names may be
    corrected too (blank: unchanged). Both records are written in one transaction, both then re-verified, or, with
    `by_hand`, marked verified by hand with the reason. Whole ID numbers are typed, never shown (R-AUTH-6)."""
    _may_decide(actor, case)
    errors = Errors()
    reason = _written(reason, errors, "reason")
    if case.kind != Kind.TANGLED:
        errors.add("__all__", _("只有两条记录混淆的问题需要理清记录。"), "not_tangled")
    if decision not in (SWAP, ASSIGN):
        errors.add("decision", _("请选择处理方式。"), "decision_invalid")
    theirs = ""
    if decision == ASSIGN:
        sub = Errors()
        theirs = clean_id_number(other_id_number, sub)
        for error in sub.by_field.get("id_number", []):
            errors.add("other_id_number", error.message, error.code)
    names = {}
    for field, raw in (("name", person_name), ("other_name", other_name)):
        if (raw or "").strip():
            sub = Errors()
            names[field] = clean_name(raw, sub)
            for error in sub.by_field.get("name", []):
                errors.add(field, error.message, error.code)
    errors.raise_if_any()
    with transaction.atomic():
        case, people = _open_for_decision(actor, case, people=(case.person_id, case.other_id))
        person, other = people[case.person_id], people[case.other_id]
        if other.id_number != case.claimed_id_number:
            raise ValidationError(_("另一条记录的身份证号在提交后已经变更，请驳回后按实际情况重新提交。"), code="case_changed")
        if decision == SWAP:
            theirs = person.id_number
        elif theirs in (person.id_number, other.id_number) or Person.objects.filter(id_number=theirs).exists():
            raise ValidationError({"other_id_number": ValidationError(
                _("该身份证号已经登记，请核对另一条记录持有人的身份证。"), code="id_registered")})
        wanted = {person.pk: (other.id_number, names.get("name", case.claimed_name or person.name)),
                  other.pk: (theirs, names.get("other_name", other.name))}
        old = {p.pk: (mask_id_number(p.id_number), p.name) for p in (person, other)}
        # id_number is unique: the other record steps aside first, so no number is held twice at any moment
        other.id_number = f"~case{case.pk}"
        other.save(update_fields=["id_number"])
        for p in (person, other):
            p.id_number, p.name = wanted[p.pk]
            p.birth_date, p.gender = birth_date_of(p.id_number), gender_of(p.id_number)
            p.verification_status, p.verification_reason = Verification.PENDING, ""
            p.save(update_fields=["id_number", "name", "birth_date", "gender", "verification_status",
                                  "verification_reason"])
        if by_hand:
            _set_verified((person, other))
        _close(case, actor=actor, status=Status.UNTANGLED, reason=reason)
        refresh_for_people([person.pk, other.pk])
        for p in (person, other):
            record(actor=actor, action="identity_case.untangle", target=p, acting_org=case.province, case=case.pk,
                   decision=decision, reason=reason, by_hand=by_hand, old_id=old[p.pk][0],
                   new_id=mask_id_number(p.id_number), old_name=old[p.pk][1], new_name=p.name)
        if not by_hand:
            verify_later([person.pk, other.pk])
    _announce(case.pk, "decided")
    return case


def purge_case_photos(*, now=None) -> int:
    """Delete the photos of cases closed 30 days ago or longer (R-VER-5, issue 18); returns how many. Run by the
    scheduler (run_schedule) and the command purge_case_photos."""
    now = now or timezone.now()
    with transaction.atomic():
        photos = IdentityCasePhoto.objects.filter(case__closed_at__lte=now - PHOTO_KEPT)
        cases = list(photos.values_list("case_id", flat=True))
        if not cases:
            return 0
        count, _by_model = IdentityCasePhoto.objects.filter(case_id__in=cases).delete()
        record(actor=None, action="identity_case.photos_purged", count=count, cases=cases[:100])
    return count
