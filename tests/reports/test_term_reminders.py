"""The term reminder (issue 15, reports/reminders.py term_due): from 30 days before an organization's term ends, and
after, once a month, to the admins of the organization and of its parent; the boundary days on a frozen clock."""
import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from members.models import ReminderOptOut
from orgs.services import dissolve_org
from orgs.upkeep import set_term_end
from reports.reminders import run_reminders
from transfers.message_texts import render
from transfers.models import Message

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
DUE = dt.date(2027, 6, 30)


def _at(day: dt.date, hour: int = 10) -> dict:
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH), tick=False):
        return run_reminders()


def _reached() -> set[int]:
    return set(Message.objects.filter(event="reminder_term_due").values_list("recipient_id", flat=True))


def test_nothing_the_day_before_the_30_day_mark_then_the_admins_on_it(tree):
    set_term_end(actor=None, org=tree["school"], term_ends_on=DUE)
    assert _at(DUE - dt.timedelta(days=31))["term_due"] == 0  # 31 days ahead: not yet
    assert _at(DUE - dt.timedelta(days=30))["term_due"] == 2   # the 30th day before: due
    assert _reached() == {tree["school_admin"].pk, tree["uni_admin"].pk}  # its admins and its parent's
    message = Message.objects.filter(event="reminder_term_due").first()
    assert message.params == {"b": tree["school"].full_name, "n": 1, "d": 30}
    assert message.link == reverse("orgs:terms_due")
    assert tree["school"].full_name in render(message) and "30 天" in render(message)


def test_once_a_month_and_still_after_the_term_has_ended(tree):
    set_term_end(actor=None, org=tree["school"], term_ends_on=DUE)
    assert _at(DUE - dt.timedelta(days=20))["term_due"] == 2
    assert _at(DUE - dt.timedelta(days=19))["term_due"] == 0  # the same month: already reminded
    assert _at(DUE + dt.timedelta(days=5))["term_due"] == 2   # July: the election is overdue


def test_an_admin_of_two_due_organizations_gets_one_message_naming_both(tree):
    set_term_end(actor=None, org=tree["school"], term_ends_on=DUE)
    set_term_end(actor=None, org=tree["uni"], term_ends_on=DUE - dt.timedelta(days=1))
    _at(DUE - dt.timedelta(days=10))
    uni_admin = Message.objects.get(event="reminder_term_due", recipient=tree["uni_admin"])
    assert uni_admin.params["n"] == 2
    assert uni_admin.params["b"] == f"{tree['uni'].full_name}、{tree['school'].full_name}"  # the soonest first
    assert _reached() == {tree["school_admin"].pk, tree["uni_admin"].pk, tree["province_admin"].pk}


def test_no_reminder_without_a_date_or_for_a_dissolved_organization(tree):
    set_term_end(actor=None, org=tree["b2"], term_ends_on=DUE)
    dissolve_org(actor=None, org=tree["b2"])
    assert _at(DUE)["term_due"] == 0


def test_an_admin_who_turned_the_term_reminder_off_is_not_sent_it(tree):
    """The term reminder is a kind of members.ReminderOptOut like the others (我的信息 → 提醒)."""
    ReminderOptOut.objects.create(person=tree["uni_admin"], kind=ReminderOptOut.Kind.TERM_DUE)
    set_term_end(actor=None, org=tree["school"], term_ends_on=DUE)
    assert _at(DUE - dt.timedelta(days=30))["term_due"] == 1
    assert _reached() == {tree["school_admin"].pk}
