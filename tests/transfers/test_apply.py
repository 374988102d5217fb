"""Starting a transfer and carrying it to the end through the services: every path of R-TR-1..6, the
membership history of R-TR-12, and every refusal the contract names for starting one (R-TR-6, R-TR-10,
R-TR-13, R-TR-2's look-up). A refusal saves nothing."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from members.models import CadrePost, Membership
from members.selectors.people import branch_of
from members.services import enter_cadre
from orgs.models import OrgType
from orgs.services import create_org, dissolve_org
from tests.factories import make_id_number
from transfers.models import ApprovalStep, TransferRequest
from transfers.services import apply_for_transfer, approve, assign_branch, transfer_in, transfer_out

from .support import codes, pending_step

pytestmark = pytest.mark.django_db


def _approve(tree, key, request):
    return approve(actor=tree[f"{key}_admin"], acting_org=tree[key], step=pending_step(request))


# --- the paths --------------------------------------------------------------------------------------------

def test_it_moves_a_self_service_applicant_to_a_branch_after_out_then_in(tree, member):
    """R-TR-1: OUT by the member's branch side, then IN by the target; done only when the in side accepts."""
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="employed_with_org")
    out = pending_step(request)
    assert (request.kind, request.initiated_by, request.from_branch) == ("self", member, tree["b1"])
    assert (out.kind, out.org) == ("out", tree["b1"])

    _approve(tree, "b1", request)
    request.refresh_from_db()
    assert request.status == "pending" and branch_of(member) == tree["b1"]
    in_step = pending_step(request)
    assert (in_step.kind, in_step.org) == ("in", tree["fb"])

    _approve(tree, "fb", request)
    request.refresh_from_db()
    assert (request.status, request.to_branch) == ("completed", tree["fb"])
    assert request.finished_at is not None
    assert branch_of(member) == tree["fb"]


def test_it_keeps_the_membership_history_on_completion(tree, member):
    """R-TR-12: the old Membership row ends (it is the history), a new one starts, in the same moment."""
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    _approve(tree, "b1", request)
    _approve(tree, "fb", request)
    request.refresh_from_db()
    old, new = Membership.objects.filter(person=member).order_by("started_at", "pk")
    assert (old.branch, new.branch) == (tree["b1"], tree["fb"])
    assert old.ended_at == request.finished_at == new.started_at
    assert old.end_reason == f"transfer:{request.pk}"
    assert new.ended_at is None


def test_it_assigns_a_branch_after_a_committee_accepts(tree, member):
    """R-TR-6: a committee's IN approval is followed by an ASSIGN step (never automatic: no due date)."""
    request = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    _approve(tree, "b1", request)
    _approve(tree, "firm", request)
    request.refresh_from_db()
    assert request.status == "pending" and branch_of(member) == tree["b1"]
    assign = pending_step(request)
    assert (assign.kind, assign.org, assign.due_at) == ("assign", tree["firm"], None)

    assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=assign, branch=tree["fb"])
    request.refresh_from_db()
    assert (request.status, request.to_branch) == ("completed", tree["fb"])
    assert branch_of(member) == tree["fb"]
    assert list(request.steps.values_list("kind", "status")) == [("out", "approved"), ("in", "approved"),
                                                                 ("assign", "approved")]


def test_a_branch_transfer_in_waits_only_for_the_out_side(tree, member):
    """R-TR-2: the initiating side counts as having approved; only the OUT step is pending."""
    request = transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number,
                          name=member.name, reason="job_change")
    assert request.kind == "in" and request.initiated_by == tree["fb_admin"]
    in_step = request.steps.get(kind="in")
    assert (in_step.status, in_step.decided_by, in_step.acting_org) == ("approved", tree["fb_admin"], tree["fb"])
    assert [(s.kind, s.org) for s in request.steps.filter(status="pending")] == [("out", tree["b1"])]

    _approve(tree, "b1", request)
    request.refresh_from_db()
    assert (request.status, request.to_branch) == ("completed", tree["fb"])
    assert branch_of(member) == tree["fb"]


def test_a_committee_transfer_in_assigns_a_branch_after_the_out_side(tree, member):
    """R-TR-4: as R-TR-2, then the committee's admin assigns a branch in its subtree."""
    request = transfer_in(actor=tree["firm_admin"], acting_org=tree["firm"], id_number=member.id_number,
                          name=member.name, reason="employed_with_org")
    assert pending_step(request).kind == "out"
    _approve(tree, "b1", request)
    request.refresh_from_db()
    assert request.status == "pending"
    assign = pending_step(request)
    assert (assign.kind, assign.org) == ("assign", tree["firm"])

    assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=assign, branch=tree["fb"])
    assert branch_of(member) == tree["fb"]


@pytest.mark.parametrize("initiator", ["b1", "school"])
def test_transfer_out_by_the_branch_or_its_direct_superior_waits_only_for_the_in_side(tree, member, initiator):
    """R-TR-3 (the branch) and R-TR-5 (its direct superior picks a subordinate branch's member)."""
    request = transfer_out(actor=tree[f"{initiator}_admin"], acting_org=tree[initiator], member=member,
                           to_org=tree["fb"], reason="moved")
    out = request.steps.get(kind="out")
    assert (out.status, out.org, out.decided_by, out.acting_org) == (
        "approved", tree["b1"], tree[f"{initiator}_admin"], tree[initiator])
    assert [(s.kind, s.org) for s in request.steps.filter(status="pending")] == [("in", tree["fb"])]

    _approve(tree, "fb", request)
    request.refresh_from_db()
    assert request.status == "completed" and branch_of(member) == tree["fb"]


def test_transfer_out_to_a_committee_ends_with_an_assign_step(tree, member):
    request = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["firm"],
                           reason="employed_with_org")
    _approve(tree, "firm", request)
    assert pending_step(request).kind == "assign"


def test_a_grand_superior_cannot_transfer_a_member_out(tree, member):
    """R-TR-5: only the branch or its direct superior; the university committee is two levels up."""
    with pytest.raises(PermissionDenied):
        transfer_out(actor=tree["uni_admin"], acting_org=tree["uni"], member=member, to_org=tree["fb"], reason="moved")
    assert not TransferRequest.objects.exists()


def test_completion_ends_the_cadre_posts_in_the_old_branch_only(tree, member):
    """R-TR-12: what the member held as a cadre of the old branch ends; posts elsewhere stay."""
    enter_cadre(actor=None, org=tree["b1"], id_number=member.id_number, name=member.name, title="组织委员")
    enter_cadre(actor=None, org=tree["firm"], id_number=member.id_number, name=member.name, title="委员")
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    _approve(tree, "b1", request)
    _approve(tree, "fb", request)
    request.refresh_from_db()
    in_b1 = CadrePost.objects.get(person=member, org=tree["b1"])
    in_firm = CadrePost.objects.get(person=member, org=tree["firm"])
    assert in_b1.ended_at == request.finished_at
    assert in_firm.ended_at is None


def test_a_rejected_member_may_apply_again(tree, member):
    """R-TR-11: a rejection ends the transfer; R-TR-10 then lets a new one start."""
    from transfers.services import reject

    first = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(first), reason="材料不全，请补充")
    second = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    first.refresh_from_db()
    assert first.status == "rejected" and second.status == "pending"


# --- refusals ---------------------------------------------------------------------------------------------

def test_a_second_transfer_in_progress_is_refused_whoever_starts_it(tree, member):
    """R-TR-10, through every way of starting one."""
    apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    attempts = [
        lambda: apply_for_transfer(member=member, to_org=tree["b2"], reason="moved"),
        lambda: transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number,
                            name=member.name, reason="moved"),
        lambda: transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["b2"],
                             reason="moved"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as err:
            attempt()
        assert codes(err.value) == {"transfer_in_progress"}
    assert TransferRequest.objects.count() == 1


def test_the_database_refuses_a_second_pending_transfer(tree, member):
    """R-TR-10: the partial unique index holds whatever the code does."""
    fields = {"member": member, "from_branch": tree["b1"], "to_org": tree["fb"], "reason": "moved", "kind": "self"}
    TransferRequest.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferRequest.objects.create(**fields)
    TransferRequest.objects.create(**dict(fields, status="rejected"))  # finished ones do not count
    assert TransferRequest.objects.filter(member=member).count() == 2


def test_the_database_refuses_a_second_pending_step(tree, member):
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalStep.objects.create(request=request, kind="in", org=tree["fb"], org_path=tree["fb"].path)


def test_a_transfer_to_the_same_branch_is_refused(tree, member):
    with pytest.raises(ValidationError) as err:
        apply_for_transfer(member=member, to_org=tree["b1"], reason="moved")
    assert codes(err.value) == {"same_branch"}
    with pytest.raises(ValidationError) as err:
        transfer_in(actor=tree["b1_admin"], acting_org=tree["b1"], id_number=member.id_number, name=member.name,
                    reason="moved")
    assert codes(err.value) == {"same_branch"}
    assert not TransferRequest.objects.exists()


@pytest.mark.parametrize("note, accepted", [("一二三四五六七八九", False), ("  一二三四五六七八九  ", False),
                                            ("一二三四五六七八九十", True)])
def test_other_needs_a_note_of_ten_characters(tree, member, note, accepted):
    """R-TR-13: "other" needs a note of at least 10 characters (surrounding spaces do not count)."""
    if accepted:
        request = apply_for_transfer(member=member, to_org=tree["fb"], reason="other", note=note)
        assert request.note == note
        return
    with pytest.raises(ValidationError) as err:
        apply_for_transfer(member=member, to_org=tree["fb"], reason="other", note=note)
    assert codes(err.value) == {"note_required"}
    assert not TransferRequest.objects.exists()


def test_other_needs_the_note_from_admins_too(tree, member):
    with pytest.raises(ValidationError) as err:
        transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["fb"], reason="other")
    assert codes(err.value) == {"note_required"}


@pytest.mark.parametrize("reason", ["", "graduated", "OTHER"])
def test_a_reason_off_the_national_list_is_refused(tree, member, reason):
    """R-TR-13: a fixed list."""
    with pytest.raises(ValidationError) as err:
        apply_for_transfer(member=member, to_org=tree["fb"], reason=reason)
    assert codes(err.value) == {"unknown_reason"}
    with pytest.raises(ValidationError) as err:
        transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number, name=member.name,
                    reason=reason)
    assert codes(err.value) == {"unknown_reason"}


def test_a_dissolved_target_is_refused(tree, member):
    closed = create_org(actor=None, full_name="示范科技公司测试部团支部", org_type=OrgType.BRANCH, parent=tree["firm"])
    dissolve_org(actor=None, org=closed)
    with pytest.raises(ValidationError) as err:
        apply_for_transfer(member=member, to_org=closed, reason="moved")
    assert codes(err.value) == {"target_not_active"}
    with pytest.raises(ValidationError) as err:
        transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=closed, reason="moved")
    assert codes(err.value) == {"target_not_active"}
    assert not TransferRequest.objects.exists()


@pytest.mark.parametrize("target", ["central", "province", "xj"])
def test_a_leading_organ_is_never_a_target(tree, member, target):
    """R-TR-6."""
    with pytest.raises(ValidationError) as err:
        apply_for_transfer(member=member, to_org=tree[target], reason="moved")
    assert codes(err.value) == {"target_not_allowed"}
    with pytest.raises(ValidationError) as err:
        transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree[target], reason="moved")
    assert codes(err.value) == {"target_not_allowed"}


def test_transfer_in_needs_the_name_that_goes_with_the_id_number(tree, member):
    """R-TR-2: the look-up shows nothing unless the name matches."""
    with pytest.raises(ValidationError) as err:
        transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number, name="李四",
                    reason="job_change")
    assert codes(err.value) == {"name_mismatch"}
    assert not TransferRequest.objects.exists()


def test_transfer_in_accepts_the_id_number_as_people_type_it(tree, member):
    """The ID number and the name are normalized (case, full-width spaces) before the look-up (R-ENT-1)."""
    request = transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number.lower(),
                          name=f"\u3000{member.name} ", reason="job_change")
    assert request.member == member


def test_transfer_in_of_an_unknown_id_number_is_refused(tree):
    with pytest.raises(ValidationError) as err:
        transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=make_id_number(dt.date(2001, 1, 1)),
                    name="王五", reason="job_change")
    assert codes(err.value) == {"person_not_found"}


def test_transfer_in_of_a_cadre_who_is_not_a_member_is_refused(tree):
    """R-TR-2: the person must be a league member of a branch; a committee cadre without membership is not."""
    cadre = enter_cadre(actor=None, org=tree["firm"], id_number=make_id_number(dt.date(1998, 8, 8)), name="赵六",
                        title="副书记")
    with pytest.raises(ValidationError) as err:
        transfer_in(actor=tree["b1_admin"], acting_org=tree["b1"], id_number=cadre.id_number, name=cadre.name,
                    reason="job_change")
    assert codes(err.value) == {"not_a_member"}
    with pytest.raises(ValidationError) as err:
        apply_for_transfer(member=cadre, to_org=tree["b1"], reason="job_change")
    assert codes(err.value) == {"not_a_member"}
    assert not TransferRequest.objects.exists()


def test_a_leading_organ_does_not_transfer_members_in(tree, member):
    """R-TR-6: a leading organ is never a target, so it cannot start a transfer in either."""
    with pytest.raises(PermissionDenied):
        transfer_in(actor=tree["province_admin"], acting_org=tree["province"], id_number=member.id_number,
                    name=member.name, reason="moved")
