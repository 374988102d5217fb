"""Real row locks, real threads, PostgreSQL only (tests/conftest.py deselects these on SQLite).
STYLE.md 3: the request is locked before its step and the state re-read after locking, so two deciders never
both decide; R-TR-7: the sweep skips what is locked (SKIP LOCKED) and is safe on several machines at once;
R-TR-10: the partial unique index keeps one transfer in progress whatever the timing.
Each thread starts at a barrier and closes its own database connection at its end. The assertions are about
outcomes only (exactly one decision), never about which thread won or how long anything took."""
import datetime as dt
import threading
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from members.models import Membership, Person
from members.selectors.people import branch_of
from transfers.models import ApprovalStep, TransferRequest
from transfers.services import apply_for_transfer, approve, auto_approve_due, batch_transfer, transfer_out, withdraw

from .support import codes, new_member, pending_step

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LATER = dt.timedelta(days=16)  # every step opened during the test is due by then (R-TR-7: 15 days)


def run_together(*calls):
    """Run each call in its own thread, all released at once; return what each returned or raised."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # handed back to the test, which checks its type
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (a deadlock?)"
    return results


def _refused_as_not_pending(result) -> bool:
    return isinstance(result, ValidationError) and codes(result) == {"step_not_pending"}


def _fresh(obj):
    """A copy of its own for each thread (instances carry caches, e.g. the actor's admin posts)."""
    return type(obj).objects.get(pk=obj.pk)


def _decisions_of(step) -> int:
    return AuditEvent.objects.filter(action__in=[f"transfer.{step.kind}.approved", f"transfer.{step.kind}.auto_approved"],
                                     detail__step=step.pk).count()


def test_two_admins_approving_one_step_make_one_decision(tree):
    """The branch's admin and its direct superior's admin (both allowed, R-AUTH-3) press "approve" together."""
    requests = [apply_for_transfer(member=new_member(tree["b1"], name=f"并发{i}"), to_org=tree["fb"], reason="moved")
                for i in range(3)]
    for request in requests:
        step = pending_step(request)
        results = run_together(
            partial(approve, actor=_fresh(tree["b1_admin"]), acting_org=tree["b1"], step=_fresh(step)),
            partial(approve, actor=_fresh(tree["school_admin"]), acting_org=tree["school"], step=_fresh(step)),
        )
        winners = [r for r in results if isinstance(r, ApprovalStep)]
        assert len(winners) == 1, results
        assert sum(_refused_as_not_pending(r) for r in results) == 1, results
        step.refresh_from_db()
        assert step.status == "approved" and step.decided_by_id == winners[0].decided_by_id
        assert _decisions_of(step) == 1
        assert request.steps.filter(kind="in").count() == 1  # the next step opened once


def test_the_sweep_and_an_admin_at_once_make_one_decision(tree):
    for i in range(3):
        person = new_member(tree["b1"], name=f"并发{i}")
        request = apply_for_transfer(member=person, to_org=tree["fb"], reason="moved")
        step = pending_step(request)
        admin_result, swept = run_together(
            partial(approve, actor=_fresh(tree["b1_admin"]), acting_org=tree["b1"], step=_fresh(step)),
            # Its clock is the OUT step's due time: the IN step an admin's approval opens is not due by it.
            partial(auto_approve_due, now=step.due_at),
        )
        step.refresh_from_db()
        if isinstance(admin_result, ApprovalStep):  # the admin decided; the sweep skipped or found it decided
            assert swept == 0 and step.status == "approved"
        else:  # the sweep decided; the admin was told it is no longer pending
            assert _refused_as_not_pending(admin_result), admin_result
            assert swept == 1 and step.status == "auto_approved"
        assert _decisions_of(step) == 1
        assert request.steps.filter(kind="in").count() == 1
        withdraw(actor=person, request=request)  # so that the next round's sweep finds only its own step


def test_two_applications_at_once_leave_one_in_progress(tree):
    """R-TR-10: both pass the check before either has written; the database keeps one."""
    for i in range(3):
        person = new_member(tree["b1"], name=f"并发{i}")
        results = run_together(
            partial(apply_for_transfer, member=_fresh(person), to_org=tree["fb"], reason="moved"),
            partial(apply_for_transfer, member=_fresh(person), to_org=tree["b2"], reason="moved"),
        )
        started = [r for r in results if isinstance(r, TransferRequest)]
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(started) == 1 and len(refused) == 1, results
        assert codes(refused[0]) == {"transfer_in_progress"}
        assert TransferRequest.objects.filter(member=person, status="pending").count() == 1
        # the refused start left nothing behind: one request, one step
        assert TransferRequest.objects.filter(member=person).count() == 1
        assert ApprovalStep.objects.filter(request__member=person).count() == 1


def test_two_sweeps_at_once_approve_each_due_step_once(tree):
    """R-TR-7: safe on several machines at once. Due OUT steps (which open IN steps) and due IN steps (which
    complete transfers, moving memberships) are mixed."""
    outs = [apply_for_transfer(member=new_member(tree["b1"], name=f"申请{i}"), to_org=tree["fb"], reason="moved")
            for i in range(4)]
    ins = [transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=new_member(tree["b1"], name=f"转出{i}"),
                        to_org=tree["fb"], reason="moved") for i in range(4)]
    due = {pending_step(r).pk for r in outs + ins}
    now = timezone.now() + LATER

    first, second = run_together(partial(auto_approve_due, now=now), partial(auto_approve_due, now=now))
    assert first + second == len(due), (first, second)
    steps = ApprovalStep.objects.filter(pk__in=due)
    assert set(steps.values_list("status", flat=True)) == {"auto_approved"}
    assert all(_decisions_of(step) == 1 for step in steps)
    for request in outs:
        assert request.steps.filter(kind="in").count() == 1 and pending_step(request).kind == "in"
    for request in ins:
        request.refresh_from_db()
        assert request.status == "completed"
        assert branch_of(Person.objects.get(pk=request.member_id)) == tree["fb"]
        assert Membership.objects.filter(person_id=request.member_id).count() == 2  # moved once, history kept
    # and nothing is left for a third sweep at the same clock
    assert auto_approve_due(now=now) == 0


# --- R-TR-17: batches against batches, approvals and withdrawals ------------------------------------------
# Each race runs ROUNDS times with fresh members: on code that checks outside the transaction, both sides
# pass their checks in most rounds, so one round is enough to show the fault.

ROUNDS = 5
REFUSED_BATCH = {"not_in_branch", "transfer_in_progress"}


def _branch(tree, key, full_name, parent="school"):
    from orgs.models import OrgType
    from orgs.services import create_org

    tree[key] = create_org(actor=None, full_name=full_name, org_type=OrgType.BRANCH, parent=tree[parent])
    return tree[key]


def _batch_call(tree, people, *, by, to, source="b1"):
    return partial(batch_transfer, actor=_fresh(tree[f"{by}_admin"]), acting_org=_fresh(tree[by]),
                   from_branch=_fresh(tree[source]), members=[_fresh(p) for p in people], to_branch=_fresh(tree[to]),
                   reason="job_change")


def _moved_once(person, to) -> None:
    """One current membership, where the winner put it; the history holds the old one; one completed transfer."""
    rows = list(Membership.objects.filter(person=person).order_by("started_at", "pk"))
    assert [(m.branch_id, m.ended_at is None) for m in rows][-1] == (to.pk, True), rows
    assert len(rows) == 2 and Membership.objects.filter(person=person, ended_at__isnull=True).count() == 1, rows
    assert TransferRequest.objects.filter(member=person, status="completed").count() == 1
    assert AuditEvent.objects.filter(action="transfer.completed", target_id=str(
        TransferRequest.objects.get(member=person, status="completed").pk)).count() == 1


def _one_batch_won(results, people, targets):
    """Exactly one batch moved everyone it named; the other was refused whole and left nothing behind."""
    won = [i for i, r in enumerate(results) if isinstance(r, list)]
    lost = [i for i, r in enumerate(results) if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert codes(results[lost[0]]) <= REFUSED_BATCH, results
    assert len(results[won[0]]) == len(people)
    for person in people:
        _moved_once(person, targets[won[0]])
    assert not Membership.objects.filter(person__in=people, branch=targets[lost[0]]).exists()
    assert TransferRequest.objects.filter(member__in=people).count() == len(people)  # the loser created none


def test_two_batches_naming_the_same_members_move_them_once(tree):
    """R-TR-17 / R-TR-9: the same members, two targets, one moment: one batch moves all, the other nobody."""
    b3 = _branch(tree, "b3", "信息学院3班团支部")
    for n in range(ROUNDS):
        people = [new_member(tree["b1"], name=f"同批{n}{i}") for i in range(3)]
        named = people if n % 2 else list(reversed(people))  # the caller's order must not matter (no deadlock)
        results = run_together(_batch_call(tree, people, by="school", to="b2"),
                               _batch_call(tree, named, by="school", to="b3"))
        _one_batch_won(results, people, [tree["b2"], b3])
        assert AuditEvent.objects.filter(action="transfer.batch", detail__batch=str(
            TransferRequest.objects.filter(member=people[0]).get().batch_id)).count() == 1


def test_two_admins_batching_a_shared_member_across_subtrees_end_one_membership(tree):
    """The university committee moves a member of branch 1 to a branch outside the school's general branch
    while the general branch moves the same member inside it. Both pass the page's pre-check; whichever loses
    ends no membership (never one outside its own subtree)."""
    from transfers.services.batch import precheck_codes

    outside = _branch(tree, "ub", "北京示范大学机关团支部", parent="uni")
    for n in range(ROUNDS):
        shared = new_member(tree["b1"], name=f"共享{n}")
        assert precheck_codes(from_branch=tree["b1"], members=[shared]) == {shared.pk: ("", "")}
        results = run_together(_batch_call(tree, [shared], by="school", to="b2"),
                               _batch_call(tree, [shared], by="uni", to="ub"))
        _one_batch_won(results, [shared], [tree["b2"], outside])
        ended = Membership.objects.get(person=shared, ended_at__isnull=False)
        assert ended.branch_id == tree["b1"].pk  # the only membership ended is the one in the from branch


def test_a_batch_and_the_approval_of_a_members_transfer_complete_one_of_them(tree):
    """One of the batch's members has a transfer out waiting for its last approval (the target branch's)."""
    for n in range(ROUNDS):
        people = [new_member(tree["b1"], name=f"批审{n}{i}") for i in range(3)]
        single = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=people[1], to_org=tree["fb"],
                              reason="moved")
        step = pending_step(single)
        batch_result, approval = run_together(
            _batch_call(tree, people, by="school", to="b2"),
            partial(approve, actor=_fresh(tree["fb_admin"]), acting_org=_fresh(tree["fb"]), step=_fresh(step)))
        single.refresh_from_db()
        if isinstance(batch_result, list):  # the batch moved everyone; the single transfer could not complete
            assert isinstance(approval, ValidationError) and codes(approval) <= {"not_in_branch"}, approval
            assert single.status == "pending"
            for person in people:
                _moved_once(person, tree["b2"])
        else:  # the approval completed it; the batch was refused whole
            assert isinstance(approval, ApprovalStep) and single.status == "completed", (batch_result, approval)
            assert isinstance(batch_result, ValidationError) and codes(batch_result) <= REFUSED_BATCH, batch_result
            _moved_once(people[1], tree["fb"])
            assert all(branch_of(p) == tree["b1"] for p in (people[0], people[2]))
            assert not TransferRequest.objects.filter(member__in=people, kind="batch").exists()


def test_a_batch_and_the_withdrawal_of_a_members_transfer_leave_one_consistent_outcome(tree):
    """The member withdraws their own application while a batch names them: the withdrawal always stands; the
    batch moves everyone (it saw the withdrawal) or nobody (it saw the transfer still in progress)."""
    for n in range(ROUNDS):
        people = [new_member(tree["b1"], name=f"批撤{n}{i}") for i in range(3)]
        single = apply_for_transfer(member=people[1], to_org=tree["fb"], reason="moved")
        batch_result, withdrawn = run_together(_batch_call(tree, people, by="school", to="b2"),
                                               partial(withdraw, actor=_fresh(people[1]), request=_fresh(single)))
        single.refresh_from_db()
        assert isinstance(withdrawn, TransferRequest) and single.status == "withdrawn", withdrawn
        assert not TransferRequest.objects.filter(member__in=people, status="pending").exists()
        if isinstance(batch_result, list):
            for person in people:
                _moved_once(person, tree["b2"])
        else:
            assert isinstance(batch_result, ValidationError) and codes(batch_result) == {"transfer_in_progress"}
            assert all(branch_of(p) == tree["b1"] for p in people)
            assert all(Membership.objects.filter(person=p).count() == 1 for p in people)
            assert not TransferRequest.objects.filter(member__in=people, kind="batch").exists()


def test_an_application_during_a_batch_starts_from_where_the_member_is(tree):
    """A start takes the member's lock too (flow.py's lock order): it never records a from_branch that a batch
    has just moved the member out of, which no approval could then complete (not_in_branch)."""
    for n in range(ROUNDS):
        person = new_member(tree["b1"], name=f"批申{n}")
        batch_result, applied = run_together(
            _batch_call(tree, [person], by="school", to="b2"),
            partial(apply_for_transfer, member=_fresh(person), to_org=tree["fb"], reason="moved"))
        assert isinstance(batch_result, list) or codes(batch_result) == {"transfer_in_progress"}, batch_result
        assert isinstance(applied, TransferRequest) or codes(applied) == {"transfer_in_progress"}, applied
        for request in TransferRequest.objects.filter(member=person, status="pending"):
            assert request.from_branch_id == branch_of(Person.objects.get(pk=person.pk)).pk


# --- the chunked sweep (issue 13): many chunks, two sweeps, each due step once ------------------------------

def _many_due(tree, n: int) -> tuple[set[int], list[TransferRequest], list[TransferRequest]]:
    """n due OUT steps (each opens an IN step) and n due IN steps (each completes), plus one the sweep must
    leave pending (R-TR-17). Returns the due step ids that can be approved, and the two kinds of request."""
    outs = [apply_for_transfer(member=new_member(tree["b1"], name=f"出{i}"), to_org=tree["fb"], reason="moved")
            for i in range(n)]
    ins = [transfer_out(actor=tree["b2_admin"], acting_org=tree["b2"], member=new_member(tree["b2"], name=f"入{i}"),
                        to_org=tree["fb"], reason="moved") for i in range(n)]
    stuck = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=new_member(tree["b1"], name="困"),
                         to_org=tree["fb"], reason="moved")
    now = timezone.now()
    Membership.objects.filter(person=stuck.member, ended_at__isnull=True).update(ended_at=now, end_reason="test")
    Membership.objects.create(person=stuck.member, branch=tree["xjb"], org_path=tree["xjb"].path, started_at=now)
    return {pending_step(r).pk for r in outs + ins}, outs, ins


def _each_decided_once(due, outs, ins) -> None:
    steps = ApprovalStep.objects.filter(pk__in=due)
    assert set(steps.values_list("status", flat=True)) == {"auto_approved"}
    decisions = AuditEvent.objects.filter(action__in=["transfer.out.auto_approved", "transfer.in.auto_approved"])
    assert decisions.count() == len(due)
    assert {e.detail["step"] for e in decisions} == due  # no step twice, none missed
    for request in outs:
        assert request.steps.filter(kind="in").count() == 1 and pending_step(request).kind == "in"
    completed = AuditEvent.objects.filter(action="transfer.completed")
    assert completed.count() == len(ins)
    assert set(completed.values_list("target_id", flat=True)) == {str(r.pk) for r in ins}
    for request in ins:
        assert Membership.objects.filter(person_id=request.member_id).count() == 2  # moved once, history kept
        assert Membership.objects.filter(person_id=request.member_id, ended_at__isnull=True,
                                         branch=request.to_org).exists()
    assert TransferRequest.objects.filter(pk__in=[r.pk for r in ins], status="completed").count() == len(ins)


def test_two_chunked_sweeps_at_once_approve_each_of_many_due_steps_once(tree):
    """Small chunks, so the two sweeps interleave many times: every due step is decided exactly once, the one
    R-TR-17 refuses by neither."""
    due, outs, ins = _many_due(tree, 30)
    now = timezone.now() + LATER

    first, second = run_together(partial(auto_approve_due, now=now, batch=4),
                                 partial(auto_approve_due, now=now, batch=4))
    assert first + second == len(due), (first, second)
    _each_decided_once(due, outs, ins)
    assert auto_approve_due(now=now) == 0


def test_the_command_with_two_worker_processes_approves_each_due_step_once(tree):
    """`auto_approve_transfers --workers 2`: two processes sweep side by side."""
    import io

    from django.core.management import call_command

    due, outs, ins = _many_due(tree, 20)
    ApprovalStep.objects.filter(pk__in=due).update(due_at=timezone.now())  # test data only: due already
    ApprovalStep.objects.filter(request__member__name="困", status="pending").update(due_at=timezone.now())
    out = io.StringIO()
    call_command("auto_approve_transfers", workers=2, batch=3, stdout=out)
    assert out.getvalue().strip() == f"自动同意 {len(due)} 个超时步骤"
    _each_decided_once(due, outs, ins)
