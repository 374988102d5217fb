"""R-ENT-11 on PostgreSQL: two central admins (or one double click) entering the same forwarded request at once enter
the person once. The request row is locked and its status read again; the loser is refused `age_exception_state`,
and nothing of its work remains. Two provincial admins forwarding at once make one batch."""
import pytest
from django.core.exceptions import ValidationError

from members.models import AgeExceptionBatch, AgeExceptionRequest, Person
from members.services import enter_cadre, enter_from_age_exception, forward_age_exceptions
from tests.factories import make_id_number
from tests.transfers.test_concurrency import run_together

from .age_exception_support import YOUNG, county, filed
from .support import codes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(calls):
    return run_together(*calls)


def test_two_central_admins_entering_one_request_at_once_enter_it_once(tree):
    c = {**tree, **county(tree)}
    second = enter_cadre(actor=None, org=c["central"], id_number=make_id_number(), name="管理员二", title="副书记",
                         is_admin=True)
    req = filed(c)
    forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    req = AgeExceptionRequest.objects.get(pk=req.pk)
    results = _race([
        lambda: enter_from_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req),
        lambda: enter_from_age_exception(actor=second, acting_org=c["central"], age_request=req),
    ])
    people = [r for r in results if isinstance(r, Person)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(people) == 1 and len(refused) == 1, results
    assert "age_exception_state" in codes(refused[0])
    assert Person.objects.filter(id_number=req.id_number).count() == 1
    req.refresh_from_db()
    assert req.status == AgeExceptionRequest.Status.ENTERED and req.person_id == people[0].pk


def test_two_provincial_admins_forwarding_at_once_make_one_batch(tree):
    c = {**tree, **county(tree)}
    second = enter_cadre(actor=None, org=c["province"], id_number=make_id_number(), name="省管理员二", title="副书记",
                         is_admin=True)
    for name in ("甲", "乙", "丙"):
        filed(c, name=name, id_number=make_id_number(YOUNG))
    results = _race([
        lambda: forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"]),
        lambda: forward_age_exceptions(actor=second, acting_org=c["province"]),
    ])
    batches = [r for r in results if isinstance(r, AgeExceptionBatch)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(batches) == 1 and batches[0].size == 3 and len(refused) == 1, results
    assert "age_exception_none" in codes(refused[0])
    assert AgeExceptionBatch.objects.count() == 1
