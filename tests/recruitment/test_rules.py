"""The rules that need no database (recruitment/rules.py), each at its boundary (docs/recruitment-rules.md)."""
import datetime as dt

import pytest
from django.test import override_settings

from recruitment.rules import add_months, age_problem, notice_last_day, vote_problems

BORN = dt.date(2010, 6, 15)


def test_r_rec_3_the_day_before_the_14th_birthday_is_refused_the_day_itself_accepted():
    assert age_problem(BORN, dt.date(2024, 6, 14), "11")[1] == "recruit_age"
    assert age_problem(BORN, dt.date(2024, 6, 15), "11") is None


def test_r_rec_3_the_day_before_the_28th_birthday_is_accepted_the_day_itself_refused():
    assert age_problem(BORN, dt.date(2038, 6, 14), "11") is None
    assert age_problem(BORN, dt.date(2038, 6, 15), "11")[1] == "recruit_age"


def test_r_rec_3_born_on_29_february_completes_14_on_1_march_in_a_common_year():
    born = dt.date(2012, 2, 29)
    assert age_problem(born, dt.date(2026, 2, 28), "11") is not None
    assert age_problem(born, dt.date(2026, 3, 1), "11") is None


@override_settings(RECRUIT_MIN_AGE=12)
def test_r_rec_3_a_lowered_minimum_keeps_r_ent_2_and_its_xinjiang_case():
    """Before 2017, R-ENT-2 asks 12 years, except in Xinjiang (13 whatever the date)."""
    born, on = dt.date(2003, 6, 1), dt.date(2016, 6, 1)  # 13 on that day
    assert age_problem(born, on, "11") is None
    assert age_problem(dt.date(2004, 6, 1), on, "11") is None  # 12: enough outside Xinjiang before 2017
    assert age_problem(dt.date(2004, 6, 1), on, "65")[1] == "recruit_age"
    assert age_problem(born, on, "65") is None


@pytest.mark.parametrize(("start", "months", "expected"), [
    (dt.date(2026, 2, 2), 3, dt.date(2026, 5, 2)),
    (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
    (dt.date(2026, 10, 31), 3, dt.date(2027, 1, 31)),
])
def test_r_rec_6_three_months_later(start, months, expected):
    assert add_months(start, months) == expected


def test_r_rec_8_five_working_days_from_a_monday_end_on_friday():
    assert notice_last_day(dt.date(2026, 3, 2)) == dt.date(2026, 3, 6)


@override_settings(RECRUIT_HOLIDAYS=["2026-03-04"])
def test_r_rec_8_a_holiday_pushes_the_end_past_the_weekend():
    assert notice_last_day(dt.date(2026, 3, 2)) == dt.date(2026, 3, 9)


@override_settings(RECRUIT_EXTRA_WORKDAYS=["2026-03-07"])
def test_r_rec_8_a_weekend_day_worked_counts():
    assert notice_last_day(dt.date(2026, 3, 3)) == dt.date(2026, 3, 7)


def _codes(**votes):
    return {code for _field, _msg, code in vote_problems(**votes)}


def test_r_rec_9_exactly_half_present_is_no_quorum_half_plus_one_is():
    assert "meeting_quorum" in _codes(entitled=20, present=10, for_=10, against=0, abstain=0)
    assert "meeting_quorum" not in _codes(entitled=20, present=11, for_=11, against=0, abstain=0)


def test_r_rec_9_exactly_half_of_those_entitled_in_favour_fails_half_plus_one_passes():
    assert _codes(entitled=20, present=18, for_=10, against=8, abstain=0) == {"meeting_majority"}
    assert _codes(entitled=20, present=18, for_=11, against=7, abstain=0) == set()


@override_settings(RECRUIT_MAJORITY_BASIS="present")
def test_r_rec_9_of_those_present_when_the_setting_says_so():
    assert _codes(entitled=20, present=12, for_=6, against=6, abstain=0) == {"meeting_majority"}
    assert _codes(entitled=20, present=12, for_=7, against=5, abstain=0) == set()


def test_r_rec_9_numbers_that_do_not_add_up():
    assert _codes(entitled=10, present=11, for_=11, against=0, abstain=0) == {"meeting_votes"}
    assert _codes(entitled=10, present=8, for_=6, against=2, abstain=1) == {"meeting_votes"}
