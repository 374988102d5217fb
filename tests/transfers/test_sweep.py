"""The sweep (R-TR-7: 15 days, then automatic) at its boundaries, its command, and the overdue mark with its
escalation list (R-TR-8: more than 72 hours, shown to the approvers' superior)."""
import datetime as dt
import io

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from members.selectors.people import branch_of
from transfers.models import ApprovalStep
from transfers.selectors import escalations
from transfers.services import apply_for_transfer, approve, auto_approve_due, withdraw

from .support import new_member, pending_step, stranger

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)
FIFTEEN_DAYS = dt.timedelta(days=15)
SEVENTY_TWO_HOURS = dt.timedelta(hours=72)


@pytest.fixture
def applied(tree, member):
    return apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")


def call_command_output() -> str:
    buf = io.StringIO()
    call_command("auto_approve_transfers", stdout=buf)
    return buf.getvalue().strip()


# --- R-TR-7 -----------------------------------------------------------------------------------------------

def test_a_step_is_due_at_exactly_15_days(applied):
    out = pending_step(applied)
    assert out.due_at == out.created_at + FIFTEEN_DAYS
    assert auto_approve_due(now=out.created_at + FIFTEEN_DAYS - SECOND) == 0
    out.refresh_from_db()
    assert out.status == "pending"

    assert auto_approve_due(now=out.created_at + FIFTEEN_DAYS) == 1
    out.refresh_from_db()
    assert (out.status, out.decided_by, out.acting_org, out.decided_at) == (
        "auto_approved", None, None, out.created_at + FIFTEEN_DAYS)


def test_an_automatic_approval_is_audited_as_the_system(applied):
    """R-TR-16: recorded as automatic, with no actor."""
    out = pending_step(applied)
    auto_approve_due(now=out.due_at)
    event = AuditEvent.objects.get(action="transfer.out.auto_approved")
    assert event.actor is None and event.detail["automatic"] is True and event.target_id == str(applied.pk)


def test_the_in_step_the_sweep_opens_starts_at_the_sweeps_clock(tree, applied, member):
    """CONTRACT: a step the sweep creates starts at `now`, and no sweep decides a step it created itself."""
    out = pending_step(applied)
    late = out.due_at + dt.timedelta(days=40)  # long after the IN step would have been due, had it started earlier
    assert auto_approve_due(now=late) == 1
    in_step = pending_step(applied)
    assert (in_step.kind, in_step.created_at, in_step.due_at) == ("in", late, late + FIFTEEN_DAYS)

    assert auto_approve_due(now=late + FIFTEEN_DAYS - SECOND) == 0
    assert auto_approve_due(now=late + FIFTEEN_DAYS) == 1
    applied.refresh_from_db()
    assert (applied.status, applied.finished_at) == ("completed", late + FIFTEEN_DAYS)
    assert branch_of(member) == tree["fb"]
    assert set(applied.steps.values_list("status", flat=True)) == {"auto_approved"}


def test_an_assign_step_is_never_approved_automatically(tree, member):
    """R-TR-7: an ASSIGN step has no due date and the sweep leaves it alone however late."""
    request = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    out = pending_step(request)
    assert auto_approve_due(now=out.due_at) == 1
    in_step = pending_step(request)
    assert auto_approve_due(now=in_step.due_at) == 1
    assign = pending_step(request)
    assert (assign.kind, assign.due_at) == ("assign", None)
    assert auto_approve_due(now=in_step.due_at + dt.timedelta(days=3650)) == 0
    assign.refresh_from_db()
    assert assign.status == "pending"


def test_the_sweep_leaves_decided_and_finished_transfers_alone(tree, applied, member):
    out = pending_step(applied)
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=out)
    other = new_member(tree["b2"])
    other_request = apply_for_transfer(member=other, to_org=tree["fb"], reason="moved")
    withdraw(actor=other, request=other_request)
    in_step = pending_step(applied)
    assert auto_approve_due(now=in_step.created_at + FIFTEEN_DAYS - SECOND) == 0
    assert auto_approve_due(now=in_step.created_at + FIFTEEN_DAYS) == 1
    assert auto_approve_due(now=in_step.created_at + FIFTEEN_DAYS * 3) == 0  # idempotent


def test_the_delay_is_a_setting(tree, member, settings):
    settings.TRANSFER_AUTO_APPROVE_AFTER = dt.timedelta(days=3)
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    out = pending_step(request)
    assert out.due_at == out.created_at + dt.timedelta(days=3)
    assert auto_approve_due(now=out.created_at + dt.timedelta(days=3) - SECOND) == 0
    assert auto_approve_due(now=out.created_at + dt.timedelta(days=3)) == 1


def test_the_command_approves_what_is_due_and_prints_the_count(tree, applied):
    assert call_command_output() == "自动同意 0 个超时步骤"

    step = pending_step(applied)
    past = step.created_at - FIFTEEN_DAYS - SECOND  # make it 15 days old (test data only)
    ApprovalStep.objects.filter(pk=step.pk).update(created_at=past, due_at=past + FIFTEEN_DAYS)
    second = apply_for_transfer(member=new_member(tree["b2"]), to_org=tree["fb"], reason="moved")  # not due

    assert call_command_output() == "自动同意 1 个超时步骤"
    step.refresh_from_db()
    assert step.status == "auto_approved"
    assert pending_step(applied).kind == "in"  # opened now: not due, not decided by the same run
    assert pending_step(second).kind == "out"



# --- R-TR-8 -----------------------------------------------------------------------------------------------

def test_a_step_pending_more_than_72_hours_is_escalated_to_the_superiors_superior(tree, applied):
    """The OUT step is at branch 1; its approvers are branch 1 and the general branch; the university
    committee (the superior's superior) sees it once it is overdue."""
    out = pending_step(applied)
    uni = {"actor": tree["uni_admin"], "acting_org": tree["uni"]}
    assert list(escalations(**uni, now=out.created_at + SEVENTY_TWO_HOURS + SECOND)) == [out]
    assert not escalations(**uni, now=out.created_at + SEVENTY_TWO_HOURS).exists()
    assert not escalations(**uni, now=out.created_at + SEVENTY_TWO_HOURS - SECOND).exists()


@pytest.mark.parametrize("who, org", [("b1_admin", "b1"), ("school_admin", "school"), ("province_admin", "province"),
                                      ("firm_admin", "firm"), ("xj_admin", "xj"), ("uni_admin", "school"),
                                      ("member", "uni"), ("stranger", "uni")])
def test_nobody_else_sees_the_escalation(tree, applied, member, who, org):
    actor = {"member": member, "stranger": stranger()}.get(who) or tree[who]
    now = pending_step(applied).created_at + dt.timedelta(days=10)
    assert not escalations(actor=actor, acting_org=tree[org], now=now).exists()


def test_a_decided_step_is_no_longer_escalated(tree, applied):
    out = pending_step(applied)
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=out)
    assert not escalations(actor=tree["uni_admin"], acting_org=tree["uni"], now=out.created_at + dt.timedelta(days=10)
                           ).filter(pk=out.pk).exists()


def test_the_in_side_escalates_to_its_own_superiors_superior(tree, applied):
    """The IN step at the company's branch: approvers are the branch and the company committee; the
    provincial committee sees it."""
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(applied))
    in_step = pending_step(applied)
    now = in_step.created_at + SEVENTY_TWO_HOURS + SECOND
    assert list(escalations(actor=tree["province_admin"], acting_org=tree["province"], now=now)) == [in_step]
    assert not escalations(actor=tree["uni_admin"], acting_org=tree["uni"], now=now).exists()


def test_the_overdue_mark_is_a_setting(tree, applied, settings):
    settings.TRANSFER_OVERDUE_AFTER = dt.timedelta(hours=24)
    out = pending_step(applied)
    uni = {"actor": tree["uni_admin"], "acting_org": tree["uni"]}
    assert escalations(**uni, now=out.created_at + dt.timedelta(hours=24) + SECOND).exists()
    assert not escalations(**uni, now=out.created_at + dt.timedelta(hours=24)).exists()
