"""The password policy (issue 12; AUTH_PASSWORD_VALIDATORS, members/password_validation.py), each rule at its
boundary: 8 characters after stripping, not all spaces, nothing of the ID number (6 consecutive characters already
refuse), not the current password, not on Django's list of common passwords. The same validators run on the
first password, the change page and a reset code (R-ACC-1, R-ACC-2)."""
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from members.models import Person

from .support import codes

pytestmark = pytest.mark.django_db

CURRENT = "Tuan-2026-strong"


def _refusals(password, person) -> set[str]:
    try:
        validate_password(password, person)
    except ValidationError as exc:
        return codes(exc)
    return set()


@pytest.fixture
def person(member) -> Person:
    member.set_password(CURRENT)
    member.save(update_fields=["password", "password_set"])
    return Person.objects.get(pk=member.pk)


# Length, after stripping -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, refused", [
    ("Qc#7vmk", True),                 # 7
    ("Qc#7vmkz", False),               # 8
    ("   Qc#7vmk   ", True),           # 13 as typed, 7 once stripped
    ("   Qc#7vmkz   ", False),         # 8 once stripped
    ("\u3000Qc#7vmk\u3000", True),     # full-width spaces are spaces too
    ("\tQc#7vmk\n", True),
    ("Qc#7 vmk", False),               # a space inside counts: only the ends are stripped
])
def test_eight_characters_are_needed_once_surrounding_spaces_are_stripped(person, password, refused):
    assert ("password_too_short" in _refusals(password, person)) is refused


def test_the_length_message_says_spaces_do_not_count(person):
    with pytest.raises(ValidationError) as exc:
        validate_password("  Qc#7vmk  ", person)
    assert "密码去掉首尾空格后至少要有 8 个字符。" in exc.value.messages


@pytest.mark.parametrize("blank", [" " * 8, " " * 20, "\u3000" * 8, "\t\n \t\n  "])
def test_a_password_of_spaces_alone_is_refused(person, blank):
    assert "password_blank" in _refusals(blank, person)


# The ID number -----------------------------------------------------------------------------------------------------

def test_the_whole_id_number_is_refused(person):
    assert "password_has_id_digits" in _refusals(person.id_number, person)


def test_any_eight_consecutive_characters_of_the_id_number_are_refused(person):
    for start in range(0, len(person.id_number) - 8 + 1):
        assert "password_has_id_digits" in _refusals("Qc#" + person.id_number[start:start + 8] + "vm", person), start


def test_six_consecutive_characters_are_refused_five_pass(person):
    run6, run5 = person.id_number[6:12], person.id_number[6:11]  # from the birth date
    assert "password_has_id_digits" in _refusals(f"Qc#v{run6}mk", person)
    assert "password_has_id_digits" not in _refusals(f"Qc#v{run5}mkz", person)


def test_id_characters_typed_full_width_are_the_same_characters(person):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in person.id_number[-8:])
    assert "password_has_id_digits" in _refusals("Qc#" + full_width, person)


# The current password, common passwords ------------------------------------------------------------------------

def test_the_current_password_is_refused_another_passes(person):
    assert "password_unchanged" in _refusals(CURRENT, person)
    assert _refusals(CURRENT + "!", person) == set()


@pytest.mark.parametrize("common", ["iloveyou", "password", "sunshine", "abcd1234", "  ILoveYou  "])
def test_a_password_on_the_common_list_is_refused(person, common):
    assert "password_too_common" in _refusals(common, person)


def test_a_password_off_the_common_list_passes(person):
    assert _refusals("Qing-Tuan-58", person) == set()


# Through the pages --------------------------------------------------------------------------------------------

def test_the_change_page_refuses_seven_characters_padded_with_spaces(client_as, member):
    client = client_as(member)
    padded = "  Qc#7vmk  "
    resp = client.post(reverse("password_change"),
                       {"old_password": CURRENT, "new_password1": padded, "new_password2": padded})
    assert resp.status_code == 200
    assert "password_too_short" in {e.code for e in resp.context["form"].errors.as_data()["new_password2"]}
    assert Person.objects.get(pk=member.pk).check_password(CURRENT)


def test_the_first_password_page_applies_the_same_rules(client, member):
    client.post(reverse("login"), {"username": member.id_number, "password": member.id_number[-8:]})
    last8 = member.id_number[-8:]
    resp = client.post(reverse("password_change"), {"new_password1": "x" + last8, "new_password2": "x" + last8})
    assert resp.status_code == 200
    assert "password_has_id_digits" in {e.code for e in resp.context["form"].errors.as_data()["new_password2"]}
