"""Reminders (issue 14, reports/reminders.py) on a frozen clock (time-machine): each kind reaches the right people
once a period, in their language, not after they turned it off; the boundaries; one digest mail a person a day."""
import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from members.models import Person, ReminderOptOut
from reports.models import BranchGraduation, ReminderDigest, ReminderLog
from reports.reminders import run_reminders
from transfers.models import Message
from transfers.services import apply_for_transfer

from ..transfers.support import new_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_after():
    """An English page leaves its language active in this thread (the test client): the next test starts in Chinese."""
    yield
    translation.activate("zh-hans")
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2027, 3, 1, 10, 0, tzinfo=SH)  # after the fixture's real "now", before the graduation season


def _at(moment, capture=None):
    """Run the reminders at `moment` (the clock frozen there), their mail included."""
    with time_machine.travel(moment, tick=False):
        if capture is None:
            return run_reminders()
        with capture(execute=True):
            return run_reminders()


def _got(event, *people) -> set[int]:
    return set(Message.objects.filter(event=event).values_list("recipient_id", flat=True))


def _ids(*people):
    return {p.pk for p in people}


@pytest.fixture
def request_at_t0(tree, member):
    with time_machine.travel(T0, tick=False):
        return apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")  # OUT step at b1


def test_overdue_starts_after_72_hours_and_goes_to_the_approvers(tree, request_at_t0):
    assert _at(T0 + dt.timedelta(hours=71, minutes=59, seconds=59))["overdue"] == 0
    assert _at(T0 + dt.timedelta(hours=72, seconds=1))["overdue"] == 2  # "more than 72 hours" (R-TR-8)
    assert _got("reminder_overdue") == _ids(tree["b1_admin"], tree["school_admin"])  # R-AUTH-3
    assert Message.objects.filter(event="reminder_overdue").first().params == {"n": 1, "h": 72}


def test_each_kind_goes_once_a_day(tree, request_at_t0):
    at = T0 + dt.timedelta(hours=80)
    assert _at(at)["overdue"] == 2
    assert _at(at + dt.timedelta(hours=1))["overdue"] == 0  # same day (Asia/Shanghai)
    assert _at(at + dt.timedelta(days=1))["overdue"] == 2  # the next day, still overdue
    assert ReminderLog.objects.filter(kind="overdue").count() == 4


def test_escalation_after_120_hours_reaches_the_superiors_superior(tree, request_at_t0):
    assert _at(T0 + dt.timedelta(hours=119))["escalation"] == 0
    assert _at(T0 + dt.timedelta(hours=120, seconds=1))["escalation"] == 1
    assert _got("reminder_escalation") == _ids(tree["uni_admin"])  # b1's superior is the school; it answers to uni


def test_auto_soon_within_48_hours_of_the_automatic_approval(tree, request_at_t0):
    due = request_at_t0.steps.get(status="pending").due_at
    assert _at(due - dt.timedelta(hours=48, seconds=1))["auto_soon"] == 0
    assert _at(due - dt.timedelta(hours=47, minutes=59))["auto_soon"] == 2
    assert _got("reminder_auto_soon") == _ids(tree["b1_admin"], tree["school_admin"])


def test_graduation_from_1_may_weekly_to_members_without_a_transfer_and_a_list_to_their_admin(tree, member):
    BranchGraduation.objects.create(branch=tree["b1"], expected_on=dt.date(2027, 7, 1))
    moving = new_member(tree["b1"], name="赵转接")
    with time_machine.travel(T0, tick=False):
        apply_for_transfer(member=moving, to_org=tree["fb"], reason="moved")
    Message.objects.all().delete()
    assert _at(dt.datetime(2027, 4, 30, 23, 59, tzinfo=SH))["graduation"] == 0
    assert _at(dt.datetime(2027, 5, 1, 9, 0, tzinfo=SH))["graduation"] == 1  # a Saturday
    assert _got("graduation_reminder") == {member.pk}  # not the one already moving
    assert _got("graduation_reminder_admin") == _ids(tree["b1_admin"])
    assert Message.objects.get(event="graduation_reminder_admin").params == {"b": tree["b1"].full_name, "n": 1,
                                                                              "year": 2027}
    assert _at(dt.datetime(2027, 5, 2, 9, 0, tzinfo=SH))["graduation"] == 0  # the same week
    assert _at(dt.datetime(2027, 5, 3, 9, 0, tzinfo=SH))["graduation"] == 1  # Monday: a new week
    assert _at(dt.datetime(2027, 7, 5, 9, 0, tzinfo=SH))["graduation"] == 0  # the season is over


def test_turning_28_within_90_days_not_91_monthly_to_the_branch_admin(tree):
    new_member(tree["b2"], name="孙将满")  # born 2000-03-01: 28 on 2028-03-01
    assert _at(dt.datetime(2027, 12, 1, 9, 0, tzinfo=SH))["turning_28"] == 0  # 91 days ahead
    assert _at(dt.datetime(2027, 12, 2, 9, 0, tzinfo=SH))["turning_28"] == 1  # 90 days ahead
    assert _got("reminder_turning_28") == _ids(tree["b2_admin"])
    assert _at(dt.datetime(2027, 12, 20, 9, 0, tzinfo=SH))["turning_28"] == 0  # monthly
    assert _at(dt.datetime(2028, 1, 2, 9, 0, tzinfo=SH))["turning_28"] == 1


def test_incomplete_records_monthly_to_the_branch_admin(tree, member):
    assert not Person.objects.get(pk=member.pk).is_complete
    assert _at(T0)["incomplete"] >= 1
    assert tree["b1_admin"].pk in _got("reminder_incomplete")
    assert _at(T0 + dt.timedelta(days=5))["incomplete"] == 0


def test_nobody_gets_a_kind_they_turned_off(tree, request_at_t0):
    ReminderOptOut.objects.create(person=tree["school_admin"], kind="overdue")
    _at(T0 + dt.timedelta(hours=73))
    assert _got("reminder_overdue") == _ids(tree["b1_admin"])


def test_one_digest_a_day_gathers_the_kinds_in_the_recipients_language(tree, request_at_t0,
                                                                       django_capture_on_commit_callbacks):
    Person.objects.filter(pk=tree["b1_admin"].pk).update(email="b1@example.org", language="en")
    Person.objects.filter(pk=tree["school_admin"].pk).update(email="s@example.org")
    mail.outbox.clear()
    at = T0 + dt.timedelta(days=14, hours=1)  # overdue, and approved automatically within 48 hours
    with translation.override("zh-hans"):
        sent = _at(at, django_capture_on_commit_callbacks)
    assert sent["overdue"] == sent["auto_soon"] == 2 and sent["digests"] == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"b1@example.org", "s@example.org"}  # one mail each, however many kinds
    english = by_address["b1@example.org"]
    assert "waited for you for more than 72 hours" in english.body
    assert "approved automatically within 48 hours" in english.body
    assert "incomplete record" in english.body  # the monthly kind, the same mail
    assert "超过 72 小时" in by_address["s@example.org"].body
    mail.outbox.clear()
    _at(at + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    assert not mail.outbox  # once a day
    assert ReminderDigest.objects.filter(sent_at__isnull=False).count() == 2


def test_the_message_center_shows_a_reminder_in_the_pages_language(tree, request_at_t0, client_as):
    _at(T0 + dt.timedelta(hours=73))
    client = client_as(tree["b1_admin"], tree["b1"])
    assert "超过 72 小时" in client.get("/transfers/messages/").content.decode()
    client.cookies["django_language"] = "en"
    assert "more than 72 hours" in client.get("/transfers/messages/").content.decode()


def test_reminders_cost_the_same_queries_for_few_or_many_people(tree, django_assert_max_num_queries,
                                                                django_capture_on_commit_callbacks):
    BranchGraduation.objects.create(branch=tree["b2"], expected_on=dt.date(2027, 7, 1))
    for i in range(2):
        new_member(tree["b2"], name=f"少{i}")
    moment = dt.datetime(2027, 5, 3, 9, 0, tzinfo=SH)
    with time_machine.travel(moment, tick=False), django_assert_max_num_queries(40) as few:
        run_reminders()
    for i in range(20):
        new_member(tree["b2"], name=f"多{i}")
    ReminderLog.objects.all().delete()  # every kind due again, as in the first run
    with time_machine.travel(moment + dt.timedelta(days=7), tick=False), django_assert_max_num_queries(40) as many:
        run_reminders()
    assert len(many.captured_queries) == len(few.captured_queries)
