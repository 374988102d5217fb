"""GB 11643-1999 resident ID numbers (R-ENT-1) and their masking (R-AUTH-6), as properties.

The check character is computed here from the standard's own definition (ISO 7064 MOD 11-2: weight
2^(18-i) mod 11, check value (12 - sum mod 11) mod 11, 10 written X), not with the code under test."""
import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from members.idnumber import is_valid_id_number, mask_id_number, normalize_id_number
from tests.factories import make_id_number

TODAY = dt.date(2025, 6, 30)  # the "today" of the properties, so that none depends on the clock
DIGITS = "0123456789"


def reference_check_char(body17: str) -> str:
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
areas = st.text(DIGITS, min_size=6, max_size=6)
sequences = st.text(DIGITS, min_size=3, max_size=3)


@st.composite
def id_numbers(draw, born=birth_dates):
    body = f"{draw(areas)}{draw(born):%Y%m%d}{draw(sequences)}"
    return body + reference_check_char(body)


@st.composite
def id_numbers_ending_in_x(draw):
    """Among any 1,000 sequences of one area and date, about 1 in 11 has the check character X."""
    area, born = draw(areas), draw(birth_dates)
    candidates = [f"{area}{born:%Y%m%d}{n:03d}" for n in range(1000)]
    bodies = [b for b in candidates if reference_check_char(b) == "X"]
    return draw(st.sampled_from(bodies)) + "X"


hypothesis_settings = settings(deadline=None)


def test_it_accepts_the_standards_own_example():
    assert is_valid_id_number("11010519491231002X")


@hypothesis_settings
@given(number=id_numbers())
def test_every_number_built_from_a_valid_date_and_its_check_character_is_valid(number):
    assert is_valid_id_number(number, today=TODAY)


@hypothesis_settings
@given(number=id_numbers(), position=st.integers(0, 17), replacement=st.sampled_from(DIGITS + "X"))
@example(number="11010519491231002X", position=17, replacement="0")
@example(number="11010519491231002X", position=16, replacement="X")
def test_changing_any_one_character_makes_a_number_invalid(number, position, replacement):
    """One substituted character always breaks the checksum (every weight is non-zero mod 11),
    the shape (X only last) or the date."""
    if number[position] == replacement:
        replacement = DIGITS[(DIGITS.index(replacement) + 1) % 10] if replacement != "X" else "0"
    changed = number[:position] + replacement + number[position + 1:]
    assert changed != number
    assert not is_valid_id_number(changed, today=TODAY)


@hypothesis_settings
@given(number=id_numbers_ending_in_x())
def test_a_lower_case_x_is_normalized_to_an_upper_case_one(number):
    lower = number[:-1] + "x"
    assert normalize_id_number(lower) == number
    assert is_valid_id_number(normalize_id_number(lower), today=TODAY)


@hypothesis_settings
@given(number=id_numbers(), pad=st.sampled_from(["", " ", "\u3000", "\t"]))
def test_full_width_digits_and_surrounding_spaces_are_normalized(number, pad):
    typed = pad + full_width(number).replace("Ｘ", "ｘ") + pad
    assert normalize_id_number(typed) == number


@pytest.mark.parametrize("date_part", ["20230230", "20230229", "20231301", "20230001", "20230431", "20230100"])
def test_an_impossible_birth_date_makes_a_number_invalid(date_part):
    """Even with the right check character: 30 February, 29 February of a common year, month 13, day 0..."""
    body = f"110101{date_part}001"
    assert not is_valid_id_number(body + reference_check_char(body), today=TODAY)


def test_29_february_of_a_leap_year_is_a_birth_date():
    body = "11010120040229001"
    assert is_valid_id_number(body + reference_check_char(body), today=TODAY)


@hypothesis_settings
@given(number=id_numbers(born=st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2099, 12, 31))))
def test_a_birth_date_after_today_makes_a_number_invalid(number):
    assert not is_valid_id_number(number, today=TODAY)


def test_a_birth_date_of_today_is_valid_and_tomorrow_is_not():
    today = dt.date(2025, 6, 30)
    assert is_valid_id_number(make_id_number(today), today=today)
    assert not is_valid_id_number(make_id_number(today + dt.timedelta(days=1)), today=today)


def test_a_birth_date_in_the_future_of_the_real_clock_is_invalid():
    assert not is_valid_id_number(make_id_number(dt.date.today() + dt.timedelta(days=366)))


@pytest.mark.parametrize("raw", ["", "11010519491231002", "11010519491231002X0", "1101051949123100XX", "X10105194912310020"])
def test_it_refuses_anything_but_17_digits_and_a_check_character(raw):
    assert not is_valid_id_number(raw, today=TODAY)


@hypothesis_settings
@given(number=id_numbers())
def test_a_masked_number_shows_the_first_6_and_the_last_1_characters_only(number):
    """R-AUTH-6: never the last 4 (the initial password is the last 8)."""
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6] and masked[-1] == number[-1]
    assert set(masked[6:17]) == {"*"}
    assert masked[-4:-1] == "***"
