"""Helpers shared by the service-level transfer tests (plain functions, no fixtures)."""
import datetime as dt

from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from members.models import Membership
from tests.factories import PersonFactory, make_id_number


def codes(exc: ValidationError) -> set[str]:
    """Every error code a ValidationError carries (single, list or dict form: CONTRACT.md)."""
    if hasattr(exc, "error_dict"):
        return {e.code for errs in exc.error_dict.values() for e in errs}
    return {e.code for e in exc.error_list}


def new_member(branch, name: str = "李华"):
    """A league member of `branch`, entered through the service. Born 2000, joined 2015: passes R-ENT-2
    everywhere and needs no development number even in Xinjiang (R-ENT-4)."""
    from members.services import enter_member

    return enter_member(actor=None, branch=branch, id_number=make_id_number(dt.date(2000, 3, 1)), name=name,
                        joined_on=dt.date(2015, 5, 4))


def stranger():
    """A person with no post and no membership."""
    return PersonFactory(name="路人甲")


def pending_step(request):
    return request.steps.get(status="pending")


def current_branch_id(person):
    return Membership.objects.get(person=person, ended_at__isnull=True).branch_id


def denied_events(actor, action: str):
    return AuditEvent.objects.filter(actor=actor, action=action, result=AuditEvent.Result.DENIED)
