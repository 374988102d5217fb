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
from members.selectors import branch_of
from transfers.models import ApprovalStep, TransferRequest
from transfers.services import apply_for_transfer, approve, auto_approve_due, transfer_out, withdraw

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
            partial(auto_approve_due, now=step.created_at + LATER),
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
