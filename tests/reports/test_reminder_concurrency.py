"""Two schedulers at once (issue 14): `run_schedule` on two machines runs the reminders for the same day at the
same moment. Real threads on PostgreSQL (tests/conftest.py deselects these on SQLite), each with its own connection,
released together at a barrier (tests/transfers/test_concurrency.py). The ReminderLog and ReminderDigest unique
indexes decide: whichever scheduler claims a row first sends, the other waits on the index and claims nothing.
The assertions are about outcomes only: each person gets each kind once a period and one digest mail a day."""
import datetime as dt
import zoneinfo
from collections import Counter
from functools import partial

import pytest
import time_machine
from django.core import mail

from members.models import Person
from reports.models import BranchGraduation, ReminderDigest, ReminderLog
from reports.reminders import run_reminders
from transfers.models import Message
from transfers.services import apply_for_transfer

from ..transfers.support import new_member
from ..transfers.test_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2027, 5, 3, 9, 0, tzinfo=SH)   # the graduation season (R-TR-14)


@pytest.fixture
def busy_day(tree):
    """Transfers pending for 5 days (overdue, escalated), a graduating branch, incomplete records; an address each."""
    BranchGraduation.objects.create(branch=tree["b2"], expected_on=dt.date(2027, 7, 1))
    for i in range(6):
        new_member(tree["b2"], name=f"毕业{i}")
    with time_machine.travel(MONDAY - dt.timedelta(days=5, hours=1), tick=False):
        for i in range(4):
            apply_for_transfer(member=new_member(tree["b1"], name=f"转出{i}"), to_org=tree["fb"], reason="moved")
    for person in Person.objects.all():
        Person.objects.filter(pk=person.pk).update(email=f"p{person.pk}@example.org")
    return tree


def _pairs() -> Counter:
    return Counter(Message.objects.filter(event__startswith="reminder_").values_list("recipient_id", "event")) + \
        Counter(Message.objects.filter(event__startswith="graduation_").values_list("recipient_id", "event"))


def test_two_schedulers_send_each_kind_once_and_one_digest_a_person(busy_day):
    for day in range(3):   # three days running: each a fresh race over the same people
        moment = MONDAY + dt.timedelta(days=day)
        before = _pairs()
        mail.outbox.clear()
        results = run_together(partial(run_reminders, now=moment), partial(run_reminders, now=moment))
        assert all(isinstance(r, dict) for r in results), results   # neither failed (no deadlock, no duplicate)
        sent = _pairs() - before
        assert sent and max(sent.values()) == 1, sent                # each person each kind once
        assert {kind for _pk, kind in sent} >= ({"reminder_overdue", "reminder_escalation", "reminder_incomplete",
                                                 "graduation_reminder", "graduation_reminder_admin"} if day == 0
                                                else {"reminder_overdue", "reminder_escalation"})
        assert sum(r[k] for r in results for k in r if k != "digests") == sum(sent.values())
        assert ReminderLog.objects.filter(sent_at=moment).count() == sum(sent.values())
        addresses = [m.to[0] for m in mail.outbox]
        assert len(addresses) == len(set(addresses)) == len({pk for pk, _kind in sent})   # one mail a person
        assert sum(r["digests"] for r in results) == len(addresses)
        assert ReminderDigest.objects.filter(day=moment.date(), sent_at__isnull=False).count() == len(addresses)
