"""Who may decide, start and move (R-AUTH-3: a side is decided by the admins of that side's organization and
of its direct superior; R-TR-5; R-TR-9 with R-AUTH-4), service by service, as a matrix of the side's own
admin, its direct superior, a grand-superior, a sibling, another province, the member and a stranger.
Every refusal is PermissionDenied, leaves a "denied" audit event (R-AUTH-6) and changes nothing.
And pending_steps lists exactly what its actor may decide as the acting organization."""
import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from members.selectors.people import branch_of
from transfers.models import ApprovalStep, TransferRequest
from transfers.permissions import may_decide
from transfers.selectors import pending_steps
from transfers.services import apply_for_transfer, approve, assign_branch, batch_transfer, reject, transfer_out

from .support import denied_events, new_member, pending_step, stranger

pytestmark = pytest.mark.django_db


def _who(tree, member, key):
    """An actor by role key: an admin of the tree (`b1` → tree["b1_admin"]), the member, or a stranger."""
    if key == "member":
        return member
    if key == "stranger":
        return stranger()
    return tree[f"{key}_admin"]


def _expect_denied(action, actor, run):
    before = AuditEvent.objects.filter(result="ok").count()
    with pytest.raises(PermissionDenied):
        run()
    assert denied_events(actor, action).count() == 1
    assert AuditEvent.objects.filter(result="ok").count() == before  # nothing else happened


# --- approve and reject, on either side -------------------------------------------------------------------

# A member of branch 1 applies to branch 2 of the same general branch: the OUT side is branch 1 and the IN side
# branch 2, so each side's sibling is the other side (an approver of the transfer, but not of this step).
SIDES = {
    # side: (own, direct superior, grand-superior, sibling)
    "out": ("b1", "school", "uni", "b2"),
    "in": ("b2", "school", "uni", "b1"),
}
ROLES = ["own", "superior", "grand", "sibling", "other_province", "other_province_branch", "member", "stranger",
         "superior_posing_as_side"]


def _role(tree, member, side, role):
    """(actor, acting_org, allowed) for a role against a side."""
    own, superior, grand, sibling = SIDES[side]
    return {
        "own": (tree[f"{own}_admin"], tree[own], True),
        "superior": (tree[f"{superior}_admin"], tree[superior], True),
        "grand": (tree[f"{grand}_admin"], tree[grand], False),
        "sibling": (tree[f"{sibling}_admin"], tree[sibling], False),
        "other_province": (tree["xj_admin"], tree["xj"], False),
        "other_province_branch": (tree["xjb_admin"], tree["xjb"], False),
        "member": (member, tree[own], False),
        "stranger": (stranger(), tree[own], False),
        # R-AUTH-1: an admin acts only as an organization where they hold an admin post
        "superior_posing_as_side": (tree[f"{superior}_admin"], tree[own], False),
    }[role]


@pytest.fixture
def to_b2(tree, member):
    return apply_for_transfer(member=member, to_org=tree["b2"], reason="moved")


def _step_of(tree, request, side):
    if side == "in":
        approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    step = pending_step(request)
    assert step.kind == side
    return step


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("side", ["out", "in"])
def test_approve_matrix(tree, member, to_b2, side, role):
    step = _step_of(tree, to_b2, side)
    actor, acting_org, allowed = _role(tree, member, side, role)
    if allowed:
        approve(actor=actor, acting_org=acting_org, step=step)
        step.refresh_from_db()
        assert (step.status, step.decided_by, step.acting_org) == ("approved", actor, acting_org)
        return
    _expect_denied("transfer.approve", actor, lambda: approve(actor=actor, acting_org=acting_org, step=step))
    step.refresh_from_db()
    assert step.status == "pending" and step.decided_by is None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("side", ["out", "in"])
def test_reject_matrix(tree, member, to_b2, side, role):
    step = _step_of(tree, to_b2, side)
    actor, acting_org, allowed = _role(tree, member, side, role)
    if allowed:
        reject(actor=actor, acting_org=acting_org, step=step, reason="材料不全")
        to_b2.refresh_from_db()
        assert to_b2.status == "rejected"
        return
    _expect_denied("transfer.reject", actor,
                   lambda: reject(actor=actor, acting_org=acting_org, step=step, reason="材料不全"))
    step.refresh_from_db()
    to_b2.refresh_from_db()
    assert step.status == "pending" and to_b2.status == "pending"


# --- transfer out (R-TR-3, R-TR-5) ------------------------------------------------------------------------

@pytest.mark.parametrize("actor_key, org_key, allowed", [
    ("b1", "b1", True),              # the member's branch (R-TR-3)
    ("school", "school", True),      # its direct superior (R-TR-5)
    ("uni", "uni", False),           # a grand-superior
    ("b2", "b2", False),             # a sibling branch
    ("xj", "xj", False),             # another province
    ("xjb", "xjb", False),           # a branch of another province
    ("member", "b1", False),
    ("stranger", "b1", False),
    ("school", "b1", False),         # posing as the branch (R-AUTH-1)
])
def test_transfer_out_matrix(tree, member, actor_key, org_key, allowed):
    actor = _who(tree, member, actor_key)
    run = lambda: transfer_out(actor=actor, acting_org=tree[org_key], member=member, to_org=tree["fb"],  # noqa: E731
                               reason="moved")
    if allowed:
        assert run().status == "pending"
        return
    _expect_denied("transfer.out", actor, run)
    assert not TransferRequest.objects.exists()


# --- assign a branch (R-TR-6, R-AUTH-3, R-AUTH-4) -------------------------------------------------------------

@pytest.fixture
def assign_step(tree, member):
    request = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    return pending_step(request)


@pytest.mark.parametrize("actor_key, org_key, allowed", [
    ("firm", "firm", True),            # the target committee
    ("province", "province", True),    # its direct superior
    ("central", "central", False),     # a grand-superior
    ("uni", "uni", False),             # a sibling committee
    ("fb", "fb", False),               # a branch below it: not the side, not its superior
    ("xj", "xj", False),               # another province
    ("xjb", "xjb", False),
    ("member", "firm", False),
    ("stranger", "firm", False),
])
def test_assign_branch_matrix(tree, member, assign_step, actor_key, org_key, allowed):
    actor = _who(tree, member, actor_key)
    run = lambda: assign_branch(actor=actor, acting_org=tree[org_key], step=assign_step, branch=tree["fb"])  # noqa: E731
    if allowed:
        assert run().status == "completed"
        assert branch_of(member) == tree["fb"]
        return
    _expect_denied("transfer.assign", actor, run)
    assign_step.refresh_from_db()
    assert assign_step.status == "pending" and branch_of(member) == tree["b1"]


# --- batch transfer (R-TR-9, R-AUTH-4) --------------------------------------------------------------------

@pytest.mark.parametrize("actor_key, org_key, allowed", [
    ("b1", "b1", False),               # the branch itself: batches are for committees and general branches
    ("school", "school", True),        # the branch's direct superior
    ("uni", "uni", True),              # R-AUTH-4: anywhere inside the acting organization's subtree
    ("province", "province", False),   # a leading organ does not run batches
    ("b2", "b2", False),               # a sibling branch (the target itself)
    ("xj", "xj", False),               # another province
    ("xjb", "xjb", False),
    ("member", "school", False),
    ("stranger", "school", False),
])
def test_batch_transfer_matrix(tree, member, actor_key, org_key, allowed):
    people = [member, new_member(tree["b1"])]
    actor = _who(tree, member, actor_key)
    run = lambda: batch_transfer(actor=actor, acting_org=tree[org_key], from_branch=tree["b1"],  # noqa: E731
                                 members=people, to_branch=tree["b2"], reason="job_change")
    if allowed:
        assert len(run()) == 2
        assert all(branch_of(p) == tree["b2"] for p in people)
        return
    _expect_denied("transfer.batch", actor, run)
    assert all(branch_of(p) == tree["b1"] for p in people) and not TransferRequest.objects.exists()


# --- pending_steps ----------------------------------------------------------------------------------------

@pytest.fixture
def many_steps(tree, member):
    """One pending step at each of branch 1 (OUT), the company's branch (IN), the company committee (ASSIGN)
    and the Xinjiang branch (OUT)."""
    out_b1 = pending_step(apply_for_transfer(member=member, to_org=tree["fb"], reason="moved"))
    in_fb = pending_step(transfer_out(actor=tree["b2_admin"], acting_org=tree["b2"], member=new_member(tree["b2"]),
                                      to_org=tree["fb"], reason="moved"))
    to_firm = apply_for_transfer(member=new_member(tree["b2"], name="王强"), to_org=tree["firm"], reason="moved")
    approve(actor=tree["b2_admin"], acting_org=tree["b2"], step=pending_step(to_firm))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(to_firm))
    assign_firm = pending_step(to_firm)
    out_xjb = pending_step(apply_for_transfer(member=new_member(tree["xjb"]), to_org=tree["fb"], reason="moved"))
    return {"out_b1": out_b1, "in_fb": in_fb, "assign_firm": assign_firm, "out_xjb": out_xjb}


@pytest.mark.parametrize("actor_key, org_key, expected", [
    ("b1", "b1", {"out_b1"}),
    ("school", "school", {"out_b1"}),
    ("uni", "uni", set()),
    ("b2", "b2", set()),
    ("fb", "fb", {"in_fb"}),
    ("firm", "firm", {"in_fb", "assign_firm"}),
    ("province", "province", {"assign_firm"}),
    ("central", "central", set()),
    ("xjb", "xjb", {"out_xjb"}),
    ("xj", "xj", {"out_xjb"}),
    # not an admin of the acting organization: nothing, whatever that organization has waiting
    ("school", "b1", set()),
    ("fb", "firm", set()),
    ("member", "b1", set()),
    ("stranger", "b1", set()),
])
def test_pending_steps_lists_exactly_what_the_actor_may_decide(tree, member, many_steps, actor_key, org_key,
                                                                  expected):
    actor = _who(tree, member, actor_key)
    listed = set(pending_steps(actor=actor, acting_org=tree[org_key]).values_list("pk", flat=True))
    assert listed == {many_steps[name].pk for name in expected}
    # the list and the permission check agree on every pending step
    for step in ApprovalStep.objects.filter(status="pending").select_related("org"):
        if step.pk in listed:
            assert may_decide(actor, tree[org_key], step)


def test_pending_steps_forgets_a_step_once_decided(tree, many_steps):
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=many_steps["out_b1"])
    assert not pending_steps(actor=tree["b1_admin"], acting_org=tree["b1"]).exists()


def test_pending_steps_with_no_acting_org_is_empty(tree, many_steps):
    assert not pending_steps(actor=tree["b1_admin"], acting_org=None).exists()
