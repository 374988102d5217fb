"""R-ENT-11: the demo (seed_demo) holds age-exception requests in every state, each step taken through the services
by the admin whose step it is, so the pages and the message centre show the chain; a second run adds none."""
import io

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from members.models import AgeExceptionRequest
from transfers.models import Message

pytestmark = pytest.mark.django_db


def test_the_demo_holds_requests_in_every_state_and_a_rerun_adds_none(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the messages are written after commit
        call_command("seed_demo", stdout=io.StringIO())
    states = set(AgeExceptionRequest.objects.values_list("status", flat=True))
    assert states == set(AgeExceptionRequest.Status.values)
    filers = set(AgeExceptionRequest.objects.values_list("filed_as__org_type", flat=True))
    assert filers == {"leading", "branch"}  # a county-level committee and a branch both file
    assert AgeExceptionRequest.objects.get(status="entered").person.override_reason
    assert AuditEvent.objects.filter(action="age_exception.enter").count() == 1
    assert {"age_exception_filed", "age_exception_batch", "age_exception_entered", "age_exception_returned"} <= set(
        Message.objects.filter(code__startswith="age_exception").values_list("code", flat=True))
    count = AgeExceptionRequest.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert AgeExceptionRequest.objects.count() == count
