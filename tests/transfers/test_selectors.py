"""Selectors of the transfer pages."""
import pytest
from django.utils import translation

from transfers.models import ApprovalStep, TransferRequest

pytestmark = pytest.mark.django_db


def _request(tree, *, by=None, by_org=None, to_org=None, to_branch=None):
    from tests.factories import MembershipFactory
    from transfers.models import ApprovalStep, TransferRequest

    member = MembershipFactory(branch=tree["b1"]).person
    req = TransferRequest.objects.create(member=member, from_branch=tree["b1"], to_org=to_org or tree["fb"],
                                         to_branch=to_branch, reason="moved", kind="self" if by is None else "out",
                                         initiated_by=by or member, initiating_org=by_org)
    return ApprovalStep.objects.create(request=req, kind="out", org=tree["b1"], org_path=tree["b1"].path)


def _shown(step):
    r = step.request
    return (step.org.full_name, r.member.name, r.from_branch.full_name, r.to_org.full_name,
            r.to_branch and r.to_branch.full_name, r.initiated_by.name, r.initiating_org and r.initiating_org.full_name)


def test_a_rows_facts_come_in_two_queries_however_many_rows(tree, django_assert_num_queries):
    """row_facts (issue 13): every row's organizations in one query by id, the initiators who are not the member in
    one more; joined instead, they made an 11-table query that took PostgreSQL 20–35 ms to plan."""
    from transfers.models import ApprovalStep
    from transfers.selectors import ROW_JOINED, row_facts

    _request(tree)
    _request(tree, by=tree["b1_admin"], by_org=tree["b1"], to_org=tree["firm"], to_branch=tree["fb"])
    steps = list(ApprovalStep.objects.select_related(*ROW_JOINED).order_by("pk"))
    with django_assert_num_queries(2):
        row_facts(steps)
    with django_assert_num_queries(0):
        shown = [_shown(s) for s in steps]
    assert shown[0][5] == shown[0][1] and shown[0][4] is None and shown[0][6] is None   # self service
    assert shown[1][2:] == (tree["b1"].full_name, tree["firm"].full_name, tree["fb"].full_name,
                            tree["b1_admin"].name, tree["b1"].full_name)


def test_rows_of_self_service_need_no_initiators_query(tree, django_assert_num_queries):
    from transfers.models import ApprovalStep
    from transfers.selectors import ROW_JOINED, row_facts

    for _ in range(3):
        _request(tree)
    steps = list(ApprovalStep.objects.select_related(*ROW_JOINED))
    with django_assert_num_queries(1):   # the initiator is the member, already joined
        row_facts(steps)
    with django_assert_num_queries(0):
        [_shown(s) for s in steps]
    assert row_facts([]) == []


def test_the_labels_of_steps_and_transfers_follow_the_language():
    """get_<field>_display from the labels made once per field (transfers.models.ChoiceLabels, issue 13): translated
    when shown, in the language of the moment; a value outside the choices shown as it is, as Django shows it."""
    step = ApprovalStep(kind=ApprovalStep.Kind.OUT, status=ApprovalStep.Status.PENDING)
    transfer = TransferRequest(reason="further_study")
    with translation.override("zh-hans"):
        assert (step.get_kind_display(), transfer.get_reason_display()) == ("转出审批", "升学")
    with translation.override("en"):
        assert (step.get_kind_display(), transfer.get_reason_display()) == ("Transfer-out approval", "Further study")
    assert TransferRequest(reason="gone").get_reason_display() == "gone"
