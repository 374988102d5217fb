"""The oath (入团仪式, R-REC-11): the number from the segment, the person entered through enter_member."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import refusals_audited
from members.models import Person
from members.services import enter_member

from ..models import Application, Stage
from ..permissions import ensure_branch_admin
from ..rules import age_problem
from . import flow
from .numbers import next_development_number


@refusals_audited("recruitment.oath")
def take_oath(*, actor, application: Application, oath_on) -> Person:
    """R-REC-11: the approved applicant becomes a member of the branch on the oath date."""
    ensure_branch_admin(actor, application.branch)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.APPROVED)
        flow.check_date(oath_on, "oath_on", not_before=application.approved_on, label=_("上级批准日期"))
        problem = age_problem(application.birth_date, oath_on, application.branch.region_code)  # R-REC-3 again
        if problem:
            raise ValidationError({"oath_on": ValidationError(*problem)})
        number = next_development_number(application.branch, oath_on.year)
        person = enter_member(actor=actor, branch=application.branch, id_number=application.id_number,
                              name=application.name, joined_on=oath_on, development_number=number,
                              work_unit=application.work_unit, phone=application.phone)
        flow.move(application, to=Stage.MEMBER, action="oath", actor=actor, acting_org=application.branch,
                  changes={"oath_on": oath_on, "person": person.pk}, development_number=number)
    return person
