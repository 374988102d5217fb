"""The chunked sweep (issue 13) against the path it replaced: each due step through `flow.decide` in a transaction
of its own. Both run on the same data, each inside a savepoint that is rolled back, and must leave the same steps,
requests, memberships, posts, audit events, messages and organization flags. Then R-TR-7's boundary inside a
chunk, a chunk's query count at two sizes, and a sweep that keeps going past steps it must leave pending.
(Two sweeps at once, with real threads and processes: test_concurrency.py.)"""
import datetime as dt
import logging
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from members.models import CadrePost, Membership
from members.services import enter_cadre
from orgs.models import Organization
from transfers.models import ApprovalStep, Message, TransferRequest
from transfers.services import apply_for_transfer, approve, auto_approve_due, sweep, transfer_in, transfer_out, withdraw
from transfers.services.flow import decide
from transfers.services.sweep import _claim, sweep_chunk

from .support import new_member, pending_step

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
NOT_IN_BRANCH = "该团员已不在转出的团支部（可能刚被转走或已离团），这项转接不能办结。"


def one_step_at_a_time(now) -> int:
    """The sweep before issue 13, kept as the reference: every due step in its own transaction, through
    `flow.decide`; a refusal rolls back that step alone."""
    approved = 0
    due = (ApprovalStep.objects.filter(status="pending", due_at__lte=now, kind__in=["out", "in"])
           .order_by("due_at", "pk").values_list("pk", "request_id"))
    for step_id, request_id in list(due):
        try:
            with transaction.atomic():
                request = TransferRequest.objects.select_for_update().get(pk=request_id)
                step = ApprovalStep.objects.select_for_update().get(pk=step_id)
                if step.status == "pending" and request.status == "pending":
                    decide(request, step, status=ApprovalStep.Status.AUTO_APPROVED, now=now)
                    approved += 1
        except ValidationError:
            pass
    return approved


def _moved_behind_its_back(person, branch) -> None:
    now = timezone.now()
    Membership.objects.filter(person=person, ended_at__isnull=True).update(ended_at=now, end_reason="test")
    Membership.objects.create(person=person, branch=branch, org_path=branch.path, started_at=now)


def _due_at(request, when) -> None:
    """Test data only: the pending step falls due at `when`."""
    ApprovalStep.objects.filter(request=request, status="pending").update(due_at=when)


@pytest.fixture
def mixed(tree):
    """One request of every shape the sweep meets, all due at `now` but the one due a second later."""
    b1, b2, fb, firm = tree["b1"], tree["b2"], tree["fb"], tree["firm"]
    cadre = new_member(b1, name="赵组委")
    enter_cadre(actor=None, org=b1, id_number=cadre.id_number, name=cadre.name, title="组织委员")
    r = {
        # OUT due: the IN step opens
        "out": apply_for_transfer(member=new_member(b1, name="钱一"), to_org=fb, reason="moved"),
        # IN due at a branch: completes, the member's post in the old branch ends (R-TR-12)
        "in": transfer_out(actor=tree["b1_admin"], acting_org=b1, member=cadre, to_org=fb, reason="moved"),
        # R-TR-2: the IN side approved at the start, so the OUT approval completes
        "in_done": transfer_in(actor=tree["fb_admin"], acting_org=fb, id_number=new_member(b2, name="孙三").id_number,
                               name="孙三", reason="moved"),
        # R-TR-4: the committee's IN approval at the start, the OUT approval opens ASSIGN
        "in_done_committee": transfer_in(actor=tree["firm_admin"], acting_org=firm,
                                         id_number=new_member(b2, name="李四").id_number, name="李四", reason="moved"),
        # R-TR-6: a committee's IN step opens ASSIGN
        "in_committee": apply_for_transfer(member=new_member(b1, name="周五"), to_org=firm, reason="employed_with_org"),
        # R-TR-17: the member has left from_branch; refused, left pending
        "stuck": transfer_out(actor=tree["b1_admin"], acting_org=b1, member=new_member(b1, name="吴六"), to_org=fb,
                              reason="moved"),
        "boundary": apply_for_transfer(member=new_member(b2, name="郑七"), to_org=fb, reason="moved"),
        "not_yet": apply_for_transfer(member=new_member(b2, name="王八"), to_org=fb, reason="moved"),
        "withdrawn": apply_for_transfer(member=new_member(b2, name="冯九"), to_org=fb, reason="moved"),
    }
    approve(actor=tree["b1_admin"], acting_org=b1, step=pending_step(r["in_committee"]))
    _moved_behind_its_back(r["stuck"].member, tree["xjb"])
    withdraw(actor=r["withdrawn"].member, request=r["withdrawn"])
    now = timezone.now() + dt.timedelta(days=16)
    for i, key in enumerate(("in", "out", "in_done", "stuck", "in_done_committee", "in_committee")):
        _due_at(r[key], now - DAY + i * SECOND)  # an order for the sweep that is not the order of creation
    _due_at(r["boundary"], now)  # R-TR-7: due at exactly `now` is due
    _due_at(r["not_yet"], now + SECOND)
    return {"now": now, **r}


def end_state(audit_after: int) -> dict:
    """Everything a sweep writes, without the keys and clocks of rows it creates (a rolled-back insert still
    spends a PostgreSQL sequence; audit events and messages take the wall clock)."""
    def rows(qs, *fields):
        return sorted(qs.values_list(*fields), key=repr)

    return {
        "steps": rows(ApprovalStep.objects, "request_id", "kind", "org_id", "org_path", "status", "created_at",
                      "due_at", "decided_by_id", "acting_org_id", "decided_at", "comment"),
        "requests": list(TransferRequest.objects.order_by("pk").values()),
        "memberships": rows(Membership.objects, "person_id", "branch_id", "org_path", "started_at", "ended_at",
                            "end_reason"),
        "posts": list(CadrePost.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.filter(pk__gt=audit_after).order_by("pk").values_list(
            "actor_id", "acting_org_id", "action", "target_type", "target_id", "target_label", "result", "ip",
            "detail")),
        "messages": rows(Message.objects.exclude(event__in=["step_opened", "sweep_digest"]), "recipient_id", "request_id",
                         "event", "text", "link", "read_at"),
        "waiting": waiting_for(),
        "orgs": list(Organization.objects.order_by("pk").values_list("pk", "meets_standard")),
    }


def waiting_for() -> dict[int, int]:
    """{approver: steps opened for them}: a step_opened message each from `decide`, one sweep_digest a run from
    the sweep saying how many (R-TR-7: the approvers hear once a run)."""
    waiting = Counter(Message.objects.filter(event="step_opened").values_list("recipient_id", flat=True))
    for recipient_id, params in Message.objects.filter(event="sweep_digest").values_list("recipient_id", "params"):
        waiting[recipient_id] += params["m"]
    return {pk: n for pk, n in waiting.items() if n}


class _Undo(Exception):
    pass


def _run_and_undo(sweep, capture, caplog) -> tuple[int, dict, list[str]]:
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    caplog.clear()
    try:
        with transaction.atomic():
            with capture(execute=True):  # the messages, as after commit
                approved = sweep()
            state = end_state(mark)
            raise _Undo
    except _Undo:
        pass
    return approved, state, [r.getMessage() for r in caplog.records if r.name == "transfers.services.sweep"]


def test_the_chunked_sweep_leaves_the_same_end_state_as_deciding_each_step(mixed, django_capture_on_commit_callbacks,
                                                                          caplog):
    caplog.set_level(logging.WARNING, logger="transfers.services.sweep")
    before = end_state(0)
    now = mixed["now"]
    old_count, old_state, _logs = _run_and_undo(lambda: one_step_at_a_time(now), django_capture_on_commit_callbacks,
                                                caplog)
    assert end_state(0) == before  # the savepoint undid it
    for batch in (1000, 2):  # one chunk, and chunks that split the mix
        count, state, logs = _run_and_undo(lambda b=batch: auto_approve_due(now=now, batch=b),
                                           django_capture_on_commit_callbacks, caplog)
        assert count == old_count == 6
        for part in old_state:
            assert state[part] == old_state[part], part
        assert logs == [f"transfer {mixed['stuck'].pk} not approved automatically: {NOT_IN_BRANCH}"]


def test_the_mixed_sweep_does_what_each_shape_asks(tree, mixed, django_capture_on_commit_callbacks):
    """The equality above is not vacuous: what the chunked sweep left, shape by shape."""
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_approve_due(now=mixed["now"]) == 6
    now = mixed["now"]

    def steps(key):
        return list(mixed[key].steps.order_by("pk").values_list("kind", "status"))

    def status(key):
        mixed[key].refresh_from_db()
        return mixed[key].status, mixed[key].to_branch_id

    assert steps("out") == [("out", "auto_approved"), ("in", "pending")]
    assert pending_step(mixed["out"]).due_at == now + dt.timedelta(days=15)  # R-TR-7: starts at the sweep's clock
    assert steps("in") == [("out", "approved"), ("in", "auto_approved")]
    assert status("in") == ("completed", tree["fb"].pk)
    assert not CadrePost.objects.filter(person=mixed["in"].member, org=tree["b1"], ended_at__isnull=True).exists()
    assert steps("in_done") == [("in", "approved"), ("out", "auto_approved")]
    assert status("in_done") == ("completed", tree["fb"].pk)
    assert steps("in_done_committee") == [("in", "approved"), ("out", "auto_approved"), ("assign", "pending")]
    assert steps("in_committee") == [("out", "approved"), ("in", "auto_approved"), ("assign", "pending")]
    assert pending_step(mixed["in_committee"]).due_at is None  # R-TR-7: never automatic
    assert steps("stuck") == [("out", "approved"), ("in", "pending")]
    assert status("stuck") == ("pending", None)
    assert steps("boundary") == [("out", "auto_approved"), ("in", "pending")]
    assert steps("not_yet") == [("out", "pending")]
    assert steps("withdrawn") == [("out", "cancelled")]
    completed = AuditEvent.objects.filter(action="transfer.completed", actor=None)
    assert sorted(completed.values_list("target_id", flat=True)) == sorted(
        [str(mixed["in"].pk), str(mixed["in_done"].pk)])
    assert Message.objects.filter(request=mixed["in"], event="request_finished", text__contains="现在所在团支部").exists()
    # R-TR-7: one digest a run and approver (R-AUTH-3: the side's admins and its parent's), not a message a step.
    # Decided: OUT at b1 (out), OUT at b2 (in_done, in_done_committee, boundary), IN at fb (in), IN at firm
    # (in_committee). Opened: IN at fb (out, boundary), ASSIGN at firm (in_done_committee, in_committee).
    digests = dict(Message.objects.filter(event="sweep_digest").values_list("recipient_id", "params"))
    assert digests == {
        tree["b1_admin"].pk: {"n": 1, "m": 0},
        tree["b2_admin"].pk: {"n": 3, "m": 0},
        tree["school_admin"].pk: {"n": 4, "m": 0},  # b1's and b2's parent
        tree["fb_admin"].pk: {"n": 1, "m": 2},
        tree["firm_admin"].pk: {"n": 2, "m": 4},  # fb's parent, and firm's own
        tree["province_admin"].pk: {"n": 1, "m": 2},  # firm's parent
    }
    assert auto_approve_due(now=now) == 0  # idempotent


# --- R-TR-7 at its boundary, inside one chunk ---------------------------------------------------------------

@pytest.mark.parametrize("offset, approved", [(-DAY, 0), (-SECOND, 0), (dt.timedelta(0), 1), (SECOND, 1), (DAY, 1)])
def test_a_step_in_a_chunk_is_due_at_15_days_not_before(tree, offset, approved):
    """The day before and the second before, nothing; from the 15 × 24 hours on, automatic; the steps
    around it in the same chunk are decided whatever happens to this one."""
    early = [apply_for_transfer(member=new_member(tree["b2"], name=f"早{i}"), to_org=tree["fb"], reason="moved")
             for i in range(2)]
    request = apply_for_transfer(member=new_member(tree["b1"]), to_org=tree["fb"], reason="moved")
    step = pending_step(request)
    assert step.due_at == step.created_at + dt.timedelta(days=15)
    for other in early:
        _due_at(other, step.due_at - DAY)
    assert auto_approve_due(now=step.due_at + offset) == 2 + approved
    step.refresh_from_db()
    assert step.status == ("auto_approved" if approved else "pending")


# --- cost and progress ---------------------------------------------------------------------------------------

def _due_mix(tree, n: int, tag: str) -> None:
    """n OUT steps due (each opens an IN step) and n IN steps due (each completes and moves a member)."""
    for i in range(n):
        apply_for_transfer(member=new_member(tree["b1"], name=f"出{tag}{i}"), to_org=tree["fb"], reason="moved")
        transfer_out(actor=tree["b2_admin"], acting_org=tree["b2"], member=new_member(tree["b2"], name=f"入{tag}{i}"),
                     to_org=tree["fb"], reason="moved")


def _queries_of_one_chunk(now, capture) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        _last, approved = sweep_chunk(now=now, size=1000)
    # SQLite splits one bulk insert every 999 parameters (the messages' rows, issue 14's `mailed_at` made them 8
    # columns): consecutive INSERTs into one table count as the one statement PostgreSQL sends.
    statements = [q["sql"] for q in queries.captured_queries]
    split = sum(1 for before, sql in zip(statements, statements[1:], strict=False)
                if sql.startswith("INSERT INTO") and sql.split("(", 1)[0] == before.split("(", 1)[0])
    return approved, len(statements) - split


def test_a_chunk_costs_the_same_queries_for_4_or_40_steps(tree, django_capture_on_commit_callbacks):
    """A fixed number of statements per chunk (claim, re-read, lock people and memberships, one write per
    kind of row, the audit insert, the messages after commit), whatever the chunk's size."""
    now = timezone.now() + dt.timedelta(days=16)
    _due_mix(tree, 2, "a")
    small = _queries_of_one_chunk(now, django_capture_on_commit_callbacks)
    _due_mix(tree, 20, "b")
    large = _queries_of_one_chunk(now, django_capture_on_commit_callbacks)
    assert (small[0], large[0]) == (4, 40)
    assert large[1] == small[1] <= 25, (small, large)


def test_the_sweep_goes_on_past_a_chunk_it_must_leave_pending(tree):
    """R-TR-17: a chunk of refused steps (left pending, not claimed again by this run) does not end the run."""
    stuck = [transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=new_member(tree["b1"], name=f"困{i}"),
                          to_org=tree["fb"], reason="moved") for i in range(3)]
    fine = apply_for_transfer(member=new_member(tree["b2"]), to_org=tree["fb"], reason="moved")
    now = timezone.now() + dt.timedelta(days=16)
    for i, request in enumerate(stuck):
        _moved_behind_its_back(request.member, tree["xjb"])
        _due_at(request, now - DAY + i * SECOND)  # oldest first: they fill the first chunks
    assert auto_approve_due(now=now, batch=2) == 1
    assert pending_step(fine).kind == "in"
    assert all(pending_step(r).kind == "in" for r in stuck)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claimed_request_does_not_hold_up_the_messages_that_name_it(tree):
    """A sweep's claim excludes every other writer of its requests, but not the key checks of rows that reference
    them (FOR NO KEY UPDATE): the messages another sweep writes after deciding such a request (whose claim, on an
    older snapshot, still saw it due) do not wait for this chunk to commit."""
    request = apply_for_transfer(member=new_member(tree["b1"]), to_org=tree["fb"], reason="moved")
    now = timezone.now() + dt.timedelta(days=16)
    claimed, release = threading.Event(), threading.Event()

    def claim():
        try:
            with transaction.atomic():
                assert [d.request_id for d in _claim(now, 10, None)] == [request.pk]
                claimed.set()
                release.wait(10)
        finally:
            close_old_connections()

    holder = threading.Thread(target=claim)
    holder.start()
    try:
        assert claimed.wait(10)
        with transaction.atomic():  # the key checks run at commit (deferred foreign keys)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            Message.objects.create(recipient=request.member, request=request, event="step_decided", text="t", link="")
    finally:
        release.set()
        holder.join()
    assert Message.objects.filter(request=request, event="step_decided").exists()


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_chunk_rolled_back_by_a_deadlock_is_swept_again(tree, monkeypatch, caplog):
    """PostgreSQL breaks a deadlock by rolling one transaction back: the sweep runs that chunk again (all or
    nothing, idempotent) instead of ending the run, and says so; any other error still ends it."""
    request = apply_for_transfer(member=new_member(tree["b1"]), to_org=tree["fb"], reason="moved")
    real, calls = sweep.sweep_chunk, []

    def deadlocked_once(**kwargs):
        calls.append(kwargs["after"])
        if len(calls) == 1:
            with transaction.atomic():
                real(**kwargs)  # the chunk's work, then the abort that undoes it
                raise OperationalError("deadlock detected") from _Deadlock()
        return real(**kwargs)

    monkeypatch.setattr(sweep, "sweep_chunk", deadlocked_once)
    assert auto_approve_due(now=pending_step(request).due_at) == 1
    assert calls[:2] == [None, None]
    assert pending_step(request).kind == "in"
    assert AuditEvent.objects.filter(action="transfer.out.auto_approved").count() == 1
    assert "rolled back by a deadlock" in caplog.text
    # the digest counts what was committed: not the IN step the rolled-back attempt opened too
    assert Message.objects.get(event="sweep_digest", recipient=tree["fb_admin"]).params == {"n": 0, "m": 1}

    monkeypatch.setattr(sweep, "sweep_chunk", lambda **kwargs: (_ for _ in ()).throw(OperationalError("other")))
    with pytest.raises(OperationalError):
        auto_approve_due(now=pending_step(request).due_at)
