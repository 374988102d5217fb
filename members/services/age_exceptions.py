"""R-ENT-11: the age-exception request, the road to R-ENT-3. The branch that recruited the person, or its
county-level committee, files it; the province's leading organ forwards its requests to the central organ in one
batch; the centre enters each person under R-ENT-3 (enter_member with the explanation) or returns the request with
a reason; the filer edits and files again, or withdraws. Each step: permission, one transaction, the request locked
and its status re-read, an audit event, messages after commit (members/signals.py)."""
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import CadrePost
from access.permissions import admin_org_ids
from audit.services import record, refusals_audited
from orgs.locking import hold_active
from orgs.models import Organization
from orgs.selectors import root

from ..models import AgeExceptionBatch, AgeExceptionRequest, Person
from ..rules import (
    Errors,
    check_dev_number,
    check_id_unregistered,
    check_join_age,
    clean_id_number,
    clean_name,
    clean_phone,
    normalize_dev_number,
)
from ..selectors.age_exceptions import is_centre, is_province, may_file_for, province_of
from ..signals import age_exception_changed
from .entry import enter_member

Status = AgeExceptionRequest.Status
EXPLANATION_MAX = 2000


# --- who ------------------------------------------------------------------------------------------------

def _ensure_filer(actor, acting_org, branch) -> None:
    if actor is not None and not may_file_for(actor, acting_org, branch):
        raise PermissionDenied(_("年龄例外录入申请由发展此人入团的团支部或其县级团委的管理员提出。"))


def _ensure_province(actor, acting_org, province_id: int) -> None:
    if actor is None:
        return
    if not (is_province(acting_org) and acting_org.pk == province_id and acting_org.pk in admin_org_ids(actor)):
        raise PermissionDenied(_("只有该省级团委的管理员可以汇总、报送本省的年龄例外录入申请。"))


def _ensure_centre(actor, acting_org) -> None:
    top = root()
    if actor is None:
        return
    if not (top is not None and acting_org is not None and acting_org.pk == top.pk and top.pk in admin_org_ids(actor)):
        raise PermissionDenied(_("只有团中央管理员可以统一录入或退回年龄例外录入申请。"))


def _ensure_filed_by_acting(actor, acting_org, req: AgeExceptionRequest) -> None:
    if actor is not None and not (acting_org is not None and req.filed_as_id == acting_org.pk
                                  and acting_org.pk in admin_org_ids(actor)):
        raise PermissionDenied(_("只有提出申请的组织的管理员可以修改或撤回这份申请。"))


# --- checks ---------------------------------------------------------------------------------------------

def validate_request(*, branch: Organization, name, id_number, phone, joined_on, development_number="",
                     explanation="", exclude_pk=None, viewer=None) -> tuple[dict, Errors]:
    """What a request must hold so that the centre's one action can enter the person (R-ENT-3 under every other
    R-ENT rule); and that R-ENT-2 does refuse them (otherwise the branch enters them itself)."""
    errors = Errors()
    id_number = clean_id_number(id_number, errors)
    name = clean_name(name, errors)
    phone = clean_phone(phone, errors, required=True)
    explanation = (explanation or "").strip()
    if not explanation:
        errors.add("explanation", _("请写明情况说明（为什么入团时不满规定年龄、由谁发展、何时入团）。"), "required")
    elif len(explanation) > EXPLANATION_MAX:
        errors.add("explanation", _("情况说明最多 %(n)d 个字。") % {"n": EXPLANATION_MAX}, "too_long")
    if joined_on is None:
        errors.add("joined_on", _("请填写入团时间。"), "required")
    check_id_unregistered(id_number, errors)  # R-ENT-6
    if joined_on is not None and "id_number" not in errors.by_field:
        age = Errors()
        check_join_age(id_number, joined_on, branch.region_code, age)  # R-ENT-2
        if not age:
            errors.add("joined_on", _("此人入团时已达到规定年龄，不需要申请例外，请直接录入。"), "age_exception_not_needed")
    number = normalize_dev_number(development_number)
    check_dev_number(number, joined_on=joined_on, branch=branch, errors=errors, viewer=viewer)  # R-ENT-4
    if id_number and _open_request(id_number, exclude_pk=exclude_pk):
        errors.add("id_number", _("此人已有一份正在办理的年龄例外录入申请，请在“例外录入申请”中查看。"), "age_exception_open")
    values = {"name": name, "id_number": id_number, "phone": phone, "joined_on": joined_on,
              "development_number": number, "explanation": explanation}
    return values, errors


def _open_request(id_number: str, *, exclude_pk=None) -> bool:
    qs = AgeExceptionRequest.objects.filter(id_number=id_number, status__in=AgeExceptionRequest.OPEN)
    return qs.exclude(pk=exclude_pk).exists() if exclude_pk else qs.exists()


def _open_taken() -> ValidationError:
    return ValidationError({"id_number": ValidationError(
        _("此人已有一份正在办理的年龄例外录入申请，请在“例外录入申请”中查看。"), code="age_exception_open")})


def _lock(req: AgeExceptionRequest, *, expected: tuple) -> AgeExceptionRequest:
    """The request under lock, its status read again: a second click or a second admin finds it moved on."""
    req = AgeExceptionRequest.objects.select_for_update().get(pk=req.pk)
    if req.status not in expected:
        raise ValidationError(_("这份申请已经是“%(status)s”状态，不能再办理此项。") % {"status": req.get_status_display()},
                              code="age_exception_state")
    return req


# --- messages (after commit; transfers writes them) ------------------------------------------------------

def _admins_of(org_id: int) -> list[int]:
    return list(CadrePost.objects.held().filter(org_id=org_id, is_admin=True)
                .values_list("person_id", flat=True).distinct())


def _tell(event: str, recipient_ids, params: dict, link: str) -> None:
    ids = sorted(set(recipient_ids))
    if ids:
        transaction.on_commit(partial(age_exception_changed.send, sender=AgeExceptionRequest, event=event,
                                      recipient_ids=ids, params=params, link=link))


def _tell_filer(event: str, req: AgeExceptionRequest, **params) -> None:
    if req.filed_by_id:
        _tell(event, [req.filed_by_id], {"who": req.name, **params},
              reverse("age_exceptions:detail", args=[req.pk]))


# --- the filer ------------------------------------------------------------------------------------------

@refusals_audited("age_exception.file")
def file_age_exception(*, actor, acting_org, branch, name, id_number, phone, joined_on, explanation,
                       development_number="") -> AgeExceptionRequest:
    """R-ENT-11: a request for the central organ to enter someone R-ENT-2 refuses (R-ENT-3)."""
    _ensure_filer(actor, acting_org, branch)
    values, errors = validate_request(branch=branch, name=name, id_number=id_number, phone=phone,
                                      joined_on=joined_on, development_number=development_number,
                                      explanation=explanation, viewer=actor)
    errors.raise_if_any()
    province = province_of(branch)
    if province is None:
        raise ValidationError({"branch": ValidationError(_("该团支部不在任何省级团委之下，无法汇总报送。"),
                                                         code="org_type_not_allowed")})
    try:
        with transaction.atomic():
            hold_active(branch, field="branch", message=_("该团支部已撤销，请重新选择。"))
            req = AgeExceptionRequest.objects.create(branch=branch, org_path=branch.path, province=province,
                                                     filed_as=acting_org, filed_by=actor, **values)
            record(actor=actor, action="age_exception.file", target=req, acting_org=acting_org)
    except IntegrityError:
        raise _open_taken() from None  # age_exception_one_open: the same person filed twice at once
    _tell("age_exception_filed", _admins_of(province.pk), {"who": req.name, "org": acting_org.full_name},
          reverse("age_exceptions:province"))
    return req


@refusals_audited("age_exception.refile")
def refile_age_exception(*, actor, acting_org, age_request, name, id_number, phone, joined_on, explanation,
                         development_number="") -> AgeExceptionRequest:
    """A returned request, corrected and filed again: back to the province."""
    _ensure_filed_by_acting(actor, acting_org, age_request)
    branch = age_request.branch
    values, errors = validate_request(branch=branch, name=name, id_number=id_number, phone=phone,
                                      joined_on=joined_on, development_number=development_number,
                                      explanation=explanation, exclude_pk=age_request.pk, viewer=actor)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            hold_active(branch, field="branch", message=_("该团支部已撤销，无法重新提交。"))
            req = _lock(age_request, expected=(Status.RETURNED,))
            for field, value in values.items():
                setattr(req, field, value)
            req.status, req.batch, req.filed_at = Status.FILED, None, timezone.now()
            req.decided_by = req.decided_at = None
            req.save()
            record(actor=actor, action="age_exception.refile", target=req, acting_org=acting_org)
    except IntegrityError:
        raise _open_taken() from None
    _tell("age_exception_filed", _admins_of(req.province_id), {"who": req.name, "org": acting_org.full_name},
          reverse("age_exceptions:province"))
    return req


@refusals_audited("age_exception.withdraw")
def withdraw_age_exception(*, actor, acting_org, age_request) -> AgeExceptionRequest:
    """The filer takes back a request the province has not forwarded yet, or one the centre returned."""
    _ensure_filed_by_acting(actor, acting_org, age_request)
    with transaction.atomic():
        req = _lock(age_request, expected=(Status.FILED, Status.RETURNED))
        was_waiting = req.status == Status.FILED
        req.status = Status.WITHDRAWN
        req.save(update_fields=["status"])
        record(actor=actor, action="age_exception.withdraw", target=req, acting_org=acting_org)
    if was_waiting:
        _tell("age_exception_withdrawn", _admins_of(req.province_id), {"who": req.name, "org": req.filed_as.full_name},
              reverse("age_exceptions:province"))
    return req


# --- the province ---------------------------------------------------------------------------------------

@refusals_audited("age_exception.forward")
def forward_age_exceptions(*, actor, acting_org, request_ids=None) -> AgeExceptionBatch:
    """R-ENT-11: the province forwards its requests waiting for it (or those of `request_ids` among them) to the
    centre as one batch. Requests withdrawn or forwarded meanwhile are left out; none left is refused."""
    _ensure_province(actor, acting_org, acting_org.pk if acting_org else None)
    with transaction.atomic():
        qs = AgeExceptionRequest.objects.filter(province=acting_org, status=Status.FILED)
        if request_ids is not None:
            qs = qs.filter(pk__in=list(request_ids))
        rows = list(qs.select_for_update().order_by("pk"))  # by pk: two forwarding admins never deadlock
        if not rows:
            raise ValidationError(_("没有待报送的申请（可能已由其他管理员报送或已被撤回）。"), code="age_exception_none")
        batch = AgeExceptionBatch.objects.create(province=acting_org, forwarded_by=actor, size=len(rows))
        AgeExceptionRequest.objects.filter(pk__in=[r.pk for r in rows]).update(status=Status.FORWARDED, batch=batch)
        record(actor=actor, action="age_exception.forward", target=batch, acting_org=acting_org, size=len(rows),
               requests=[r.pk for r in rows])
    top = root()
    _tell("age_exception_batch", _admins_of(top.pk) if top else [], {"org": acting_org.full_name, "n": len(rows)},
          reverse("age_exceptions:inbox"))
    for filer_id, names in _by_filer(rows).items():
        _tell("age_exception_forwarded", [filer_id], {"who": "、".join(names)}, reverse("age_exceptions:list"))
    return batch


def _by_filer(rows) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for r in rows:
        if r.filed_by_id:
            out.setdefault(r.filed_by_id, []).append(r.name)
    return out


# --- the centre -----------------------------------------------------------------------------------------

def _explanation_on_record(req: AgeExceptionRequest) -> str:
    return _("%(text)s\n（年龄例外录入申请第 %(pk)d 号：%(filer)s提出，%(province)s报送）") % {
        "text": req.explanation, "pk": req.pk, "filer": req.filed_as.full_name, "province": req.province.full_name}


@refusals_audited("age_exception.enter")
def enter_from_age_exception(*, actor, acting_org, age_request) -> Person:
    """R-ENT-11 → R-ENT-3: the centre enters the person from a forwarded request in one action, the explanation
    kept on the record, the request marked entered with the person linked. The request is locked first and its
    status read again; a second click or a second admin at once finds it entered (`age_exception_state`), and the
    database holds one person per request and one record per ID number besides."""
    _ensure_centre(actor, acting_org)
    with transaction.atomic():
        # Organizations before people (orgs/locking.py): the branch held, then the request, then the entry.
        hold_active(age_request.branch, field="branch", message=_("该团支部已撤销，请退回申请，由提出申请的组织重新提交。"))
        req = _lock(age_request, expected=(Status.FORWARDED,))
        person = enter_member(actor=actor, branch=req.branch, id_number=req.id_number, name=req.name,
                              joined_on=req.joined_on, development_number=req.development_number,
                              override_reason=_explanation_on_record(req), phone=req.phone)
        req.status, req.person = Status.ENTERED, person
        req.decided_by, req.decided_at = actor, timezone.now()
        req.save(update_fields=["status", "person", "decided_by", "decided_at"])
        record(actor=actor, action="age_exception.enter", target=req, acting_org=acting_org, person=person.pk)
    _tell_filer("age_exception_entered", req)
    return person


@refusals_audited("age_exception.return")
def return_age_exception(*, actor, acting_org, age_request, reason: str) -> AgeExceptionRequest:
    """The centre returns a forwarded request with a reason (the province, one waiting for it); the filer corrects
    and files again, or withdraws."""
    reason = (reason or "").strip()
    if acting_org is not None and is_province(acting_org):
        _ensure_province(actor, acting_org, age_request.province_id)
        expected = (Status.FILED,)
    else:
        _ensure_centre(actor, acting_org)
        expected = (Status.FORWARDED,)
    if not reason:
        raise ValidationError({"reason": ValidationError(_("请写明退回原因，提出申请的组织据此修改。"), code="required")})
    if len(reason) > EXPLANATION_MAX:
        raise ValidationError({"reason": ValidationError(_("退回原因最多 %(n)d 个字。") % {"n": EXPLANATION_MAX},
                                                         code="too_long")})
    with transaction.atomic():
        req = _lock(age_request, expected=expected)
        req.status, req.return_reason = Status.RETURNED, reason
        req.decided_by, req.decided_at = actor, timezone.now()
        req.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
        record(actor=actor, action="age_exception.return", target=req, acting_org=acting_org)
    _tell_filer("age_exception_returned", req, reason=reason[:200])
    return req


def may_enter_requests(actor, acting_org) -> bool:
    return is_centre(acting_org) and acting_org.pk in admin_org_ids(actor)
