"""Entering people (R-ENT, R-ORG-2/3, R-AUTH-2): enter_member, enter_cadre and number segments, each rule at
its boundary. `tree` (tests/conftest.py): b1 and b2 under the school's general branch under the university
committee; xjb is a branch of the Xinjiang (region 65) leading organ."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from members.idnumber import check_char
from members.models import CadrePost, Membership, NumberSegment, Person
from members.selectors.people import branch_of
from members.services import allocate_segment, enter_cadre, enter_member
from tests.factories import make_id_number

from .support import codes, denied, dev_number

pytestmark = pytest.mark.django_db


def enter(tree, *, born: dt.date, joined_on: dt.date, number: str = "", branch: str = "b1", **extra) -> Person:
    """Enter a new member into tree[branch] as that branch's admin."""
    kwargs = {"actor": tree[f"{branch}_admin"], **extra}
    return enter_member(branch=tree[branch], id_number=make_id_number(born), name="王小红", joined_on=joined_on,
                        development_number=number, **kwargs)


def refused(tree, **kwargs) -> set[str]:
    before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        enter(tree, **kwargs)
    assert Person.objects.count() == before  # nothing saved
    return codes(exc.value)


# R-ENT-2: age at joining -------------------------------------------------------------------------------


@pytest.mark.parametrize("born, joined_on", [
    (dt.date(2004, 1, 2), dt.date(2017, 1, 1)),
    (dt.date(2005, 6, 15), dt.date(2018, 6, 14)),
])
def test_it_refuses_a_member_joined_from_2017_on_the_day_before_their_13th_birthday(tree, born, joined_on):
    """R-ENT-2: joined on or after 2017-01-01 → at least 13 full years."""
    assert refused(tree, born=born, joined_on=joined_on, number=dev_number(joined_on.year)) == {"join_age"}


@pytest.mark.parametrize("born, joined_on", [
    (dt.date(2004, 1, 1), dt.date(2017, 1, 1)),
    (dt.date(2005, 6, 15), dt.date(2018, 6, 15)),
])
def test_it_accepts_a_member_joined_from_2017_on_their_13th_birthday(tree, born, joined_on):
    person = enter(tree, born=born, joined_on=joined_on, number=dev_number(joined_on.year))
    assert (person.birth_date, person.joined_on) == (born, joined_on)
    assert branch_of(person) == tree["b1"]


def test_it_accepts_12_full_years_for_a_member_joined_on_2016_12_31(tree):
    """R-ENT-2: before 2017-01-01, 12 full years are enough."""
    person = enter(tree, born=dt.date(2004, 12, 31), joined_on=dt.date(2016, 12, 31))
    assert branch_of(person) == tree["b1"]


def test_it_refuses_11_years_for_a_member_joined_on_2016_12_31(tree):
    assert refused(tree, born=dt.date(2005, 1, 1), joined_on=dt.date(2016, 12, 31)) == {"join_age"}


def test_it_refuses_12_years_for_a_member_joined_on_2017_01_01(tree):
    """The same age that sufficed the day before (R-ENT-2's date boundary)."""
    assert refused(tree, born=dt.date(2004, 12, 31), joined_on=dt.date(2017, 1, 1),
                   number=dev_number(2017)) == {"join_age"}


def test_it_requires_13_years_in_xinjiang_even_on_2016_12_31(tree):
    """R-ENT-2: in Xinjiang (the branch's region is 65) 13 whatever the date."""
    assert tree["xjb"].region_code == "65"
    assert refused(tree, branch="xjb", born=dt.date(2004, 12, 31), joined_on=dt.date(2016, 12, 31),
                   number=dev_number(2016)) == {"join_age"}


def test_it_accepts_13_years_in_xinjiang_on_2016_12_31(tree):
    person = enter(tree, branch="xjb", born=dt.date(2003, 12, 31), joined_on=dt.date(2016, 12, 31),
                   number=dev_number(2016))
    assert branch_of(person) == tree["xjb"]


def test_someone_born_on_29_february_is_not_13_on_28_february_of_a_common_year(tree):
    """R-ENT-2: born 29 February, a year is completed on 1 March in common years."""
    assert refused(tree, born=dt.date(2004, 2, 29), joined_on=dt.date(2017, 2, 28),
                   number=dev_number(2017)) == {"join_age"}


def test_someone_born_on_29_february_is_13_on_1_march_of_a_common_year(tree):
    person = enter(tree, born=dt.date(2004, 2, 29), joined_on=dt.date(2017, 3, 1), number=dev_number(2017))
    assert person.birth_date == dt.date(2004, 2, 29)


def test_someone_born_on_29_february_completes_the_year_on_29_february_of_a_leap_year(tree):
    with pytest.raises(ValidationError):
        enter(tree, born=dt.date(2004, 2, 29), joined_on=dt.date(2016, 2, 28))
    assert enter(tree, born=dt.date(2004, 2, 29), joined_on=dt.date(2016, 2, 29)).joined_on == dt.date(2016, 2, 29)


def test_it_stores_a_lower_case_x_as_an_upper_case_one(tree):
    """R-ENT-1: `x` stored as `X`."""
    body = next(b for b in (f"11010120000101{n:03d}" for n in range(1000)) if check_char(b) == "X")
    person = enter_member(actor=tree["b1_admin"], branch=tree["b1"], id_number=body + "x", name="王小红",
                          joined_on=dt.date(2015, 5, 4))
    assert Person.objects.get(pk=person.pk).id_number == body + "X"


# R-ENT-4: development numbers --------------------------------------------------------------------------


def test_it_requires_a_development_number_from_2017_01_01(tree):
    assert refused(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 1, 1)) == {"dev_number_required"}


def test_it_does_not_require_a_development_number_on_2016_12_31(tree):
    person = enter(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2016, 12, 31))
    assert Person.objects.get(pk=person.pk).development_number is None


def test_it_requires_a_development_number_in_xinjiang_from_2016_01_01(tree):
    assert refused(tree, branch="xjb", born=dt.date(2000, 1, 1),
                   joined_on=dt.date(2016, 1, 1)) == {"dev_number_required"}


def test_it_does_not_require_a_development_number_in_xinjiang_on_2015_12_31(tree):
    person = enter(tree, branch="xjb", born=dt.date(2000, 1, 1), joined_on=dt.date(2015, 12, 31))
    assert branch_of(person) == tree["xjb"]


@pytest.mark.parametrize("number", [
    "20170000001",      # 11 digits
    "2017000000001",    # 13 digits
    "20170000000A",     # a letter
    "2017O0000001",     # the letter O for a zero
    "201700 000001",    # a space inside
    "2017-0000-0001",   # dashes
])
def test_it_refuses_a_development_number_of_the_wrong_shape(tree, number):
    """R-ENT-4: 12 digits, nothing else."""
    assert refused(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4), number=number) == {"dev_number_format"}


@pytest.mark.parametrize("typed", ["２０１７００００００４２", " 201700000042 ", "\u3000２０１７００００００４２\t"])
def test_it_normalizes_full_width_digits_and_surrounding_spaces(tree, typed):
    person = enter(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4), number=typed)
    assert Person.objects.get(pk=person.pk).development_number == "201700000042"


@pytest.mark.parametrize("joined_on, number", [(dt.date(2017, 5, 4), "201800000001"), (dt.date(2018, 1, 1), "201700000001")])
def test_it_refuses_a_development_number_of_another_year(tree, joined_on, number):
    """R-ENT-4: the first four digits are the joining year."""
    assert refused(tree, born=dt.date(2000, 1, 1), joined_on=joined_on, number=number) == {"dev_number_year"}


def test_it_refuses_a_development_number_someone_else_holds(tree):
    """R-ENT-4: the message sends an admin who cannot see the holder to the superior organization."""
    number = dev_number(2017)
    enter(tree, branch="fb", born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4), number=number)
    with pytest.raises(ValidationError) as exc:
        enter(tree, born=dt.date(2000, 2, 2), joined_on=dt.date(2017, 5, 4), number=number)
    assert codes(exc.value) == {"dev_number_taken"}
    assert "上级组织" in " ".join(exc.value.messages)
    assert Person.objects.filter(development_number=number).count() == 1


@pytest.fixture
def uni_segment(tree):
    """A 2017 segment allocated to the university committee, an ancestor of b1 (R-ENT-4a)."""
    return allocate_segment(actor=None, org=tree["uni"], year=2017, first="201700001000", last="201700001999")


@pytest.mark.parametrize("number", ["201700000999", "201700002000", "201700000001"])
def test_it_refuses_a_number_outside_the_segments_of_the_branchs_ancestry(tree, uni_segment, number):
    """R-ENT-4: with segments allocated to the branch or an ancestor, the number lies inside one of them."""
    assert refused(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4), number=number) == {"dev_number_segment"}


@pytest.mark.parametrize("number", ["201700001000", "201700001500", "201700001999"])
def test_it_accepts_a_number_inside_a_segment_first_and_last_included(tree, uni_segment, number):
    person = enter(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4), number=number)
    assert person.development_number == number


def test_it_accepts_any_number_when_no_segment_is_allocated_in_the_ancestry(tree):
    """Segments elsewhere (the company) or of another year do not bind b1 (R-ENT-4)."""
    allocate_segment(actor=None, org=tree["firm"], year=2017, first="201700001000", last="201700001999")
    allocate_segment(actor=None, org=tree["uni"], year=2018, first="201800001000", last="201800001999")
    person = enter(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4), number="201700000001")
    assert person.development_number == "201700000001"
    # ...while the company's own branch is bound by the company's segment.
    assert refused(tree, branch="fb", born=dt.date(2000, 1, 1), joined_on=dt.date(2017, 5, 4),
                   number="201700005000") == {"dev_number_segment"}


# R-ENT-4a: allocating segments ---------------------------------------------------------------------------


def test_it_allocates_segments_that_touch(tree, uni_segment):
    """first = the previous last + 1, on either side, is no overlap."""
    allocate_segment(actor=None, org=tree["uni"], year=2017, first="201700002000", last="201700002999")
    allocate_segment(actor=None, org=tree["firm"], year=2017, first="201700000000", last="201700000999")
    assert NumberSegment.objects.filter(year=2017).count() == 3


@pytest.mark.parametrize("first, last", [
    ("201700001999", "201700002500"),   # overlaps the last number
    ("201700000500", "201700001000"),   # overlaps the first number
    ("201700001200", "201700001300"),   # inside
    ("201700000000", "201700009999"),   # around
])
def test_it_refuses_a_segment_overlapping_another_of_the_same_year(tree, uni_segment, first, last):
    """R-ENT-4a: segments of one year never overlap, whichever organization holds them."""
    with pytest.raises(ValidationError) as exc:
        allocate_segment(actor=None, org=tree["firm"], year=2017, first=first, last=last)
    assert codes(exc.value) == {"segment_overlap"}
    assert NumberSegment.objects.count() == 1


@pytest.mark.parametrize("first, last", [("201800001000", "201800001999"), ("201700001000", "201800001999"),
                                         ("201600001000", "201700001999")])
def test_it_refuses_a_segment_whose_numbers_are_not_of_its_year(tree, first, last):
    with pytest.raises(ValidationError) as exc:
        allocate_segment(actor=None, org=tree["uni"], year=2017, first=first, last=last)
    assert codes(exc.value) == {"dev_number_year"}
    assert not NumberSegment.objects.exists()


@pytest.mark.parametrize("org_key", ["uni", "school", "b1"])
def test_a_committee_admin_allocates_segments_in_its_subtree(tree, org_key):
    segment = allocate_segment(actor=tree["uni_admin"], org=tree[org_key], year=2017, first="201700001000",
                               last="201700001999")
    assert (segment.org_id, segment.allocated_by_id) == (tree[org_key].pk, tree["uni_admin"].pk)


@pytest.mark.parametrize("admin, org_key", [
    ("b1_admin", "b1"),         # a branch admin allocates nothing
    ("school_admin", "b1"),     # nor does a general branch admin
    ("uni_admin", "firm"),      # a committee admin only inside its subtree
    ("uni_admin", "province"),  # ...not above it
])
def test_it_refuses_to_let_other_admins_allocate_segments(tree, admin, org_key):
    with pytest.raises(PermissionDenied):
        allocate_segment(actor=tree[admin], org=tree[org_key], year=2017, first="201700001000", last="201700001999")
    assert not NumberSegment.objects.exists()
    assert denied(tree[admin], "segment.allocate")


# R-ENT-6, R-ENT-7, R-ORG-2 ------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [str, str.lower, lambda n: " " + "".join(chr(ord(c) + 0xFEE0) for c in n)])
def test_it_refuses_an_id_number_already_on_record(tree, member, variant):
    """R-ENT-6, whatever form the number is typed in."""
    with pytest.raises(ValidationError) as exc:
        enter_member(actor=tree["b2_admin"], branch=tree["b2"], id_number=variant(member.id_number), name="张小明",
                     joined_on=dt.date(2016, 5, 4))
    assert codes(exc.value) == {"id_registered"}
    assert branch_of(member) == tree["b1"]


@pytest.mark.parametrize("org_key", ["school", "uni", "province"])
def test_it_refuses_to_enter_a_member_into_an_organization_that_is_not_a_branch(tree, org_key):
    """R-ORG-2 / R-ENT-7: a league member's relationship is always in a branch."""
    with pytest.raises(ValidationError) as exc:
        enter(tree, branch=org_key, born=dt.date(2000, 1, 1), joined_on=dt.date(2015, 5, 4))
    assert codes(exc.value) == {"org_type_not_allowed"}
    assert not Membership.objects.filter(branch=tree[org_key]).exists()


def test_the_database_refuses_a_second_current_membership(tree, member):
    """R-ENT-7: membership_one_current_branch holds whatever the code does."""
    with pytest.raises(IntegrityError, match="membership_one_current_branch|UNIQUE|unique"):
        with transaction.atomic():
            Membership.objects.create(person=member, branch=tree["b2"], org_path=tree["b2"].path)
    assert Membership.objects.filter(person=member).count() == 1


def test_the_database_keeps_ended_memberships_as_history(tree, member):
    Membership.objects.filter(person=member).update(ended_at=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    Membership.objects.create(person=member, branch=tree["b2"], org_path=tree["b2"].path)
    assert branch_of(member) == tree["b2"] and Membership.objects.filter(person=member).count() == 2


# R-ENT-3: the central organ's override -------------------------------------------------------------------

TOO_YOUNG = {"born": dt.date(2006, 1, 1), "joined_on": dt.date(2017, 6, 1)}  # 11 years old
REASON = "团中央统一录入：2017年随校整体入团，经核实补录。"


def test_a_root_admin_enters_a_person_refused_by_the_age_rule_with_an_explanation(tree):
    """R-ENT-3: the explanation is kept on the record, and the entry is audited as an override."""
    person = enter_member(actor=tree["central_admin"], branch=tree["b1"], id_number=make_id_number(TOO_YOUNG["born"]),
                          name="李小龙", joined_on=TOO_YOUNG["joined_on"], development_number=dev_number(2017),
                          override_reason=REASON)
    assert Person.objects.get(pk=person.pk).override_reason == REASON
    assert branch_of(person) == tree["b1"]
    event = AuditEvent.objects.get(action="member.enter", target_id=str(person.pk))
    assert (event.actor_id, event.detail["override"]) == (tree["central_admin"].pk, True)


@pytest.mark.parametrize("admin", ["b1_admin", "school_admin", "province_admin", "xj_admin"])
def test_it_refuses_an_explanation_from_anyone_but_a_root_admin(tree, admin):
    """R-ENT-3: PermissionDenied, even for admins who may enter members into the branch."""
    with pytest.raises(PermissionDenied):
        enter_member(actor=tree[admin], branch=tree["b1"], id_number=make_id_number(TOO_YOUNG["born"]), name="李小龙",
                     joined_on=TOO_YOUNG["joined_on"], development_number=dev_number(2017), override_reason=REASON)
    assert not Person.objects.filter(name="李小龙").exists()
    assert denied(tree[admin], "member.enter")


# enter_cadre (R-ORG-3, R-ENT-7) -------------------------------------------------------------------------


def test_it_enters_a_new_cadre_with_a_post_only(tree):
    person = enter_cadre(actor=tree["uni_admin"], org=tree["uni"], id_number=make_id_number(dt.date(1998, 3, 3)),
                         name="赵书记", title="副书记")
    post = CadrePost.objects.get(person=person)
    assert (post.org_id, post.title, post.is_admin, post.org_path) == (tree["uni"].pk, "副书记", False, tree["uni"].path)
    assert branch_of(person) is None


def test_the_same_id_number_in_another_organization_adds_a_post_to_the_same_person(tree):
    """R-ENT-7: posts in several organizations, each independent."""
    id_number = make_id_number(dt.date(1998, 3, 3))
    first = enter_cadre(actor=tree["uni_admin"], org=tree["uni"], id_number=id_number, name="赵书记", title="副书记")
    second = enter_cadre(actor=tree["firm_admin"], org=tree["firm"], id_number=id_number.lower(), name="赵书记",
                         title="委员", is_admin=True)
    assert first.pk == second.pk and Person.objects.filter(id_number=id_number).count() == 1
    assert set(CadrePost.objects.filter(person=first).values_list("org_id", "title", "is_admin")) == {
        (tree["uni"].pk, "副书记", False), (tree["firm"].pk, "委员", True)}


def test_it_refuses_a_cadre_whose_name_does_not_match_the_id_number_on_record(tree):
    id_number = make_id_number(dt.date(1998, 3, 3))
    enter_cadre(actor=tree["uni_admin"], org=tree["uni"], id_number=id_number, name="赵书记", title="副书记")
    with pytest.raises(ValidationError) as exc:
        enter_cadre(actor=tree["firm_admin"], org=tree["firm"], id_number=id_number, name="钱书记", title="委员")
    assert codes(exc.value) == {"name_mismatch"}
    assert not CadrePost.objects.filter(org=tree["firm"], person__id_number=id_number).exists()


@pytest.mark.parametrize("title", ["主席", "", "书 记"])
def test_it_refuses_a_title_outside_the_standard_list(tree, title):
    with pytest.raises(ValidationError) as exc:
        enter_cadre(actor=tree["uni_admin"], org=tree["uni"], id_number=make_id_number(dt.date(1998, 3, 3)),
                    name="赵书记", title=title)
    assert codes(exc.value) == {"title_invalid"}
    assert not Person.objects.filter(name="赵书记").exists()


def test_a_branch_cadre_with_a_joining_date_is_also_entered_as_a_member(tree):
    """R-ORG-3: a branch's cadres are entered the same way as its members."""
    person = enter_cadre(actor=tree["b1_admin"], org=tree["b1"], id_number=make_id_number(dt.date(2000, 1, 1)),
                         name="孙支书", title="组织委员", joined_on=dt.date(2017, 5, 4), development_number=dev_number(2017))
    assert branch_of(person) == tree["b1"]
    assert CadrePost.objects.filter(person=person, org=tree["b1"], title="组织委员").exists()


@pytest.mark.parametrize("born, joined_on, number, code", [
    (dt.date(2006, 1, 1), dt.date(2017, 6, 1), "2017", "join_age"),
    (dt.date(2000, 1, 1), dt.date(2017, 6, 1), "", "dev_number_required"),
    (dt.date(2000, 1, 1), dt.date(2017, 6, 1), "2018", "dev_number_year"),
])
def test_a_branch_cadre_with_a_joining_date_is_held_to_every_entry_rule(tree, born, joined_on, number, code):
    with pytest.raises(ValidationError) as exc:
        enter_cadre(actor=tree["b1_admin"], org=tree["b1"], id_number=make_id_number(born), name="孙支书",
                    title="组织委员", joined_on=joined_on, development_number=dev_number(int(number)) if number else "")
    assert codes(exc.value) == {code}
    assert not Person.objects.filter(name="孙支书").exists()


def test_a_branch_cadre_without_a_joining_date_gets_only_the_post(tree):
    """Cadres need not be league members."""
    person = enter_cadre(actor=tree["b1_admin"], org=tree["b1"], id_number=make_id_number(dt.date(1990, 1, 1)),
                         name="周老师", title="委员")
    assert branch_of(person) is None
    assert CadrePost.objects.filter(person=person, org=tree["b1"]).exists()


# R-AUTH-2: who may enter people ----------------------------------------------------------------------------


@pytest.mark.parametrize("admin", ["b1_admin", "school_admin"])
def test_the_admins_of_the_branch_and_of_its_direct_superior_enter_members(tree, admin):
    person = enter(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2015, 5, 4), actor=tree[admin])
    assert branch_of(person) == tree["b1"]
    assert AuditEvent.objects.filter(action="member.enter", actor=tree[admin], target_id=str(person.pk)).exists()


@pytest.mark.parametrize("admin", ["uni_admin", "b2_admin", "fb_admin", "central_admin"])
def test_it_refuses_a_grand_superior_a_sibling_and_an_outsider(tree, admin):
    """R-AUTH-2: the university committee is b1's grand-superior; b2 its sibling."""
    with pytest.raises(PermissionDenied):
        enter(tree, born=dt.date(2000, 1, 1), joined_on=dt.date(2015, 5, 4), actor=tree[admin])
    assert not Person.objects.filter(name="王小红").exists()
    assert denied(tree[admin], "member.enter")


def test_the_admin_of_the_direct_superior_enters_a_cadre(tree):
    """R-AUTH-2 for cadres: the school's general branch is staffed by its own admins or the university's."""
    person = enter_cadre(actor=tree["uni_admin"], org=tree["school"], id_number=make_id_number(dt.date(1998, 3, 3)),
                         name="赵书记", title="委员")
    assert CadrePost.objects.filter(person=person, org=tree["school"]).exists()


@pytest.mark.parametrize("admin", ["b1_admin", "province_admin", "firm_admin"])
def test_it_refuses_a_cadre_entered_by_an_admin_not_over_the_organization(tree, admin):
    """Below (b1), two levels above (province), beside (firm)."""
    with pytest.raises(PermissionDenied):
        enter_cadre(actor=tree[admin], org=tree["school"], id_number=make_id_number(dt.date(1998, 3, 3)),
                    name="赵书记", title="委员")
    assert not Person.objects.filter(name="赵书记").exists()
    assert denied(tree[admin], "cadre.enter")
