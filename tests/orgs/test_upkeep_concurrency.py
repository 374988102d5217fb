"""Moves and rebuilds against what puts people into the organizations they change, with real row locks and threads
(PostgreSQL). Found in review (issue 15): an entry committed after a move kept the branch's old path (seen by its old
superiors, hidden from its new ones); two moves at once could make a loop; an approval could complete a transfer into
a branch just rebuilt into a committee. orgs/locking.py closes each; the assertions are about outcomes."""
import datetime as dt
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from members.models import Membership
from members.services import enter_member
from members.services.rebuilding import rebuild_org
from orgs.models import Organization, OrgType
from orgs.services import create_org, move_org
from tests.factories import make_id_number
from tests.transfers.support import new_member, pending_step
from tests.transfers.test_concurrency import _fresh, run_together
from tests.transfers.test_merging_concurrency import _merge_during
from transfers.services import apply_for_transfer, approve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_member_entered_while_their_branch_moves_gets_the_new_path(tree):
    """The entry holds the branch; the move waits for it and rewrites its path copy, or goes first and the entry
    copies the new path. Either way the membership's path is the branch's."""
    def enter():
        return enter_member(actor=None, branch=_fresh(tree["b1"]), id_number=make_id_number(dt.date(2004, 3, 1)),
                            name="新成员", joined_on=dt.date(2016, 5, 4))

    person, moved = _merge_during(enter, partial(move_org, actor=None, org=_fresh(tree["school"]),
                                                 new_parent=_fresh(tree["firm"])))
    assert not isinstance(person, Exception) and not isinstance(moved, Exception), (person, moved)
    membership = Membership.objects.get(person=person, ended_at__isnull=True)
    assert membership.org_path == Organization.objects.get(pk=tree["b1"].pk).path
    assert membership.org_path.startswith(Organization.objects.get(pk=tree["firm"].pk).path)


def test_two_moves_that_would_make_a_loop_at_once_are_one_after_the_other(tree):
    """X under Y and Y under X together: the second sees the first and is refused (never a loop)."""
    x = create_org(actor=None, full_name="甲团委", org_type=OrgType.COMMITTEE, parent=tree["province"])
    y = create_org(actor=None, full_name="乙团委", org_type=OrgType.COMMITTEE, parent=tree["province"])
    results = run_together(partial(move_org, actor=None, org=_fresh(x), new_parent=_fresh(y)),
                           partial(move_org, actor=None, org=_fresh(y), new_parent=_fresh(x)))
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and len([r for r in results if isinstance(r, Organization)]) == 1, results
    x, y = Organization.objects.get(pk=x.pk), Organization.objects.get(pk=y.pk)
    assert not (x.parent_id == y.pk and y.parent_id == x.pk)
    for org in (x, y):
        parent = Organization.objects.get(pk=org.parent_id)
        assert org.path.startswith(parent.path) and org.depth == parent.depth + 1


def test_an_approval_completing_into_a_branch_being_rebuilt_never_lands_in_a_committee(tree):
    """The approval holds its target; the rebuild of that empty branch waits, then finds a member in it and is
    refused — or went first, and the approval opens an assignment instead of completing."""
    target = create_org(actor=None, full_name="待改建团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    mover = new_member(tree["fb"], name="转来者")
    request = apply_for_transfer(member=mover, to_org=target, reason="moved")
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))  # OUT
    in_step = pending_step(request)
    approved, rebuilt = _merge_during(
        partial(approve, actor=_fresh(tree["school_admin"]), acting_org=_fresh(tree["school"]), step=_fresh(in_step)),
        partial(rebuild_org, actor=None, acting_org=_fresh(tree["school"]), org=_fresh(target),
                org_type=OrgType.GENERAL_BRANCH))
    assert not isinstance(approved, Exception), approved
    current = Membership.objects.get(person=mover, ended_at__isnull=True)
    assert Organization.objects.get(pk=current.branch_id).org_type == OrgType.BRANCH


def test_a_transfer_started_while_its_branch_moves_opens_a_step_under_the_new_path(tree):
    """The start locks the member's membership before it reads the branch; the move rewrites memberships before
    steps (orgs.services.move_org), so it waits on that lock and its later statement rewrites the new step too —
    or the move went first and the start reads the new path. Either way the OUT step's path is the branch's."""
    mover = new_member(tree["b1"], name="搬迁中转出者")
    request, moved = _merge_during(
        partial(apply_for_transfer, member=_fresh(mover), to_org=_fresh(tree["fb"]), reason="moved"),
        partial(move_org, actor=None, org=_fresh(tree["school"]), new_parent=_fresh(tree["firm"])))
    assert not isinstance(request, Exception) and not isinstance(moved, Exception), (request, moved)
    step = pending_step(request)
    assert step.org_id == tree["b1"].pk
    assert step.org_path == Organization.objects.get(pk=tree["b1"].pk).path
    assert step.org_path.startswith(Organization.objects.get(pk=tree["firm"].pk).path)
