"""The demo (seed_demo) shows every kind of reminder in someone's message center (issue 14), the turning-28 kind
included: one member of the company's R&D branch turns 28 within 90 days of the seeding day (members/demo.py)."""
import datetime as dt
import io

import pytest
from django.core.management import call_command

from members import league_age
from members.demo import TURNING_28_BRANCH
from members.models import Membership
from reports.reminders import EVENTS
from transfers.models import Message

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_kind_of_reminder():
    call_command("seed_demo", stdout=io.StringIO())
    assert {e for e in EVENTS if not Message.objects.filter(event=e).exists()} == set()
    today = league_age.today()
    last = today + dt.timedelta(days=league_age.LOOKAHEAD_DAYS)
    soon = Membership.objects.get(branch__full_name=TURNING_28_BRANCH, ended_at=None,
                                  person__birth_date__gt=league_age.latest_birth_date(today),
                                  person__birth_date__lte=league_age.latest_birth_date(last)).person
    assert 0 < (league_age.birthday(soon.birth_date) - today).days <= league_age.LOOKAHEAD_DAYS   # still 27
