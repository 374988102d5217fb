"""Completeness (R-ENT-8, R-CMP-1..3) and development-number flags on records already on file (R-ENT-5)."""
import datetime as dt

import pytest

from members.completeness import missing_fields, refresh_orgs, refresh_people
from members.models import Person
from members.profile import REQUIRED_FIELDS
from members.services import allocate_segment, enter_cadre, enter_member, update_profile
from orgs.models import Organization
from tests.factories import make_id_number
from tests.members.profiles import FULL_PROFILE, fill_profile

FILLED = {**FULL_PROFILE, "name": "张小明", "gender": "male", "birth_date": dt.date(2004, 3, 1),
          "joined_on": dt.date(2016, 5, 4)}
ALWAYS_REQUIRED = [field for field, _label in REQUIRED_FIELDS if field != "development_number"]


def _person(**changes):
    """An unsaved record with every required field filled, then `changes`."""
    return Person(id_number=make_id_number(dt.date(2004, 3, 1)), **{**FILLED, **changes})


def _meets(org) -> bool:
    return Organization.objects.get(pk=org.pk).meets_standard


def _reload(person) -> Person:
    return Person.objects.get(pk=person.pk)


# --- a person's missing fields (R-ENT-8) --------------------------------------------------------------

def test_a_record_with_every_required_field_misses_nothing(tree):
    assert missing_fields(_person(), tree["b1"]) == []


@pytest.mark.parametrize("field", ALWAYS_REQUIRED)
def test_missing_fields_names_each_empty_required_field(tree, field):
    empty = None if field in ("birth_date", "joined_on") else ""
    label = dict(REQUIRED_FIELDS)[field]
    assert missing_fields(_person(**{field: empty}), tree["b1"]) == [(field, str(label))]


def test_missing_fields_lists_every_empty_field_in_order(tree):
    person = _person(ethnicity="", phone="", city="")
    assert [f for f, _label in missing_fields(person, tree["b1"])] == ["ethnicity", "phone", "city"]


@pytest.mark.parametrize("branch, joined_on, required", [
    ("b1", dt.date(2016, 12, 31), False),
    ("b1", dt.date(2017, 1, 1), True),     # R-ENT-4: from 2017-01-01
    ("xjb", dt.date(2015, 12, 31), False),
    ("xjb", dt.date(2016, 1, 1), True),    # R-ENT-4: from 2016-01-01 in Xinjiang
])
def test_the_development_number_is_required_only_where_r_ent_4_requires_it(tree, branch, joined_on, required):
    person = _person(joined_on=joined_on, development_number=None)
    missing = [f for f, _label in missing_fields(person, tree[branch])]
    assert missing == (["development_number"] if required else [])
    assert missing_fields(_person(joined_on=joined_on, development_number=f"{joined_on.year}00000001"),
                          tree[branch]) == []


@pytest.mark.parametrize("province, required", [("65", True), ("11", False)])
def test_without_a_branch_the_persons_own_region_decides(db, province, required):
    # A cadre outside any branch: their 所在地区 stands in for the branch's region.
    person = _person(joined_on=dt.date(2016, 6, 1), development_number=None, province=province)
    assert bool(missing_fields(person)) is required


def test_a_person_becomes_complete_when_every_required_field_is_filled(member):
    assert not member.is_complete
    update_profile(actor=None, person=member, **{k: v for k, v in FULL_PROFILE.items() if k != "city"})
    assert not _reload(member).is_complete
    update_profile(actor=None, person=member, city="北京市")
    assert _reload(member).is_complete


@pytest.mark.parametrize("status", ["pending", "verified", "failed"])
def test_completeness_does_not_depend_on_verification(member, status):
    # R-ENT-8: completeness has nothing to do with identity verification.
    fill_profile(member)
    Person.objects.filter(pk=member.pk).update(verification_status=status)
    refresh_people([member.pk])
    assert _reload(member).is_complete

    Person.objects.filter(pk=member.pk).update(phone="")
    refresh_people([member.pk])
    assert not _reload(member).is_complete


# --- development numbers already on file (R-ENT-5) -------------------------------------------------------

@pytest.fixture
def uni_segment_2016(tree):
    return allocate_segment(actor=None, org=tree["uni"], year=2016, first="201600000001", last="201600000100")


@pytest.mark.parametrize("legacy, joined_on, issue, fix", [
    ("20160001", None, "format", "201600000007"),
    ("2016 0000001", None, "format", "201600000007"),
    ("2016000000AB", None, "format", "201600000007"),
    ("201500000001", None, "year", "201600000007"),
    ("201600000500", None, "segment", "201600000007"),
    (None, dt.date(2017, 3, 1), "missing", "201700000001"),
])
def test_legacy_development_numbers_are_flagged_until_fixed(member, uni_segment_2016, legacy, joined_on, issue, fix):
    # Records already on file skipped today's checks: written directly, as an old import would have.
    changes = {"development_number": legacy} | ({"joined_on": joined_on} if joined_on else {})
    Person.objects.filter(pk=member.pk).update(**changes)
    refresh_people([member.pk])
    assert _reload(member).dev_number_issue == issue

    update_profile(actor=member, person=_reload(member), development_number=fix)  # R-ENT-5: the person fixes it
    fixed = _reload(member)
    assert (fixed.development_number, fixed.dev_number_issue) == (fix, "")


def test_a_missing_number_also_makes_the_record_incomplete(tree, member):
    fill_profile(member)
    Person.objects.filter(pk=member.pk).update(joined_on=dt.date(2017, 3, 1))
    refresh_people([member.pk])
    flagged = _reload(member)
    assert (flagged.is_complete, flagged.dev_number_issue) == (False, "missing")

    update_profile(actor=tree["school_admin"], person=flagged, development_number="201700000001")
    fixed = _reload(member)
    assert (fixed.is_complete, fixed.dev_number_issue) == (True, "")


def test_a_valid_number_on_file_is_not_flagged(member, uni_segment_2016):
    Person.objects.filter(pk=member.pk).update(development_number="201600000100")  # the segment's last number
    refresh_people([member.pk])
    assert _reload(member).dev_number_issue == ""


def test_a_cadre_outside_any_branch_is_never_flagged(tree):
    Person.objects.filter(pk=tree["uni_admin"].pk).update(development_number="123")
    refresh_people([tree["uni_admin"].pk])
    assert _reload(tree["uni_admin"]).dev_number_issue == ""


# --- organizations' standards (R-CMP) -------------------------------------------------------------------

def _cadre(org, name, title="副书记"):
    return enter_cadre(actor=None, org=org, id_number=make_id_number(dt.date(1998, 1, 1)), name=name, title=title,
                       joined_on=dt.date(2012, 5, 4))


def _member(branch, name):
    return enter_member(actor=None, branch=branch, id_number=make_id_number(dt.date(2004, 3, 1)), name=name,
                        joined_on=dt.date(2016, 5, 4))


def test_a_leading_organ_meets_its_standard_only_when_every_cadre_is_complete(tree):
    # R-CMP-1
    org = tree["province"]
    deputy = _cadre(org, "李副书记")
    fill_profile(tree["province_admin"])
    assert not _meets(org)  # one complete, one incomplete
    fill_profile(deputy)
    assert _meets(org)


def test_a_leading_organ_with_its_only_cadre_incomplete_fails(tree):
    refresh_orgs([tree["xj"].pk])
    assert not _meets(tree["xj"])
    fill_profile(tree["xj_admin"])
    assert _meets(tree["xj"])


@pytest.mark.parametrize("key", ["firm", "school"])  # a committee, a general branch
def test_a_committee_or_general_branch_needs_two_complete_cadres(tree, key):
    # R-CMP-2: 1 complete fails; 2 with one incomplete fails; 2 complete passes.
    org = tree[key]
    fill_profile(tree[f"{key}_admin"])
    assert not _meets(org)
    deputy = _cadre(org, "李副书记")
    assert not _meets(org)
    fill_profile(deputy)
    assert _meets(org)


def test_a_branch_needs_three_complete_members_or_cadres(tree):
    # R-CMP-3: members and cadres counted together.
    branch = tree["b2"]
    fill_profile(tree["b2_admin"])          # a cadre, not a member
    fill_profile(_member(branch, "李小红"))
    assert not _meets(branch)              # 2 people
    third = _member(branch, "王小丽")
    assert not _meets(branch)              # 3 people, one incomplete
    fill_profile(third)
    assert _meets(branch)                  # 3 complete people


def test_a_cadre_who_is_also_a_member_counts_once(tree):
    # R-CMP-3: the branch's secretary and a member who is also its 组织委员 are 2 people, not 3.
    branch = tree["b2"]
    fill_profile(tree["b2_admin"])
    both = fill_profile(_member(branch, "李小红"))
    enter_cadre(actor=None, org=branch, id_number=both.id_number, name=both.name, title="组织委员")
    refresh_orgs([branch.pk])
    assert not _meets(branch)
    fill_profile(_member(branch, "王小丽"))
    assert _meets(branch)


def test_an_incomplete_member_who_is_also_a_cadre_holds_the_branch_back(tree):
    branch = tree["b2"]
    fill_profile(tree["b2_admin"])
    fill_profile(_member(branch, "李小红"))
    both = _member(branch, "王小丽")
    enter_cadre(actor=None, org=branch, id_number=both.id_number, name=both.name, title="组织委员")
    assert not _meets(branch)
    fill_profile(both)
    assert _meets(branch)
