"""Merges (transfers/services/merging.py) against each other and against completions, with real row locks and real
threads, PostgreSQL only. R-TR-17: whatever the timing, each member ends in exactly one current branch, an active
one, and the loser of a race is refused whole or finds the work already moved; nothing deadlocks (run_together
fails on a stuck thread). The assertions are about outcomes, never about which thread won."""
import threading
import time
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from members.models import Membership
from members.selectors.people import branch_of
from orgs.models import Organization, OrgType
from orgs.services import create_org
from transfers.models import TransferRequest
from transfers.services import apply_for_transfer, approve, batch_transfer
from transfers.services.merging import merge_branch

from .support import codes, new_member, pending_step
from .test_concurrency import _fresh, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _branch(tree, name):
    return create_org(actor=None, full_name=name, org_type=OrgType.BRANCH, parent=tree["school"])


def _merge(tree, merged, into, by="school"):
    return partial(merge_branch, actor=_fresh(tree[f"{by}_admin"]), acting_org=_fresh(tree[by]), merged=_fresh(merged),
                   into=_fresh(into))


def _one_current_branch_each(people) -> None:
    for person in people:
        rows = list(Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch"))
        assert len(rows) == 1 and rows[0].branch.is_active, (person, rows)


def test_two_merges_of_one_branch_at_once_move_everyone_once(tree):
    for i in range(2):
        merged, left, right = (_branch(tree, f"并发{i}{k}班团支部") for k in "abc")
        people = [new_member(merged, name=f"成员{i}{k}") for k in range(4)]
        results = run_together(_merge(tree, merged, left), _merge(tree, merged, right, by="uni"))
        won = [r for r in results if isinstance(r, list)]
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(won) == 1 and len(refused) == 1, results
        assert codes(refused[0]) == {"target_not_active"}  # it found the branch dissolved under the lock
        _one_current_branch_each(people)
        assert len({branch_of(p).pk for p in people}) == 1
        assert TransferRequest.objects.filter(member__in=people, kind="reorg").count() == 4
        assert not Organization.objects.get(pk=merged.pk).is_active


def test_a_chain_of_merges_at_once_never_strands_a_member(tree):
    """a → b and b → c together: either both happen (everyone of a and b in c) or the second finds b dissolved."""
    for i in range(2):
        a, b, c = (_branch(tree, f"链式{i}{k}班团支部") for k in "abc")
        people = [new_member(a, name=f"甲{i}{k}") for k in range(3)] + [new_member(b, name=f"乙{i}{k}")
                                                                        for k in range(3)]
        results = run_together(_merge(tree, a, b), _merge(tree, b, c, by="uni"))
        assert all(isinstance(r, list | ValidationError) for r in results), results
        for r in results:
            if isinstance(r, ValidationError):
                assert codes(r) == {"target_not_active"}, r
        _one_current_branch_each(people)


def test_a_merge_and_the_approval_completing_a_members_transfer_at_once(tree):
    """Whichever locks first, the approval completes and the member lands where the transfer said; everyone else of
    the branch moves with the merge (R-TR-17: the completion reads the membership under the member's lock, the
    merge reads who is in the branch under the members' locks)."""
    for i in range(3):
        merged, into = _branch(tree, f"审批{i}a班团支部"), _branch(tree, f"审批{i}b班团支部")
        leaver, *others = [new_member(merged, name=f"成员{i}{k}") for k in range(3)]
        request = apply_for_transfer(member=leaver, to_org=tree["fb"], reason="moved")
        approve(actor=tree["school_admin"], acting_org=tree["school"], step=pending_step(request))  # OUT, by the parent
        in_step = pending_step(request)
        moved, decided = run_together(_merge(tree, merged, into),
                                      partial(approve, actor=_fresh(tree["fb_admin"]), acting_org=_fresh(tree["fb"]),
                                              step=_fresh(in_step)))
        assert isinstance(moved, list) and not isinstance(decided, Exception), (moved, decided)
        assert branch_of(leaver) == tree["fb"]
        assert all(branch_of(p) == into for p in others)
        _one_current_branch_each([leaver, *others])


def test_a_merge_and_a_batch_on_the_same_members_at_once(tree):
    """The batch moves its members whole or is refused whole (R-TR-9); the merge moves whoever is left."""
    for i in range(3):
        merged, into, target = (_branch(tree, f"批量{i}{k}班团支部") for k in "abc")
        people = [new_member(merged, name=f"成员{i}{k}") for k in range(4)]
        merged_result, batch_result = run_together(
            _merge(tree, merged, into),
            partial(batch_transfer, actor=_fresh(tree["school_admin"]), acting_org=_fresh(tree["school"]),
                    from_branch=_fresh(merged), members=people[:2], to_branch=_fresh(target), reason="job_change"))
        assert isinstance(merged_result, list), merged_result
        if isinstance(batch_result, ValidationError):
            assert codes(batch_result) & {"target_not_active", "not_in_branch"}, batch_result
            assert all(branch_of(p) == into for p in people)
        else:
            assert [branch_of(p) for p in people] == [target, target, into, into]
        _one_current_branch_each(people)


def test_a_merge_and_a_batch_into_the_merged_branch_at_once(tree):
    """The batch locks the branches it reads (batch._check_orgs), so it either lands before the merge, whose members
    its people then become, or finds the branch dissolved and moves nobody; nobody is left in a dissolved branch."""
    for i in range(3):
        merged, into, source = (_branch(tree, f"转入{i}{k}班团支部") for k in "abc")
        arrivals = [new_member(source, name=f"来者{i}{k}") for k in range(2)]
        merged_result, batch_result = run_together(
            _merge(tree, merged, into),
            partial(batch_transfer, actor=_fresh(tree["school_admin"]), acting_org=_fresh(tree["school"]),
                    from_branch=_fresh(source), members=arrivals, to_branch=_fresh(merged), reason="job_change"))
        assert isinstance(merged_result, list), merged_result
        if isinstance(batch_result, ValidationError):
            assert codes(batch_result) == {"target_not_active"}, batch_result
            assert all(branch_of(p) == source for p in arrivals)
        else:
            assert all(branch_of(p) == into for p in arrivals)
        _one_current_branch_each(arrivals)


def _lock_waits() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()")
        return cur.fetchone()[0]


def _merge_during(put_in, merge) -> tuple:
    """`put_in` runs in a transaction that stays open until the merge has either finished or is seen waiting on a
    lock: the merge starts while the newcomer is not yet committed, the window the organization's shared lock
    (orgs/locking.py) closes."""
    inside, finished = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            result = put_in()
            inside.set()
            for _ in range(200):  # at most 10 s
                if finished.is_set() or _lock_waits():
                    break
                time.sleep(0.05)
        return result

    def second():
        assert inside.wait(10)
        try:
            return merge()
        finally:
            finished.set()

    return run_together(first, second)


def test_a_member_entered_while_the_branch_is_merged_is_moved_with_it(tree):
    """issue 15: an entry into the merged branch, not yet committed when the merge starts: the merge waits for it
    and moves the newcomer too (before, the newcomer was left in the dissolved branch)."""
    merged, into = _branch(tree, "录入a班团支部"), _branch(tree, "录入b班团支部")
    old = new_member(merged, name="老成员")
    newcomer, moved = _merge_during(partial(new_member, _fresh(merged), name="新成员"), _merge(tree, merged, into))
    assert not isinstance(newcomer, Exception) and not isinstance(moved, Exception), (newcomer, moved)
    _one_current_branch_each([old, newcomer])
    assert branch_of(newcomer).pk == into.pk


def test_a_transfer_started_into_the_merged_branch_while_it_merges_arrives_at_the_sibling(tree):
    merged, into = _branch(tree, "转入a班团支部"), _branch(tree, "转入b班团支部")
    new_member(merged, name="老成员")
    mover = new_member(tree["fb"], name="转来者")
    request, moved = _merge_during(
        partial(apply_for_transfer, member=_fresh(mover), to_org=_fresh(merged), reason="moved"),
        _merge(tree, merged, into))
    assert not isinstance(request, Exception) and not isinstance(moved, Exception), (request, moved)
    request.refresh_from_db()
    assert request.to_org_id == into.pk  # re-pointed, never left arriving at a dissolved branch
