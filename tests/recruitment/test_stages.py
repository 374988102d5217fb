"""R-REC-4..10: from activist to the committee's approval, each rule at its boundary."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from recruitment.selectors import overdue_approvals, training_hours
from recruitment.services import (
    approve_admission,
    approve_prereview,
    choose_activist,
    propose_candidate,
    record_meeting,
    record_training,
    return_admission,
    return_prereview,
    start_notice,
)

from .support import (
    ACTIVIST,
    CANDIDATE,
    MEETING,
    NOTICE,
    codes,
    drive,
    introducers,
    meeting_votes,
    new_application,
    new_member,
)

pytestmark = pytest.mark.django_db


def _activist(tree, people):
    application = new_application(tree)
    return choose_activist(actor=tree["b1_admin"], application=application, activist_on=ACTIVIST,
                           decision="支部委员会决定", introducers=people)


def test_r_rec_4_two_introducers_who_are_members_of_the_branch(tree):
    application = _activist(tree, introducers(tree))
    assert application.stage == "activist" and application.introducer_1_id != application.introducer_2_id


def test_r_rec_4_an_introducer_of_another_branch_is_refused(tree):
    with pytest.raises(ValidationError) as exc:
        _activist(tree, [new_member(tree["b1"]), new_member(tree["b2"])])
    assert codes(exc.value) == {"introducer_invalid"}


def test_r_rec_4_the_same_introducer_twice_is_refused(tree):
    one = new_member(tree["b1"])
    with pytest.raises(ValidationError) as exc:
        _activist(tree, [one, one])
    assert codes(exc.value) == {"introducers_same"}


def test_r_rec_4_a_committee_admin_does_not_choose_activists(tree):
    application = new_application(tree)
    with pytest.raises(PermissionDenied):
        choose_activist(actor=tree["uni_admin"], application=application, activist_on=ACTIVIST, decision="x",
                        introducers=introducers(tree))


def test_r_rec_4_only_from_applied(tree):
    application = _activist(tree, introducers(tree))
    with pytest.raises(ValidationError) as exc:
        choose_activist(actor=tree["b1_admin"], application=application, activist_on=ACTIVIST, decision="再次",
                        introducers=introducers(tree))
    assert codes(exc.value) == {"wrong_stage"}


def test_r_rec_5_training_is_refused_before_the_activist_stage(tree):
    application = new_application(tree)
    with pytest.raises(ValidationError) as exc:
        record_training(actor=tree["b1_admin"], application=application, held_on=ACTIVIST, hours="2", topic="团课")
    assert codes(exc.value) == {"wrong_stage"}


@pytest.mark.parametrize("hours", ["0", "-1", "12.1", "1.25", "abc"])
def test_r_rec_5_hours_out_of_range_are_refused(tree, hours):
    application = _activist(tree, introducers(tree))
    with pytest.raises(ValidationError) as exc:
        record_training(actor=tree["b1_admin"], application=application, held_on=ACTIVIST, hours=hours, topic="团课")
    assert codes(exc.value) == {"hours_invalid"}


def _trained(tree, hours: str):
    application = _activist(tree, introducers(tree))
    record_training(actor=tree["b1_admin"], application=application, held_on=ACTIVIST, hours="4", topic="团章")
    record_training(actor=tree["b1_admin"], application=application, held_on=ACTIVIST + dt.timedelta(days=7),
                    hours=hours, topic="团史")
    return application


def test_r_rec_6_seven_point_nine_hours_are_too_few(tree):
    application = _trained(tree, "3.9")
    assert training_hours(application) == Decimal("7.9")
    with pytest.raises(ValidationError) as exc:
        propose_candidate(actor=tree["b1_admin"], application=application, candidate_on=CANDIDATE)
    assert codes(exc.value) == {"training_hours"}


def test_r_rec_6_eight_hours_are_enough(tree):
    application = _trained(tree, "4")
    assert propose_candidate(actor=tree["b1_admin"], application=application, candidate_on=CANDIDATE).stage == \
        "candidate"


def test_r_rec_6_sessions_after_the_proposal_date_do_not_count(tree):
    application = _activist(tree, introducers(tree))
    record_training(actor=tree["b1_admin"], application=application, held_on=CANDIDATE + dt.timedelta(days=1),
                    hours="8", topic="团课")
    with pytest.raises(ValidationError) as exc:
        propose_candidate(actor=tree["b1_admin"], application=application, candidate_on=CANDIDATE)
    assert codes(exc.value) == {"training_hours"}


def test_r_rec_6_three_months_as_an_activist_day_before_refused_day_of_accepted(tree):
    application = _trained(tree, "4")
    with pytest.raises(ValidationError) as exc:  # activist on 2 February: 2 May at the earliest
        propose_candidate(actor=tree["b1_admin"], application=application, candidate_on=dt.date(2026, 5, 1))
    assert codes(exc.value) == {"activist_period"}
    assert propose_candidate(actor=tree["b1_admin"], application=application,
                             candidate_on=dt.date(2026, 5, 2)).stage == "candidate"


def test_r_rec_7_the_approving_committee_pre_reviews_not_the_general_branch_nor_the_branch(tree):
    application = drive(tree, new_application(tree), "candidate")
    for who in ("b1_admin", "school_admin", "firm_admin"):
        with pytest.raises(PermissionDenied):
            approve_prereview(actor=tree[who], application=application)
    assert approve_prereview(actor=tree["uni_admin"], application=application).stage == "prereviewed"


def test_r_rec_7_a_return_needs_a_reason_and_makes_an_activist_again(tree):
    application = drive(tree, new_application(tree), "candidate")
    with pytest.raises(ValidationError) as exc:
        return_prereview(actor=tree["uni_admin"], application=application, reason="")
    assert codes(exc.value) == {"reason_required"}
    application = return_prereview(actor=tree["uni_admin"], application=application, reason="团课记录不全")
    assert application.stage == "activist" and application.candidate_on is None
    assert training_hours(application) == Decimal("8")  # the hours stay
    assert application.events.latest("pk").reason == "团课记录不全"


def _in_notice(tree, notice_from):
    application = drive(tree, new_application(tree), "prereviewed")
    return start_notice(actor=tree["b1_admin"], application=application, notice_from=notice_from)


@override_settings(RECRUIT_HOLIDAYS=["2026-05-13"])
def test_r_rec_8_with_a_holiday_the_meeting_on_the_fifth_working_day_is_refused_the_sixth_accepted(tree):
    """Notice from Monday 11 May; Wednesday 13 May a holiday: the fifth working day is Monday 18 May."""
    application = _in_notice(tree, NOTICE)
    with pytest.raises(ValidationError) as exc:  # 4 working days done before the 18th
        record_meeting(actor=tree["b1_admin"], application=application, meeting_on=dt.date(2026, 5, 18),
                       **meeting_votes())
    assert codes(exc.value) == {"notice_not_over"}
    application = record_meeting(actor=tree["b1_admin"], application=application, meeting_on=dt.date(2026, 5, 19),
                                 **meeting_votes())
    assert application.stage == "passed"


def test_r_rec_8_without_a_holiday_the_day_after_five_working_days_is_enough(tree):
    application = _in_notice(tree, NOTICE)
    with pytest.raises(ValidationError) as exc:
        record_meeting(actor=tree["b1_admin"], application=application, meeting_on=dt.date(2026, 5, 15),
                       **meeting_votes())
    assert codes(exc.value) == {"notice_not_over"}
    assert record_meeting(actor=tree["b1_admin"], application=application, meeting_on=dt.date(2026, 5, 16),
                          **meeting_votes()).stage == "passed"


def test_r_rec_9_exactly_half_in_favour_is_refused_half_plus_one_passes(tree):
    application = _in_notice(tree, NOTICE)
    with pytest.raises(ValidationError) as exc:
        record_meeting(actor=tree["b1_admin"], application=application, meeting_on=MEETING,
                       **meeting_votes(entitled=20, present=16, votes_for=10, against=6, abstain=0))
    assert codes(exc.value) == {"meeting_majority"}
    application.refresh_from_db()
    assert application.stage == "notice" and application.meeting_on is None
    passed = record_meeting(actor=tree["b1_admin"], application=application, meeting_on=MEETING,
                            **meeting_votes(entitled=20, present=16, votes_for=11, against=5, abstain=0))
    assert (passed.stage, passed.meeting_for, passed.form_number) == ("passed", 11, "2026-001")


def test_r_rec_9_exactly_half_present_is_refused(tree):
    application = _in_notice(tree, NOTICE)
    with pytest.raises(ValidationError) as exc:
        record_meeting(actor=tree["b1_admin"], application=application, meeting_on=MEETING,
                       **meeting_votes(entitled=20, present=10, votes_for=10, against=0, abstain=0))
    assert "meeting_quorum" in codes(exc.value)


def test_r_rec_9_the_form_number_is_required(tree):
    application = _in_notice(tree, NOTICE)
    with pytest.raises(ValidationError) as exc:
        record_meeting(actor=tree["b1_admin"], application=application, meeting_on=MEETING,
                       **meeting_votes(form_number=" "))
    assert codes(exc.value) == {"required"}


def test_r_rec_10_approve_or_return_by_the_committee_a_return_clears_the_meeting(tree):
    application = drive(tree, new_application(tree), "passed")
    with pytest.raises(PermissionDenied):
        approve_admission(actor=tree["b1_admin"], application=application)
    returned = return_admission(actor=tree["uni_admin"], application=application, reason="表决人数记录有误")
    assert returned.stage == "notice" and returned.meeting_on is None and returned.approval_due_at is None
    application = drive(tree, returned, "approved")
    assert application.stage == "approved" and application.approved_on == dt.date(2026, 5, 20)


def test_r_rec_10_an_approval_past_its_due_time_is_overdue(tree, settings):
    application = drive(tree, new_application(tree), "passed")
    due = application.approval_due_at
    assert due - timezone.now() <= dt.timedelta(days=settings.RECRUIT_APPROVAL_DAYS)
    assert list(overdue_approvals(tree["uni"], now=due)) == []
    assert list(overdue_approvals(tree["uni"], now=due + dt.timedelta(seconds=1))) == [application]
    assert list(overdue_approvals(tree["firm"], now=due + dt.timedelta(seconds=1))) == []


def test_r_rec_12_every_change_is_on_the_timeline_and_audited(tree):
    application = drive(tree, new_application(tree), "approved")
    actions = list(application.events.order_by("pk").values_list("action", flat=True))
    assert actions == ["apply", "activist", "training", "candidate", "prereview", "notice", "meeting", "approve"]
    audited = set(AuditEvent.objects.filter(target_type="application", target_id=str(application.pk))
                  .values_list("action", flat=True))
    assert audited == {f"recruitment.{a}" for a in actions}
