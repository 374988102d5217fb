"""Deciding steps through the services: approve, reject (R-TR-11), assign a branch (R-TR-4/6, R-AUTH-4) and
withdraw (R-TR-11), with every refusal the contract names for them. A refused decision changes nothing."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from members.selectors.people import branch_of
from orgs.models import OrgType
from orgs.services import create_org, dissolve_org
from transfers.models import ApprovalStep, TransferRequest
from transfers.services import (
    apply_for_transfer,
    approve,
    assign_branch,
    reject,
    transfer_in,
    transfer_out,
    withdraw,
)

from .support import codes, new_member, pending_step, stranger

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(tree, member):
    """Self-service to the company's branch: an OUT step waits at branch 1."""
    return apply_for_transfer(member=member, to_org=tree["fb"], reason="employed_with_org")


@pytest.fixture
def at_assign(tree, member):
    """Self-service to the company committee, both sides approved: the ASSIGN step waits at the committee."""
    request = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    return pending_step(request)


# --- approve ----------------------------------------------------------------------------------------------

def test_an_approval_records_who_when_and_as_which_organization(tree, applied):
    """R-TR-16: every decision is kept, in the step and in the audit trail."""
    step = approve(actor=tree["school_admin"], acting_org=tree["school"], step=pending_step(applied), comment=" 同意 ")
    step.refresh_from_db()
    assert (step.status, step.decided_by, step.acting_org, step.comment) == (
        "approved", tree["school_admin"], tree["school"], "同意")
    assert step.decided_at is not None
    event = AuditEvent.objects.get(action="transfer.out.approved")
    assert (event.actor, event.acting_org, event.target_id) == (tree["school_admin"], tree["school"], str(applied.pk))
    assert event.detail["automatic"] is False


def test_approving_twice_is_refused(tree, applied):
    """STYLE.md 3: the state is re-read after locking; a step already decided is not decided again."""
    step = pending_step(applied)
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=step)
    with pytest.raises(ValidationError) as err:
        approve(actor=tree["school_admin"], acting_org=tree["school"], step=step)  # a stale copy, still "pending"
    assert codes(err.value) == {"step_not_pending"}
    assert applied.steps.filter(kind="in").count() == 1
    assert AuditEvent.objects.filter(action="transfer.out.approved").count() == 1


def test_a_step_of_a_finished_transfer_cannot_be_decided(tree, applied, member):
    step = pending_step(applied)
    withdraw(actor=member, request=applied)
    for decide in (lambda: approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=step),
                   lambda: reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=step, reason="不同意转出")):
        with pytest.raises(ValidationError) as err:
            decide()
        assert codes(err.value) == {"step_not_pending"}
    step.refresh_from_db()
    assert step.status == "cancelled"


def test_approve_and_reject_refuse_an_assign_step(tree, at_assign):
    """The contract: wrong_step_kind for approve/reject on an ASSIGN step (it needs a branch)."""
    with pytest.raises(ValidationError) as err:
        approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=at_assign)
    assert codes(err.value) == {"wrong_step_kind"}
    with pytest.raises(ValidationError) as err:
        reject(actor=tree["firm_admin"], acting_org=tree["firm"], step=at_assign, reason="没有合适的团支部")
    assert codes(err.value) == {"wrong_step_kind"}
    at_assign.refresh_from_db()
    assert at_assign.status == "pending"


# --- reject -----------------------------------------------------------------------------------------------

def test_a_rejection_ends_the_transfer_with_its_reason(tree, applied, member):
    """R-TR-11."""
    step = reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied), reason=" 请先缴纳团费 ")
    applied.refresh_from_db()
    step.refresh_from_db()
    assert (step.status, step.comment, step.decided_by) == ("rejected", "请先缴纳团费", tree["b1_admin"])
    assert applied.status == "rejected" and applied.finished_at is not None
    assert not applied.steps.filter(status="pending").exists()
    assert not applied.steps.filter(kind="in").exists()
    assert branch_of(member) == tree["b1"]


def test_the_in_side_may_reject_too(tree, applied, member):
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied))
    reject(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(applied), reason="本单位无此人")
    applied.refresh_from_db()
    assert applied.status == "rejected" and branch_of(member) == tree["b1"]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_rejection_needs_a_reason(tree, applied, reason):
    """R-TR-11."""
    with pytest.raises(ValidationError) as err:
        reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied), reason=reason)
    assert codes(err.value) == {"reason_required"}
    applied.refresh_from_db()
    assert applied.status == "pending" and pending_step(applied).kind == "out"


def test_rejecting_a_decided_step_is_refused(tree, applied):
    step = pending_step(applied)
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=step)
    with pytest.raises(ValidationError) as err:
        reject(actor=tree["school_admin"], acting_org=tree["school"], step=step, reason="不同意")
    assert codes(err.value) == {"step_not_pending"}
    step.refresh_from_db()
    assert step.status == "approved"


# --- assign a branch --------------------------------------------------------------------------------------

def test_the_committee_may_assign_any_branch_of_its_subtree(tree, member):
    """R-TR-6: "a branch of the target's subtree", not only a direct child."""
    request = transfer_in(actor=tree["uni_admin"], acting_org=tree["uni"], id_number=member.id_number,
                          name=member.name, reason="further_study")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    assign_branch(actor=tree["uni_admin"], acting_org=tree["uni"], step=pending_step(request), branch=tree["b2"])
    assert branch_of(member) == tree["b2"]


@pytest.mark.parametrize("branch", ["b1", "b2", "xjb"])
def test_assigning_a_branch_outside_the_subtree_is_refused(tree, at_assign, member, branch):
    """R-AUTH-4: assignment stays inside the target's (and the acting organization's) subtree."""
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=at_assign, branch=tree[branch])
    assert codes(err.value) == {"not_in_subtree"}
    at_assign.refresh_from_db()
    assert at_assign.status == "pending" and branch_of(member) == tree["b1"]


def test_assigning_something_that_is_not_a_branch_is_refused(tree, member):
    request = transfer_in(actor=tree["uni_admin"], acting_org=tree["uni"], id_number=member.id_number,
                          name=member.name, reason="further_study")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree["uni_admin"], acting_org=tree["uni"], step=pending_step(request), branch=tree["school"])
    assert codes(err.value) == {"target_not_allowed"}


def test_assigning_a_dissolved_branch_is_refused(tree, at_assign):
    closed = create_org(actor=None, full_name="示范科技公司测试部团支部", org_type=OrgType.BRANCH, parent=tree["firm"])
    dissolve_org(actor=None, org=closed)
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=at_assign, branch=closed)
    assert codes(err.value) == {"target_not_active"}


def test_assigning_back_to_the_old_branch_is_refused(tree):
    """A member of the company's branch moving up to the company committee cannot land where they were."""
    person = new_member(tree["fb"])
    request = apply_for_transfer(member=person, to_org=tree["firm"], reason="job_change")
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request), branch=tree["fb"])
    assert codes(err.value) == {"same_branch"}


@pytest.mark.parametrize("kind", ["out", "in"])
def test_assign_branch_refuses_an_out_or_in_step(tree, applied, kind):
    """The contract: wrong_step_kind for assign_branch on anything but an ASSIGN step."""
    if kind == "in":
        approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied))
    step = pending_step(applied)
    assert step.kind == kind
    side = "b1" if kind == "out" else "fb"
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree[f"{side}_admin"], acting_org=tree[side], step=step, branch=tree["fb"])
    assert codes(err.value) == {"wrong_step_kind"}
    step.refresh_from_db()
    assert step.status == "pending"


def test_assigning_twice_is_refused(tree, at_assign):
    assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=at_assign, branch=tree["fb"])
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree["province_admin"], acting_org=tree["province"], step=at_assign, branch=tree["fb"])
    assert codes(err.value) == {"step_not_pending"}
    assert TransferRequest.objects.get().status == "completed"


# --- withdraw ---------------------------------------------------------------------------------------------

def test_the_member_withdraws_their_own_application(tree, applied, member):
    """R-TR-11: the initiator withdraws while pending; the pending step is cancelled, nothing moves."""
    withdraw(actor=member, request=applied)
    applied.refresh_from_db()
    assert applied.status == "withdrawn" and applied.finished_at is not None
    assert list(applied.steps.values_list("status", flat=True)) == ["cancelled"]
    assert branch_of(member) == tree["b1"]
    assert AuditEvent.objects.filter(action="transfer.withdraw", actor=member, result="ok").exists()
    assert apply_for_transfer(member=member, to_org=tree["b2"], reason="moved").status == "pending"


@pytest.mark.parametrize("who", ["b1_admin", "school_admin", "fb_admin", "stranger"])
def test_only_the_member_withdraws_a_self_service_application(tree, applied, who):
    actor = stranger() if who == "stranger" else tree[who]
    with pytest.raises(PermissionDenied):
        withdraw(actor=actor, request=applied)
    applied.refresh_from_db()
    assert applied.status == "pending"
    assert AuditEvent.objects.filter(action="transfer.withdraw", actor=actor, result="denied").exists()


def test_the_admin_who_transferred_in_withdraws_it_and_the_member_cannot(tree, member):
    request = transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number,
                          name=member.name, reason="job_change")
    for other in (member, tree["firm_admin"], tree["b1_admin"]):
        with pytest.raises(PermissionDenied):
            withdraw(actor=other, request=request)
    withdraw(actor=tree["fb_admin"], request=request)
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_the_admin_who_transferred_out_withdraws_it(tree, member):
    request = transfer_out(actor=tree["school_admin"], acting_org=tree["school"], member=member, to_org=tree["fb"],
                           reason="moved")
    with pytest.raises(PermissionDenied):
        withdraw(actor=tree["b1_admin"], request=request)
    withdraw(actor=tree["school_admin"], request=request)
    request.refresh_from_db()
    assert request.status == "withdrawn"


@pytest.mark.parametrize("end", ["completed", "rejected", "withdrawn"])
def test_a_finished_transfer_cannot_be_withdrawn(tree, applied, member, end):
    if end == "completed":
        approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied))
        approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(applied))
    elif end == "rejected":
        reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied), reason="不同意")
    else:
        withdraw(actor=member, request=applied)
    with pytest.raises(ValidationError) as err:
        withdraw(actor=member, request=applied)
    assert codes(err.value) == {"not_withdrawable"}
    applied.refresh_from_db()
    assert applied.status == end


def test_a_pending_step_never_survives_its_request(tree, applied, member):
    """The pipeline's invariant: a finished request has no pending step (step_one_pending holds, too)."""
    withdraw(actor=member, request=applied)
    assert not ApprovalStep.objects.filter(request__status__in=["completed", "rejected", "withdrawn"],
                                           status="pending").exists()
