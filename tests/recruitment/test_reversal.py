"""R-REC-13: the latest stage change undone by its maker within 24 hours, or by a superior with a reason."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from recruitment.services import apply_to_join, close_application, flow, reverse_change, take_oath

from .support import OATH, codes, drive, new_application, second_admin, segment

pytestmark = pytest.mark.django_db


def _stand_clock(monkeypatch, at):
    monkeypatch.setattr(flow, "now", lambda: at)


def _activist(tree):
    application = drive(tree, new_application(tree), "activist")
    return application, application.events.get(action="activist")


def test_r_rec_13_the_maker_at_23_59_undoes_and_the_values_are_put_back(tree, monkeypatch):
    application, event = _activist(tree)
    _stand_clock(monkeypatch, event.at + dt.timedelta(hours=23, minutes=59))
    reversal = reverse_change(actor=tree["b1_admin"], application=application)
    application.refresh_from_db()
    assert application.stage == "applied"
    assert (application.activist_on, application.introducer_1_id, application.activist_decision) == (None, None, "")
    assert reversal.reverses_id == event.pk and reversal.to_stage == "applied"
    assert AuditEvent.objects.filter(action="recruitment.reverse", target_id=str(application.pk)).exists()


def test_r_rec_13_the_maker_at_24_00_is_refused(tree, monkeypatch):
    application, event = _activist(tree)
    _stand_clock(monkeypatch, event.at + dt.timedelta(hours=24))
    with pytest.raises(ValidationError) as exc:
        reverse_change(actor=tree["b1_admin"], application=application)
    assert codes(exc.value) == {"reversal_expired"}
    application.refresh_from_db()
    assert application.stage == "activist"


def test_r_rec_13_another_admin_of_the_branch_is_not_the_maker(tree):
    application, _event = _activist(tree)
    with pytest.raises(PermissionDenied):
        reverse_change(actor=second_admin(tree), application=application, reason="录错了")


def test_r_rec_13_a_superior_undoes_at_any_time_with_a_reason(tree, monkeypatch):
    application, event = _activist(tree)
    _stand_clock(monkeypatch, event.at + dt.timedelta(days=30))
    with pytest.raises(ValidationError) as exc:
        reverse_change(actor=tree["school_admin"], application=application, reason="")
    assert codes(exc.value) == {"reason_required"}
    reversal = reverse_change(actor=tree["school_admin"], application=application, reason="介绍人不符合条件")
    assert (reversal.acting_org_id, reversal.reason) == (tree["school"].pk, "介绍人不符合条件")


def test_r_rec_13_a_committee_decision_is_undone_by_its_maker_or_above_the_committee(tree):
    application = drive(tree, new_application(tree), "prereviewed")
    with pytest.raises(PermissionDenied):  # the branch is below the committee that decided
        reverse_change(actor=tree["b1_admin"], application=application, reason="请求撤销")
    reverse_change(actor=tree["province_admin"], application=application, reason="预审材料不全")
    application.refresh_from_db()
    assert application.stage == "candidate" and application.prereviewed_on is None


def test_r_rec_13_a_change_is_undone_once_then_the_one_before_it(tree):
    application = drive(tree, new_application(tree), "candidate")
    reverse_change(actor=tree["b1_admin"], application=application)
    application.refresh_from_db()
    assert application.stage == "activist"
    reverse_change(actor=tree["b1_admin"], application=application)
    application.refresh_from_db()
    assert application.stage == "applied"
    with pytest.raises(ValidationError) as exc:
        reverse_change(actor=tree["b1_admin"], application=application)
    assert codes(exc.value) == {"not_reversible"}


def test_r_rec_13_the_oath_is_not_reversible(tree):
    segment(tree, "uni")
    application = drive(tree, new_application(tree), "approved")
    take_oath(actor=tree["b1_admin"], application=application, oath_on=OATH)
    with pytest.raises(ValidationError) as exc:
        reverse_change(actor=tree["province_admin"], application=application, reason="x")
    assert codes(exc.value) == {"not_reversible"}


def test_r_rec_13_a_closed_application_is_not_reopened_over_a_newer_one(tree):
    application = new_application(tree)
    close_application(actor=tree["b1_admin"], application=application, reason="本人撤回")
    apply_to_join(actor=tree["b2_admin"], branch=tree["b2"], id_number=application.id_number, name=application.name,
                  applied_on=application.applied_on, expected_join_on=application.expected_join_on)
    with pytest.raises(ValidationError) as exc:
        reverse_change(actor=tree["b1_admin"], application=application)
    assert codes(exc.value) == {"application_open"}
    application.refresh_from_db()
    assert application.stage == "closed"
