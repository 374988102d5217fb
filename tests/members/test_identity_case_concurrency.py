"""The same identity case decided twice at once (R-VER-5), with real row locks and threads (PostgreSQL): one effect.
The case row is locked first, then both people in ascending id order, so two untangles never deadlock and the second
finds the case closed."""
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from members.models import IdentityCase, Person
from members.services.cases import file_case, reject_case, untangle
from tests.members.cases_support import photo, tangled_pair
from tests.transfers.test_concurrency import _fresh, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _tangled_case(tree):
    a, b = tangled_pair(tree)
    case = file_case(actor=tree["b1_admin"], person=a, acting_org=tree["b1"], kind="tangled", note="两条记录录反了",
                     photo=photo(), claimed_id_number=b.id_number)
    return case, a, b


def test_the_same_swap_posted_twice_at_once_swaps_once(tree):
    case, a, b = _tangled_case(tree)
    a_number, b_number = a.id_number, b.id_number
    call = partial(untangle, decision="swap", reason="核对身份证后互换")
    results = run_together(partial(call, actor=_fresh(tree["province_admin"]), case=_fresh(case)),
                           partial(call, actor=_fresh(tree["province_admin"]), case=_fresh(case)))
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len([r for r in results if isinstance(r, IdentityCase)]) == 1 and len(refused) == 1, results
    assert refused[0].code == "case_closed"
    # swapped once, not swapped back
    assert (Person.objects.get(pk=a.pk).id_number, Person.objects.get(pk=b.pk).id_number) == (b_number, a_number)
    assert AuditEvent.objects.filter(action="identity_case.untangle", result="ok").count() == 2  # one a record


def test_an_untangle_and_a_rejection_at_once_make_one_decision(tree):
    case, a, b = _tangled_case(tree)
    a_number = a.id_number
    results = run_together(
        partial(untangle, actor=_fresh(tree["province_admin"]), case=_fresh(case), decision="swap", reason="核对身份证后互换"),
        partial(reject_case, actor=_fresh(tree["province_admin"]), case=_fresh(case), reason="材料不足以证明"))
    assert len([r for r in results if isinstance(r, IdentityCase)]) == 1, results
    status = IdentityCase.objects.get(pk=case.pk).status
    assert (Person.objects.get(pk=a.pk).id_number == a_number) == (status == IdentityCase.Status.REJECTED)


def test_the_same_case_filed_twice_at_once_is_filed_once(tree, member):
    Person.objects.filter(pk=member.pk).update(verification_status="failed")
    call = partial(file_case, kind="wrongly_failed", note="公安数据未更新")
    results = run_together(
        partial(call, actor=_fresh(tree["b1_admin"]), acting_org=tree["b1"], person=_fresh(member), photo=photo()),
        partial(call, actor=_fresh(tree["school_admin"]), acting_org=tree["school"], person=_fresh(member), photo=photo()))
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len([r for r in results if isinstance(r, IdentityCase)]) == 1 and len(refused) == 1, results
    assert refused[0].code == "case_open"
    assert IdentityCase.objects.filter(person=member).count() == 1
