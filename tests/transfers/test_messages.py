"""Messages (消息中心, issue 4 item 5): every new pending step reaches its approvers (R-AUTH-3), every decision
and the end of a transfer reach the member and the initiator (R-TR-11: they see every outcome); e-mail goes
to those with an address on file. All of it after commit (STYLE.md 6): nothing is said about work that was
refused or rolled back."""
import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from members.models import CadrePost, Person
from transfers.messages import deliver_many, deliver_rows
from transfers.models import ApprovalStep, Message, TransferRequest
from transfers.services import apply_for_transfer, approve, assign_branch, auto_approve_due, reject, transfer_out, withdraw

from .support import new_member, pending_step

pytestmark = pytest.mark.django_db


def _inbox(event=None):
    """{(recipient_id, event)} of every message written so far."""
    qs = Message.objects.all() if event is None else Message.objects.filter(event=event)
    return set(qs.values_list("recipient_id", "event"))


def _ids(*people):
    return {p.pk for p in people}


def _give_email(person, address):
    Person.objects.filter(pk=person.pk).update(email=address)


def test_a_new_pending_step_messages_its_approvers(tree, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    messages = list(Message.objects.all())
    assert {m.recipient_id for m in messages} == _ids(tree["b1_admin"], tree["school_admin"])
    assert {(m.event, m.request_id, m.link) for m in messages} == {("step_opened", request.pk, reverse("transfers:inbox"))}
    assert all(member.name in m.text and tree["b1"].full_name in m.text for m in messages)


def test_nothing_is_said_before_commit(tree, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    assert callbacks and not Message.objects.exists()


def test_a_decision_messages_the_member_and_the_initiator(tree, member, django_capture_on_commit_callbacks):
    request = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["firm"],
                           reason="employed_with_org")
    with django_capture_on_commit_callbacks(execute=True):
        approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    decided = Message.objects.filter(event="step_decided")
    assert {m.recipient_id for m in decided} == _ids(member, tree["b1_admin"])
    assert all(m.link == reverse("transfers:detail", args=[request.pk]) for m in decided)
    assert all("已同意" in m.text for m in decided)
    # and the ASSIGN step that follows goes to the committee and its superior
    assert _inbox("step_opened") == {(tree["firm_admin"].pk, "step_opened"), (tree["province_admin"].pk, "step_opened")}


def test_a_rejection_messages_the_member_and_the_initiator(tree, member, django_capture_on_commit_callbacks):
    request = transfer_out(actor=tree["school_admin"], acting_org=tree["school"], member=member, to_org=tree["fb"],
                           reason="moved")
    with django_capture_on_commit_callbacks(execute=True):
        reject(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request), reason="查无此人")
    assert _inbox() == {(p.pk, e) for p in (member, tree["school_admin"]) for e in ("step_decided", "request_finished")}
    assert all("已退回" in m.text for m in Message.objects.all())


def test_completion_messages_the_member_with_the_new_branch(tree, member, django_capture_on_commit_callbacks):
    request = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    with django_capture_on_commit_callbacks(execute=True):
        assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request), branch=tree["fb"])
    finished = Message.objects.get(event="request_finished")  # self-service: the member is the initiator
    assert finished.recipient_id == member.pk
    assert "已完成" in finished.text and tree["fb"].full_name in finished.text


def test_an_automatic_approval_messages_the_member(tree, member, django_capture_on_commit_callbacks):
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_approve_due(now=pending_step(request).due_at) == 1
    # R-TR-7: the approvers hear once a sweep run, a digest (deliver_sweep_digest), not once a step
    assert _inbox() == {(member.pk, "step_decided"), *((tree[k].pk, "sweep_digest") for k in (
        "b1_admin", "school_admin", "fb_admin", "firm_admin"))}
    assert "超时自动同意" in Message.objects.get(event="step_decided").text
    digests = {m.recipient_id: m for m in Message.objects.filter(event="sweep_digest")}
    assert {pk: m.params for pk, m in digests.items()} == {
        tree["b1_admin"].pk: {"n": 1, "m": 0}, tree["school_admin"].pk: {"n": 1, "m": 0},  # the OUT side's approvers
        tree["fb_admin"].pk: {"n": 0, "m": 1}, tree["firm_admin"].pk: {"n": 0, "m": 1}}  # the IN step's
    assert digests[tree["fb_admin"].pk].text == "转接审批超时：0 个已自动同意，1 个等待您处理。"
    assert {m.link for m in digests.values()} == {reverse("transfers:inbox")}


def test_a_withdrawal_messages_the_member(tree, member, django_capture_on_commit_callbacks):
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(actor=member, request=request)
    assert _inbox() == {(member.pk, "request_finished")}


def test_a_refused_decision_says_nothing(tree, member, django_capture_on_commit_callbacks):
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PermissionDenied):
            approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
        with pytest.raises(ValidationError):
            reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request), reason="")
    assert not Message.objects.exists() and not mail.outbox


# --- e-mail -----------------------------------------------------------------------------------------------

def test_email_goes_only_to_people_with_an_address_on_file(tree, member, django_capture_on_commit_callbacks):
    _give_email(tree["b1_admin"], "b1@example.org")  # the school admin has none
    with django_capture_on_commit_callbacks(execute=True):
        apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    assert [m.to for m in mail.outbox] == [["b1@example.org"]]
    assert member.name in mail.outbox[0].body
    assert Message.objects.count() == 2  # the in-app message reaches both


def test_email_of_a_decision_reaches_the_member_and_the_initiator(tree, member, django_capture_on_commit_callbacks):
    _give_email(member, "member@example.org")
    _give_email(tree["b1_admin"], "b1@example.org")
    request = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["fb"],
                           reason="moved")
    with django_capture_on_commit_callbacks(execute=True):
        approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    # one for the decision, one for the completion, to each of the two
    assert sorted(m.to[0] for m in mail.outbox) == ["b1@example.org", "b1@example.org",
                                                   "member@example.org", "member@example.org"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees anyone else's address


def test_no_address_no_email(tree, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
        approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    assert Message.objects.exists() and mail.outbox == []


def test_an_ended_admin_post_gets_no_message(tree, member, django_capture_on_commit_callbacks):
    CadrePost.objects.filter(person=tree["school_admin"], org=tree["school"]).update(
        ended_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    assert _inbox() == {(tree["b1_admin"].pk, "step_opened")}


@pytest.mark.postgres  # the SQL path is PostgreSQL's: deselected on SQLite, like every PostgreSQL-only test
def test_the_sql_delivery_writes_what_the_python_one_writes(tree, member, django_capture_on_commit_callbacks):
    """Issue 13: on PostgreSQL `deliver_many` builds the messages in one INSERT … SELECT (transfers/messages_sql.py);
    they are the rows, texts, links and mails the Python path composes, for every kind of event."""
    _give_email(member, "m@example.org")
    _give_email(tree["b1_admin"], "b1@example.org")
    with django_capture_on_commit_callbacks(execute=False):
        out = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=member, to_org=tree["fb"],
                           reason="moved")
        approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(out))  # completes it
    other = apply_for_transfer(member=new_member(tree["b2"], name="钱二"), to_org=tree["firm"], reason="employed_with_org")
    withdraw(actor=other.member, request=other)
    events = [("step_opened", s) for s in ApprovalStep.objects.values_list("pk", flat=True)]
    events += [("step_decided", s) for s in ApprovalStep.objects.exclude(status="pending").values_list("pk", flat=True)]
    events += [("request_finished", r) for r in TransferRequest.objects.values_list("pk", flat=True)]
    assert len(events) > 5

    def written(deliver):
        with transaction.atomic():
            to_mail = deliver(events)
            rows = sorted((m.recipient_id, m.request_id, m.step_id or 0, m.event, m.code, sorted(m.params.items()), m.text, m.link)
                          for m in Message.objects.all())
            mails = sorted(Message.objects.filter(pk__in=to_mail).values_list("text", "recipient__email"))
            Message.objects.all().delete()
        return rows, mails

    by_sql = written(deliver_many)
    assert by_sql == written(deliver_rows)
    assert by_sql[0] and by_sql[1]
