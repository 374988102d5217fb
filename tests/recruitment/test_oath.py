"""R-REC-11: the oath takes the next development number of the branch's segments and enters the member through
members.services.enter_member."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from members.models import Membership, Person
from members.services import enter_member
from recruitment.models import Application
from recruitment.services import take_oath
from tests.factories import make_id_number

from .support import OATH, codes, drive, new_application, segment

pytestmark = pytest.mark.django_db


def _approved(tree, **kw):
    return drive(tree, new_application(tree, **kw), "approved")


def test_r_rec_11_the_oath_enters_the_member_with_the_segment_s_first_free_number(tree):
    segment(tree, "uni")
    application = _approved(tree)
    person = take_oath(actor=tree["b1_admin"], application=application, oath_on=OATH)
    assert (person.development_number, person.joined_on, person.name) == ("202600000001", OATH, "王小红")
    assert Membership.objects.get(person=person, ended_at__isnull=True).branch_id == tree["b1"].pk
    application.refresh_from_db()
    assert (application.stage, application.person_id, application.oath_on) == ("member", person.pk, OATH)


def test_r_rec_11_the_branch_s_own_segment_comes_before_an_ancestor_s_and_taken_numbers_are_skipped(tree):
    segment(tree, "uni", first="202600000001", last="202600000100")
    segment(tree, "school", first="202600000500", last="202600000510")
    enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2008, 1, 1)), name="已有",
                 joined_on=dt.date(2026, 1, 2), development_number="202600000500")
    person = take_oath(actor=tree["b1_admin"], application=_approved(tree), oath_on=OATH)
    assert person.development_number == "202600000501"


def test_r_rec_11_an_exhausted_segment_is_refused_clearly_and_nothing_is_written(tree):
    segment(tree, "uni", first="202600000001", last="202600000001")
    enter_member(actor=None, branch=tree["b2"], id_number=make_id_number(dt.date(2008, 1, 1)), name="已有",
                 joined_on=dt.date(2026, 1, 2), development_number="202600000001")
    application = _approved(tree)
    with pytest.raises(ValidationError) as exc:
        take_oath(actor=tree["b1_admin"], application=application, oath_on=OATH)
    assert codes(exc.value) == {"segment_exhausted"}
    assert "号段" in " ".join(exc.value.messages)
    assert not Person.objects.filter(id_number=application.id_number).exists()
    assert Application.objects.get(pk=application.pk).stage == "approved"


def test_r_rec_11_no_segment_for_the_year_is_refused(tree):
    segment(tree, "uni", year=2025, first="202500000001", last="202500000100")
    application = _approved(tree)
    with pytest.raises(ValidationError) as exc:
        take_oath(actor=tree["b1_admin"], application=application, oath_on=OATH)
    assert codes(exc.value) == {"no_segment"}


def test_r_rec_11_a_segment_of_another_subtree_is_not_used(tree):
    segment(tree, "firm")
    with pytest.raises(ValidationError) as exc:
        take_oath(actor=tree["b1_admin"], application=_approved(tree), oath_on=OATH)
    assert codes(exc.value) == {"no_segment"}


def test_r_rec_11_the_age_is_checked_again_on_the_oath_date(tree):
    segment(tree, "uni")
    application = _approved(tree, born=dt.date(1998, 5, 22), expected=dt.date(2026, 5, 4))  # 28 on 22 May
    with pytest.raises(ValidationError) as exc:
        take_oath(actor=tree["b1_admin"], application=application, oath_on=OATH)
    assert codes(exc.value) == {"recruit_age"}


def test_r_rec_11_the_oath_is_not_before_the_approval(tree):
    segment(tree, "uni")
    with pytest.raises(ValidationError) as exc:
        take_oath(actor=tree["b1_admin"], application=_approved(tree), oath_on=dt.date(2026, 5, 19))
    assert codes(exc.value) == {"date_invalid"}


def test_r_rec_11_the_committee_does_not_take_the_oath_for_the_branch(tree):
    segment(tree, "uni")
    with pytest.raises(PermissionDenied):
        take_oath(actor=tree["uni_admin"], application=_approved(tree), oath_on=OATH)


def test_r_rec_11_a_person_entered_meanwhile_by_another_path_is_refused_by_enter_member(tree):
    segment(tree, "uni")
    application = _approved(tree)
    enter_member(actor=None, branch=tree["b2"], id_number=application.id_number, name=application.name,
                 joined_on=dt.date(2025, 5, 4), development_number="202500000009")
    with pytest.raises(ValidationError) as exc:
        take_oath(actor=tree["b1_admin"], application=application, oath_on=OATH)
    assert codes(exc.value) == {"id_registered"}
    assert Application.objects.get(pk=application.pk).stage == "approved"
