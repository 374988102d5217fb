"""R-TR-17 without threads: a completion (the last approval, a branch assignment, the sweep, a batch) moves the
member only from the transfer's from_branch, read under the member's lock. A member who has left that branch
by another path is refused with `not_in_branch`, and the refused completion changes nothing.
(The same races with real threads: test_concurrency.py.)"""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from members.models import Membership
from members.selectors.people import branch_of
from members.services import change_league_status
from transfers.models import TransferRequest
from transfers.services import (
    apply_for_transfer,
    approve,
    assign_branch,
    auto_approve_due,
    batch_transfer,
    transfer_out,
)
from transfers.services.batch import precheck_codes

from .support import codes, new_member, pending_step

pytestmark = pytest.mark.django_db


def _moved_behind_its_back(person, branch=None) -> None:
    """The member's membership changes without the transfer knowing: rows written before R-TR-17 was
    enforced, or any path that forgets the lock. branch=None: they are in no branch at all."""
    now = timezone.now()
    Membership.objects.filter(person=person, ended_at__isnull=True).update(ended_at=now, end_reason="test")
    if branch is not None:
        Membership.objects.create(person=person, branch=branch, org_path=branch.path, started_at=now)


def _unchanged(request, person, branch) -> None:
    request.refresh_from_db()
    assert request.status == "pending" and request.to_branch_id is None
    assert pending_step(request)  # still there for an admin to reject
    assert branch_of(person) == branch
    assert not AuditEvent.objects.filter(action="transfer.completed", target_id=str(request.pk)).exists()


def test_the_last_approval_is_refused_when_the_member_has_left_the_from_branch(tree, member):
    request = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["fb"],
                           reason="moved")
    _moved_behind_its_back(member, tree["b2"])
    with pytest.raises(ValidationError) as err:
        approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    assert codes(err.value) == {"not_in_branch"}
    assert "不在转出的团支部" in err.value.messages[0]
    _unchanged(request, member, tree["b2"])
    assert Membership.objects.filter(person=member).count() == 2  # nothing ended, nothing started


def test_an_assignment_is_refused_when_the_member_is_in_no_branch(tree, member):
    request = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    _moved_behind_its_back(member)
    with pytest.raises(ValidationError) as err:
        assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request), branch=tree["fb"])
    assert codes(err.value) == {"not_in_branch"}
    assert pending_step(request).kind == "assign"  # the assignment was rolled back with the refusal
    _unchanged(request, member, None)


def test_the_sweep_leaves_such_a_transfer_pending_and_approves_the_rest(tree, member):
    stuck = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["fb"],
                         reason="moved")
    other = new_member(tree["b1"], name="王五")
    fine = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=other, to_org=tree["fb"], reason="moved")
    _moved_behind_its_back(member, tree["b2"])
    assert auto_approve_due(now=timezone.now() + dt.timedelta(days=16)) == 1
    _unchanged(stuck, member, tree["b2"])
    fine.refresh_from_db()
    assert fine.status == "completed" and branch_of(other) == tree["fb"]


def test_a_step_before_the_last_is_still_decided(tree, member):
    """Only completing needs the member in from_branch; the OUT approval of a self-service application opens
    the IN step as usual, and the guard speaks when that one completes."""
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    _moved_behind_its_back(member, tree["b2"])
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    with pytest.raises(ValidationError) as err:
        approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    assert codes(err.value) == {"not_in_branch"}
    _unchanged(request, member, tree["b2"])


def test_a_batch_confirmed_after_its_pre_check_refuses_a_member_moved_meanwhile(tree):
    """The page's pre-check is a hint: between it and the confirmation another batch moved one of them."""
    people = [new_member(tree["b1"], name=f"成员{i}") for i in range(3)]
    assert {code for code, _why in precheck_codes(from_branch=tree["b1"], members=people).values()} == {""}
    batch_transfer(actor=tree["uni_admin"], acting_org=tree["uni"], from_branch=tree["b1"], members=[people[2]],
                   to_branch=tree["b2"], reason="moved")
    with pytest.raises(ValidationError) as err:
        batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"],
                       members=people, to_branch=tree["b2"], reason="job_change")
    assert codes(err.value) == {"not_in_branch"}
    assert people[2].name in err.value.messages[0]
    assert branch_of(people[0]) == branch_of(people[1]) == tree["b1"]  # refused whole (R-TR-9)
    assert TransferRequest.objects.count() == 1 and Membership.objects.filter(person=people[2]).count() == 2


def test_a_batch_refuses_a_member_who_left_the_league_after_the_pre_check(tree):
    """Leaving (members/services/lifecycle.py) ends the membership under the same Person lock."""
    people = [new_member(tree["b1"], name=f"成员{i}") for i in range(2)]
    assert {code for code, _why in precheck_codes(from_branch=tree["b1"], members=people).values()} == {""}
    change_league_status(actor=tree["b1_admin"], person=people[0], to_status="withdrew", reason="本人申请自愿退团")
    with pytest.raises(ValidationError) as err:
        batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"],
                       members=people, to_branch=tree["b2"], reason="job_change")
    assert codes(err.value) == {"not_in_branch"}
    assert branch_of(people[1]) == tree["b1"] and not TransferRequest.objects.exists()


def test_a_batch_rechecks_the_subtree_on_the_rows_as_they_are_now(tree):
    """R-AUTH-4 against the database, not the caller's copy: the target was moved out of the acting subtree
    after the page was drawn."""
    from orgs.services import move_org

    person = new_member(tree["b1"])
    stale_target = tree["b2"]
    move_org(actor=None, org=tree["b2"], new_parent=tree["uni"])
    with pytest.raises(ValidationError) as err:
        batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"],
                       members=[person], to_branch=stale_target, reason="job_change")
    assert codes(err.value) == {"not_in_subtree"}
    assert branch_of(person) == tree["b1"]

