"""Applications (R-REC-2, R-REC-3) and closing them (R-REC-15)."""
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import refusals_audited
from members.idnumber import birth_date_of
from members.rules import Errors, check_id_unregistered, check_length, clean_id_number, clean_name, clean_phone
from orgs.locking import hold_active
from orgs.models import Organization, OrgType

from ..models import OPEN, Application, Stage
from ..permissions import ensure_branch_admin
from ..rules import age_problem
from . import flow


def _open_elsewhere() -> ValidationError:
    return ValidationError({"id_number": ValidationError(
        _("该身份证号已有一份正在办理的入团申请，不能重复申请；如需改到本团支部，请先由原团支部终止那份申请。"),
        code="application_open")})


@refusals_audited("recruitment.apply")
def apply_to_join(*, actor, branch: Organization, id_number, name, applied_on, expected_join_on,
                  work_unit: str = "", phone: str = "") -> Application:
    """R-REC-2: an application to `branch`, entered by one of its admins."""
    if branch.org_type != OrgType.BRANCH:
        raise ValidationError({"branch": ValidationError(_("入团申请只能向团支部提出。"), code="org_type_not_allowed")})
    ensure_branch_admin(actor, branch)  # R-REC-1
    errors = Errors()
    ident = clean_id_number(id_number, errors)
    clean = clean_name(name, errors)
    work_unit = (work_unit or "").strip()
    check_length("work_unit", work_unit, errors, model=Application)
    phone = clean_phone(phone, errors)
    check_id_unregistered(ident, errors)  # R-ENT-6: a person on record moves by a transfer
    if not isinstance(applied_on, dt.date):
        errors.add("applied_on", _("请填写递交入团申请书的日期。"), "required")
    elif applied_on > flow.today():
        errors.add("applied_on", _("日期不能晚于今天。"), "date_invalid")
    if not isinstance(expected_join_on, dt.date):
        errors.add("expected_join_on", _("请填写预计入团时间。"), "required")
    elif isinstance(applied_on, dt.date) and expected_join_on < applied_on:
        errors.add("expected_join_on", _("预计入团时间不能早于递交申请书的日期。"), "date_invalid")
    elif "id_number" not in errors.by_field:
        problem = age_problem(birth_date_of(ident), expected_join_on, branch.region_code)  # R-REC-3
        if problem:
            errors.add("expected_join_on", *problem)
    errors.raise_if_any()
    if Application.objects.filter(OPEN, id_number=ident).exists():  # a hint; the unique index decides
        raise _open_elsewhere()
    try:
        with transaction.atomic():
            hold_active(branch, field="branch", message=_("该团支部已撤销。"))
            application = Application.objects.create(
                branch=branch, org_path=branch.path, name=clean, id_number=ident, birth_date=birth_date_of(ident),
                work_unit=work_unit, phone=phone, applied_on=applied_on, expected_join_on=expected_join_on,
                created_by=actor if getattr(actor, "pk", None) else None)
            application.stage = ""  # the timeline's first row starts from nothing
            flow.move(application, to=Stage.APPLIED, action="apply", actor=actor, acting_org=branch)
    except IntegrityError:
        raise _open_elsewhere() from None
    return application


@refusals_audited("recruitment.close")
def close_application(*, actor, application: Application, reason: str) -> Application:
    """R-REC-15: the branch ends an open application (withdrawn, not passed, …), with a reason."""
    ensure_branch_admin(actor, application.branch)
    reason = flow.reason_required(reason)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, *[s for s in Stage.values if s not in (Stage.MEMBER, Stage.CLOSED)])
        flow.move(application, to=Stage.CLOSED, action="close", actor=actor, acting_org=application.branch,
                  reason=reason)
    return application
