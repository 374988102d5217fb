"""R-REC-14 with real row locks and threads (PostgreSQL only; tests/conftest.py deselects these on SQLite): two
admins moving one application at once make one change; two oaths at once never take one number twice. The assertions
are about outcomes only."""
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from recruitment.models import Application, StageEvent
from recruitment.services import start_notice, take_oath
from tests.transfers.test_concurrency import run_together

from .support import NOTICE, OATH, codes, drive, new_application, second_admin, segment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_two_admins_publishing_one_notice_at_once_make_one_change(tree):
    other = second_admin(tree)
    for i in range(3):
        application = drive(tree, new_application(tree, name=f"并发{i}"), "prereviewed")
        results = run_together(
            partial(start_notice, actor=_fresh(tree["b1_admin"]), application=_fresh(application), notice_from=NOTICE),
            partial(start_notice, actor=_fresh(other), application=_fresh(application), notice_from=NOTICE),
        )
        winners = [r for r in results if isinstance(r, Application)]
        losers = [r for r in results if isinstance(r, ValidationError) and codes(r) == {"wrong_stage"}]
        assert (len(winners), len(losers)) == (1, 1), results
        assert StageEvent.objects.filter(application=application, action="notice").count() == 1
        assert _fresh(application).stage == "notice"


def test_two_oaths_at_once_take_two_numbers(tree):
    segment(tree, "uni")
    first = drive(tree, new_application(tree, name="甲"), "approved")
    second = drive(tree, new_application(tree, name="乙"), "approved")
    other = second_admin(tree)
    results = run_together(
        partial(take_oath, actor=_fresh(tree["b1_admin"]), application=_fresh(first), oath_on=OATH),
        partial(take_oath, actor=_fresh(other), application=_fresh(second), oath_on=OATH),
    )
    numbers = sorted(r.development_number for r in results if not isinstance(r, Exception))
    assert numbers == ["202600000001", "202600000002"], results
