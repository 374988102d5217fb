"""Selectors behind the member list, the cadre list, the completion overview and the segments page
(R-CMP-4, R-VER-4, R-ENT-5, R-ENT-4a, R-AUTH-1/6)."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Membership, Person
from members.selectors.lists import cadre_list, completion_by_child, member_list, orgs_behind, people_holding_back, segments_with_use
from members.services import allocate_segment, update_profile
from orgs.models import Organization, OrgType
from tests.factories import CadrePostFactory, MembershipFactory, OrganizationFactory, PersonFactory, make_id_number


def _names(rows):
    return sorted(row.person.name for row in rows)


@pytest.fixture
def people(tree):
    """Members in the school's two branches in every state, and look-alikes outside the school."""

    def member(branch, name, *, area="110101", **state):
        person = PersonFactory(name=name, id_number=make_id_number(dt.date(2004, 3, 1), area=area), **state)
        MembershipFactory(person=person, branch=tree[branch])
        return person

    return {
        "ok": member("b1", "张小明", is_complete=True, verification_status="verified"),
        "incomplete": member("b1", "李小红", is_complete=False, verification_status="verified"),
        "pending": member("b1", "王大力", is_complete=True, verification_status="pending"),
        "failed": member("b1", "赵小四", is_complete=True, verification_status="failed"),
        "dev": member("b1", "钱小五", is_complete=True, verification_status="verified", dev_number_issue="year"),
        "b2": member("b2", "张三丰", area="440305", is_complete=False, verification_status="verified"),
        "outside": member("fb", "张小明", area="440305", is_complete=False, verification_status="pending",
                          dev_number_issue="format"),
    }


# --- member_list (R-CMP-4: branch admins see who is incomplete) --------------------------------------------

def test_the_member_list_stays_within_the_subtree(tree, people):
    assert _names(member_list(tree["school"])) == ["张三丰", "张小明", "李小红", "王大力", "赵小四", "钱小五"]
    assert _names(member_list(tree["b2"])) == ["张三丰"]
    assert _names(member_list(tree["firm"])) == ["张小明"]


@pytest.mark.parametrize("filters, expected", [
    ({"incomplete": True}, ["张三丰", "李小红"]),
    ({"unverified": "pending"}, ["王大力"]),               # R-VER-4: 未认证
    ({"unverified": "failed"}, ["赵小四"]),                # 认证不通过, told apart
    ({"unverified": "any"}, ["王大力", "赵小四"]),
    ({"dev_issue": True}, ["钱小五"]),                     # R-ENT-5
    ({"incomplete": True, "unverified": "any"}, []),
])
def test_the_member_list_filters(tree, people, filters, expected):
    assert _names(member_list(tree["school"], **filters)) == expected


def test_the_member_list_filters_by_branch(tree, people):
    assert _names(member_list(tree["school"], branch_id=tree["b2"].pk)) == ["张三丰"]
    # A branch outside the subtree yields nothing, not its members.
    assert _names(member_list(tree["school"], branch_id=tree["fb"].pk)) == []


def test_the_member_list_searches_by_name(tree, people):
    assert _names(member_list(tree["school"], query="张")) == ["张三丰", "张小明"]
    assert _names(member_list(tree["school"], query=" 小明 ")) == ["张小明"]


def test_the_member_list_searches_by_the_whole_id_number(tree, people):
    person = people["ok"]
    found = list(member_list(tree["school"], query=person.id_number.lower()))
    assert [m.person_id for m in found] == [person.pk]
    # The same number from outside the subtree finds nothing (R-AUTH-1).
    assert list(member_list(tree["school"], query=people["outside"].id_number)) == []


def test_the_member_list_searches_by_the_first_6_characters(tree, people):
    assert _names(member_list(tree["school"], query="440305")) == ["张三丰"]
    assert _names(member_list(tree["fb"], query="440305")) == ["张小明"]


def test_the_member_list_does_not_search_by_the_last_characters(tree, people):
    # R-AUTH-6: the last 8 characters are the initial password; they find no one.
    assert list(member_list(tree["school"], query=people["ok"].id_number[-8:])) == []


def test_the_member_list_ends_with_the_membership(tree, people):
    Membership.objects.filter(person=people["ok"]).update(ended_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    assert "张小明" not in _names(member_list(tree["b1"]))


# --- cadre_list (R-CMP-4: admins of other types see their cadres) ------------------------------------------

def test_the_cadre_list_leaves_out_branch_cadres_unless_asked(tree):
    assert _names(cadre_list(tree["uni"])) == ["管理员school", "管理员uni"]
    assert _names(cadre_list(tree["uni"], include_branches=True)) == ["管理员b1", "管理员b2", "管理员school", "管理员uni"]


def test_the_cadre_list_filters_by_title_and_completeness(tree):
    deputy = PersonFactory(name="李组织", is_complete=True)
    CadrePostFactory(person=deputy, org=tree["school"], title="组织委员")
    assert _names(cadre_list(tree["uni"], title="组织委员")) == ["李组织"]
    assert _names(cadre_list(tree["uni"], title="书记")) == ["管理员school", "管理员uni"]
    assert _names(cadre_list(tree["uni"], incomplete=True)) == ["管理员school", "管理员uni"]


def test_the_cadre_list_searches_and_stays_within_the_subtree(tree):
    assert _names(cadre_list(tree["uni"], query="管理员")) == ["管理员school", "管理员uni"]
    assert list(cadre_list(tree["uni"], query=tree["firm_admin"].id_number)) == []
    found = cadre_list(tree["province"], query=tree["firm_admin"].id_number)
    assert [p.person_id for p in found] == [tree["firm_admin"].pk]


# --- completion_by_child (R-CMP-4: superiors see their whole subtree) ----------------------------------------

def _by_child(org):
    return {row["org"].pk: (row["ok"], row["total"], row["incomplete_people"]) for row in completion_by_child(org)}


def test_completion_is_counted_per_child_subtree(tree, member):
    Organization.objects.update(meets_standard=False)
    Organization.objects.filter(pk__in=[tree["b1"].pk, tree["school"].pk]).update(meets_standard=True)
    # uni's subtree: uni, school, b1, b2; incomplete: 4 admins + the member. firm's: firm, fb; 2 admins.
    assert _by_child(tree["province"]) == {tree["uni"].pk: (2, 4, 5), tree["firm"].pk: (0, 2, 2)}
    # The province's own admin counts in no child of the province, but in the province's own row above it.
    assert _by_child(tree["central"]) == {tree["province"].pk: (2, 7, 8), tree["xj"].pk: (0, 2, 2)}


def test_completion_leaves_out_complete_people_and_dissolved_children(tree, member):
    Person.objects.filter(pk=member.pk).update(is_complete=True)
    Organization.objects.filter(pk=tree["firm"].pk).update(is_active=False)
    assert _by_child(tree["province"]) == {tree["uni"].pk: (0, 4, 4)}


def test_a_person_both_member_and_cadre_in_a_child_subtree_counts_once(tree, member):
    # The member is also the branch's 组织委员 and a 委员 of the university committee: one incomplete person.
    CadrePostFactory(person=member, org=tree["b1"], title="组织委员")
    CadrePostFactory(person=member, org=tree["uni"], title="委员")
    assert _by_child(tree["province"])[tree["uni"].pk][2] == 5
    assert _by_child(tree["school"])[tree["b1"].pk][2] == 2


def _subtree_with_children(n):
    top = OrganizationFactory(org_type=OrgType.LEADING)
    for _ in range(n):
        committee = OrganizationFactory(parent=top, org_type=OrgType.COMMITTEE)
        branch = OrganizationFactory(parent=committee)
        CadrePostFactory(org=committee)
        MembershipFactory(branch=branch)
        both = MembershipFactory(branch=branch).person
        CadrePostFactory(org=branch, person=both)
    return top


def test_completion_costs_the_same_queries_for_2_or_10_children(db):
    counts = {}
    for n in (2, 10):
        top = _subtree_with_children(n)
        with CaptureQueriesContext(connection) as ctx:
            rows = completion_by_child(top)
        assert len(rows) == n
        assert {row["incomplete_people"] for row in rows} == {3}
        counts[n] = len(ctx.captured_queries)
    # One for the children; then the kept figures (PostgreSQL: the folded rows, the appended changes, their
    # organizations' rows), or one grouped count of organizations and one per kind of people counted live (SQLite).
    assert counts[2] == counts[10] == 4


def test_orgs_behind_and_the_people_holding_them_back(tree, member):
    behind = list(orgs_behind(tree["school"]))
    assert [o.pk for o in behind] == [tree["school"].pk, tree["b1"].pk, tree["b2"].pk]
    CadrePostFactory(person=member, org=tree["b1"], title="组织委员")
    assert people_holding_back(tree["b1"]) == sorted([member, tree["b1_admin"]], key=lambda p: (p.name, p.pk))


# --- segments_with_use (R-ENT-4a) ----------------------------------------------------------------------------

@pytest.fixture
def segments(tree):
    return {
        "uni": allocate_segment(actor=None, org=tree["uni"], year=2016, first="201600000001", last="201600000100"),
        "firm": allocate_segment(actor=None, org=tree["firm"], year=2016, first="201600000101", last="201600000200"),
        "province": allocate_segment(actor=None, org=tree["province"], year=2017, first="201700000001",
                                     last="201700000010"),
    }


def _use(org):
    return [(s.first, s.used, s.size) for s in segments_with_use(org)]


def test_each_segment_shows_numbers_used_over_its_size(tree, member, segments):
    update_profile(actor=member, person=member, development_number="201600000005")
    PersonFactory(development_number="201600000100")  # the last number counts
    PersonFactory(development_number="201600000101")  # the firm's first
    PersonFactory(development_number="201600000201")  # in no segment
    assert _use(tree["b1"]) == [("201700000001", 0, 10), ("201600000001", 2, 100)]
    assert _use(tree["province"]) == [("201700000001", 0, 10), ("201600000001", 2, 100), ("201600000101", 1, 100)]
    assert _use(tree["firm"]) == [("201700000001", 0, 10), ("201600000101", 1, 100)]


def test_a_legacy_number_of_the_wrong_length_is_not_counted_as_used(tree, segments):
    # "20160000001" sorts between 201600000001 and 201600000100 as text, but is no number of the segment.
    PersonFactory(development_number="20160000001")
    PersonFactory(development_number="201600000002")
    assert _use(tree["uni"])[-1] == ("201600000001", 1, 100)


def test_the_segments_page_costs_one_query(tree, segments, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(segments_with_use(tree["province"]))
        assert [(s.org.full_name, s.allocated_by) for s in rows][0] == (tree["province"].full_name, None)


@pytest.mark.parametrize("rows", [5, 50])
def test_member_and_cadre_lists_are_one_query_each_for_5_or_50_rows(tree, rows, django_assert_num_queries):
    # Person, branch and organization come with the rows: the templates touch nothing else.
    branch = OrganizationFactory(parent=tree["school"])
    MembershipFactory.create_batch(rows, branch=branch)
    CadrePostFactory.create_batch(rows, org=tree["school"])
    with django_assert_num_queries(2):
        members = [(m.person.name, m.person.masked_id_number, m.branch.full_name) for m in member_list(branch)]
        cadres = [(p.person.name, p.org.full_name) for p in cadre_list(tree["school"])]
    assert (len(members), len(cadres)) == (rows, rows + 1)  # and the school's own admin
