"""The organization tree's services (R-ORG): create_org, move_org, dissolve_org, each at its boundary.
Permission cases follow the owner / superior / outsider pattern; every refusal is audited (R-AUTH-6)."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from members.models import CadrePost, Membership, NumberSegment
from members.services import allocate_segment
from orgs.models import Organization, OrgType, path_segment
from orgs.selectors import subtree
from orgs.services import create_org, dissolve_org, move_org
from tests.members.support import codes, denied

pytestmark = pytest.mark.django_db

TYPES = [OrgType.LEADING, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH]
# R-ORG-1, written out from the table of RULES.md rather than read from the code under test.
MAY_CONTAIN = {
    OrgType.LEADING: set(TYPES),
    OrgType.COMMITTEE: {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH},
    OrgType.WORKING_COMMITTEE: {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH},
    OrgType.GENERAL_BRANCH: {OrgType.BRANCH},
    OrgType.BRANCH: set(),
}
NESTING = [pytest.param(p, c, c in MAY_CONTAIN[p], id=f"{p}>{c}") for p in TYPES for c in TYPES]
LABELS = {OrgType.LEADING: "委员会", OrgType.COMMITTEE: "团委", OrgType.WORKING_COMMITTEE: "团工委",
          OrgType.GENERAL_BRANCH: "团总支", OrgType.BRANCH: "团支部"}


def _fresh(org: Organization) -> Organization:
    return Organization.objects.get(pk=org.pk)


@pytest.fixture
def one_of_each():
    """A root leading organ with one organization of every type right below it (a leading organ may contain any)."""
    root = create_org(actor=None, full_name="共青团测试省委员会", org_type=OrgType.LEADING, parent=None, region_code="32")
    parents = {OrgType.LEADING: root}
    for org_type in TYPES[1:]:
        parents[org_type] = create_org(actor=None, full_name=f"测试上级{LABELS[org_type]}", org_type=org_type, parent=root)
    return parents


# create_org: nesting (R-ORG-1) ------------------------------------------------------------------------


@pytest.mark.parametrize("parent_type, child_type, allowed", NESTING)
def test_it_nests_each_type_only_where_r_org_1_allows(one_of_each, parent_type, child_type, allowed):
    """R-ORG-1: all 25 parent/child pairs; a branch contains nothing, a general branch only branches."""
    parent = one_of_each[parent_type]
    full_name = f"{LABELS[parent_type]}下属测试{LABELS[child_type]}"
    if allowed:
        org = create_org(actor=None, full_name=full_name, org_type=child_type, parent=parent)
        assert (org.parent_id, org.org_type, org.depth) == (parent.pk, child_type, parent.depth + 1)
        assert org.path == parent.path + path_segment(org.pk)
    else:
        with pytest.raises(ValidationError) as exc:
            create_org(actor=None, full_name=full_name, org_type=child_type, parent=parent)
        assert codes(exc.value) == {"org_type_not_allowed"}
        assert not Organization.objects.filter(full_name=full_name).exists()


def test_it_makes_a_root_of_a_leading_organ(db):
    org = create_org(actor=None, full_name="共青团测试中央", org_type=OrgType.LEADING, parent=None, region_code="11")
    assert (org.parent_id, org.depth, org.path) == (None, 0, path_segment(org.pk))


@pytest.mark.parametrize("org_type", TYPES[1:])
def test_it_refuses_a_root_that_is_not_a_leading_organ(db, org_type):
    """Only a leading organ stands at the top of the tree (R-ORG-1; a branch always has a parent)."""
    with pytest.raises(ValidationError) as exc:
        create_org(actor=None, full_name=f"无上级的{LABELS[org_type]}", org_type=org_type, parent=None, region_code="11")
    assert codes(exc.value) == {"org_type_not_allowed"}
    assert not Organization.objects.exists()


def test_it_refuses_a_root_created_by_a_person(tree):
    """A new root is the system's business (bootstrap), not an admin's, even the central one's."""
    with pytest.raises(ValidationError) as exc:
        create_org(actor=tree["central_admin"], full_name="共青团另一个中央", org_type=OrgType.LEADING, parent=None,
                   region_code="11")
    assert codes(exc.value) == {"org_type_not_allowed"}


# create_org: names (R-ORG-4, R-ORG-5) -----------------------------------------------------------------


@pytest.mark.parametrize("marker", ["青工委", "青年工作委员会", "青年部", "群团部", "群工部"])
def test_it_refuses_a_body_that_is_not_a_league_organization(tree, marker):
    """R-ORG-4: each of the five markers, anywhere in the full name."""
    full_name = f"北京示范集团{marker}"
    with pytest.raises(ValidationError) as exc:
        create_org(actor=None, full_name=full_name, org_type=OrgType.COMMITTEE, parent=tree["province"])
    assert codes(exc.value) == {"not_league_org"}
    assert not Organization.objects.filter(full_name=full_name).exists()


def test_it_refuses_a_marker_broken_up_by_spaces(tree):
    """R-ORG-4 is checked on the compared form of the name (R-ORG-5): spaces do not hide a marker."""
    with pytest.raises(ValidationError) as exc:
        create_org(actor=None, full_name="北京示范集团 群 团\u3000部", org_type=OrgType.COMMITTEE, parent=tree["province"])
    assert codes(exc.value) == {"not_league_org"}


@pytest.mark.parametrize("variant", [
    "北京示范大学（东校区）团委",
    "北京示范大学(东校区)团委",
    "北京示范大学（东校区)团委",
    "北京示范大学 (东校区) 团委",
    "  北京示范大学\u3000（ 东校区 ）团委\t",
])
def test_it_refuses_a_full_name_taken_whatever_the_parenthesis_width_and_spaces(tree, variant):
    """R-ORG-5: unique among active organizations of the whole tree, after normalizing widths and spaces."""
    create_org(actor=None, full_name="北京示范大学（东校区）团委", org_type=OrgType.COMMITTEE, parent=tree["province"])
    with pytest.raises(ValidationError) as exc:
        create_org(actor=None, full_name=variant, org_type=OrgType.COMMITTEE, parent=tree["xj"])
    assert codes(exc.value) == {"full_name_taken"}
    assert Organization.objects.filter(name_key="北京示范大学(东校区)团委").count() == 1


def test_it_keeps_parentheses_as_typed(tree):
    """R-ORG-5: parentheses are legal and cause no other problem."""
    org = create_org(actor=None, full_name="北京示范大学（东校区）团委", org_type=OrgType.COMMITTEE, parent=tree["province"])
    assert _fresh(org).full_name == "北京示范大学（东校区）团委"


def test_it_lets_a_dissolved_organizations_name_be_used_again(tree):
    """R-ORG-5 binds active organizations only."""
    old = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    dissolve_org(actor=None, org=old)
    new = create_org(actor=None, full_name="信息学院３班 团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    assert new.pk != old.pk and new.is_active and not _fresh(old).is_active


# create_org: region (R-ORG-6) -------------------------------------------------------------------------


@pytest.mark.parametrize("parent_key, expected", [("province", "11"), ("xj", "65")])
def test_it_inherits_the_parents_region_when_none_is_set(tree, parent_key, expected):
    """R-ORG-6."""
    org = create_org(actor=None, full_name="新设测试团委", org_type=OrgType.COMMITTEE, parent=tree[parent_key])
    assert org.region_code == expected


def test_it_keeps_a_region_set_explicitly(tree):
    org = create_org(actor=None, full_name="驻沪办事处团委", org_type=OrgType.COMMITTEE, parent=tree["province"],
                     region_code="31")
    assert _fresh(org).region_code == "31"


@pytest.mark.parametrize("region_code", ["99", "00", "6", "650", "XJ"])
def test_it_refuses_an_unknown_region_code(tree, region_code):
    """R-ORG-6: a 2-digit province code of GB/T 2260."""
    with pytest.raises(ValidationError) as exc:
        create_org(actor=None, full_name="地区不明团委", org_type=OrgType.COMMITTEE, parent=tree["province"],
                   region_code=region_code)
    assert codes(exc.value) == {"region_invalid"}
    assert not Organization.objects.filter(full_name="地区不明团委").exists()


# create_org: permission (R-AUTH) ----------------------------------------------------------------------


@pytest.mark.parametrize("admin", ["uni_admin", "province_admin"])
def test_it_lets_the_admins_of_the_parent_and_of_its_parent_create(tree, admin):
    org = create_org(actor=tree[admin], full_name="北京示范大学数学学院团总支", org_type=OrgType.GENERAL_BRANCH,
                     parent=tree["uni"])
    assert org.parent_id == tree["uni"].pk
    assert AuditEvent.objects.filter(action="org.create", actor=tree[admin], target_id=str(org.pk),
                                     result=AuditEvent.Result.OK).exists()


@pytest.mark.parametrize("admin", ["firm_admin", "central_admin", "school_admin", "b1_admin"])
def test_it_refuses_any_other_admin_and_audits_the_refusal(tree, admin):
    """A sibling (firm), an admin two levels above the parent (central), admins below it (R-AUTH-6)."""
    with pytest.raises(PermissionDenied):
        create_org(actor=tree[admin], full_name="北京示范大学数学学院团总支", org_type=OrgType.GENERAL_BRANCH,
                   parent=tree["uni"])
    assert not Organization.objects.filter(full_name="北京示范大学数学学院团总支").exists()
    assert denied(tree[admin], "org.create")


# move_org ---------------------------------------------------------------------------------------------


def test_it_moves_a_whole_subtree_with_the_people_below_it(tree, member):
    """School (a general branch, with b1 and b2 and their people) moves from the university to Xinjiang's
    leading organ, one level higher: every path, depth and copied org_path follows."""
    school, xj, uni = tree["school"], tree["xj"], tree["uni"]
    moved = move_org(actor=tree["central_admin"], org=school, new_parent=xj)

    assert (moved.parent_id, moved.depth, moved.path) == (xj.pk, xj.depth + 1, xj.path + path_segment(school.pk))
    for key in ("b1", "b2"):
        branch = _fresh(tree[key])
        assert (branch.depth, branch.path) == (moved.depth + 1, moved.path + path_segment(branch.pk))
    b1 = _fresh(tree["b1"])
    assert Membership.objects.get(person=member, ended_at__isnull=True).org_path == b1.path
    for key in ("school", "b1", "b2"):
        post = CadrePost.objects.get(person=tree[f"{key}_admin"], org=tree[key])
        assert post.org_path == _fresh(tree[key]).path
    assert {school.pk, tree["b1"].pk, tree["b2"].pk} <= set(subtree(_fresh(xj)).values_list("pk", flat=True))
    assert not {school.pk, tree["b1"].pk} & set(subtree(_fresh(uni)).values_list("pk", flat=True))
    assert Membership.objects.filter(org_path__startswith=xj.path, person=member).exists()
    assert not Membership.objects.filter(org_path__startswith=uni.path, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="org.move", target_id=str(school.pk)).exists()


def test_it_leaves_organizations_outside_the_moved_subtree_alone(tree):
    before = {o.pk: (o.path, o.depth) for o in Organization.objects.exclude(path__startswith=tree["school"].path)}
    move_org(actor=tree["central_admin"], org=tree["school"], new_parent=tree["xj"])
    after = {o.pk: (o.path, o.depth) for o in Organization.objects.filter(pk__in=before)}
    assert after == before


def test_it_moves_number_segments_and_pending_steps_with_their_organization(tree, member):
    """Every stored copy of a path follows a move: segments (R-ENT-4a, listed by org_path on the segment page)
    and pending transfer steps (counted by org_path), not only memberships and posts."""
    from members.selectors.lists import segments_with_use
    from transfers.services import apply_for_transfer

    segment = allocate_segment(actor=None, org=tree["b1"], year=2017, first="201700000001", last="201700000100")
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="job_change")
    move_org(actor=tree["central_admin"], org=tree["school"], new_parent=tree["xj"])

    b1 = _fresh(tree["b1"])
    assert NumberSegment.objects.get(pk=segment.pk).org_path == b1.path
    assert segment.pk in {s.pk for s in segments_with_use(_fresh(tree["xj"]))}
    assert segment.pk not in {s.pk for s in segments_with_use(_fresh(tree["uni"]))}
    assert request.steps.get(status="pending").org_path == b1.path


def test_it_refuses_to_move_an_organization_under_itself(tree):
    uni = tree["uni"]
    with pytest.raises(ValidationError) as exc:
        move_org(actor=tree["province_admin"], org=uni, new_parent=uni)
    assert codes(exc.value) == {"org_type_not_allowed"}
    assert _fresh(uni).parent_id == tree["province"].pk


def test_it_refuses_to_move_an_organization_under_its_own_descendant(tree):
    """The nesting itself would be legal (a committee under a committee); the cycle is what is refused."""
    uni = tree["uni"]
    college = create_org(actor=None, full_name="北京示范大学计算机学院团委", org_type=OrgType.COMMITTEE, parent=uni)
    with pytest.raises(ValidationError) as exc:
        move_org(actor=tree["province_admin"], org=uni, new_parent=college)
    assert codes(exc.value) == {"org_type_not_allowed"}
    assert (_fresh(uni).parent_id, _fresh(uni).path) == (tree["province"].pk, uni.path)
    assert _fresh(college).path.startswith(uni.path)


@pytest.mark.parametrize("org_key, parent_key, admin", [
    ("b2", "b1", "school_admin"),            # a branch has no children
    ("firm", "school", "province_admin"),    # a general branch contains only branches
    ("school", "fb", "province_admin"),      # nor does a branch hold a general branch
    ("xj", "uni", "central_admin"),          # a committee holds no leading organ
])
def test_it_checks_nesting_again_on_a_move(tree, org_key, parent_key, admin):
    """R-ORG-1 holds for the new place; the actor holds both places, so nesting is what refuses."""
    org = tree[org_key]
    with pytest.raises(ValidationError) as exc:
        move_org(actor=tree[admin], org=org, new_parent=tree[parent_key])
    assert codes(exc.value) == {"org_type_not_allowed"}
    assert _fresh(org).parent_id == org.parent_id


def test_it_moves_a_branch_under_a_general_branch(tree):
    """R-ORG-1's allowed side: the company's branch may join the school's general branch."""
    moved = move_org(actor=tree["province_admin"], org=tree["fb"], new_parent=tree["school"])
    assert moved.parent_id == tree["school"].pk and moved.path.startswith(tree["school"].path)


@pytest.mark.parametrize("admin", ["uni_admin", "firm_admin", "school_admin"])
def test_it_refuses_a_move_by_an_admin_who_does_not_hold_both_places(tree, admin):
    """The old parent's admin (uni), the new parent's (firm), the moved organization's own (school)."""
    school = tree["school"]
    with pytest.raises(PermissionDenied):
        move_org(actor=tree[admin], org=school, new_parent=tree["firm"])
    assert (_fresh(school).parent_id, _fresh(school).path) == (tree["uni"].pk, school.path)
    assert denied(tree[admin], "org.move")


# dissolve_org -----------------------------------------------------------------------------------------


def test_it_refuses_to_dissolve_an_organization_with_active_children(tree):
    with pytest.raises(ValidationError) as exc:
        dissolve_org(actor=tree["uni_admin"], org=tree["school"])
    assert exc.value.code == "org_not_empty"
    assert _fresh(tree["school"]).is_active


def test_it_refuses_to_dissolve_a_branch_with_current_members(tree, member):
    with pytest.raises(ValidationError) as exc:
        dissolve_org(actor=tree["school_admin"], org=tree["b1"])
    assert exc.value.code == "org_not_empty"
    assert _fresh(tree["b1"]).is_active
    assert CadrePost.objects.get(org=tree["b1"], person=tree["b1_admin"]).ended_at is None


def test_it_dissolves_an_empty_branch_and_ends_its_cadre_posts(tree):
    b2 = tree["b2"]
    dissolved = dissolve_org(actor=tree["school_admin"], org=b2)
    b2 = _fresh(b2)
    assert dissolved.pk == b2.pk and not b2.is_active and b2.dissolved_at is not None
    assert CadrePost.objects.get(org=b2, person=tree["b2_admin"]).ended_at is not None
    assert not CadrePost.objects.filter(org=b2, ended_at__isnull=True).exists()
    assert b2.pk not in set(subtree(tree["school"]).values_list("pk", flat=True))
    assert AuditEvent.objects.filter(action="org.dissolve", target_id=str(b2.pk)).exists()


def test_it_dissolves_a_branch_whose_members_have_all_left(tree, member):
    """Only current members count: ended memberships are history (R-TR-12)."""
    Membership.objects.filter(person=member, ended_at__isnull=True).update(ended_at=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    assert not dissolve_org(actor=tree["school_admin"], org=tree["b1"]).is_active


def test_it_dissolves_an_organization_whose_children_are_all_dissolved(tree):
    """Only active children count."""
    dissolve_org(actor=tree["firm_admin"], org=tree["fb"])
    assert not dissolve_org(actor=tree["province_admin"], org=tree["firm"]).is_active


@pytest.mark.parametrize("admin", ["b2_admin", "b1_admin", "fb_admin"])
def test_it_refuses_a_dissolution_by_an_admin_who_does_not_hold_the_parent(tree, admin):
    """An organization is dissolved from above: by the admins of an organization above it (issue 15)."""
    with pytest.raises(PermissionDenied):
        dissolve_org(actor=tree[admin], org=tree["b2"])
    assert _fresh(tree["b2"]).is_active
    assert denied(tree[admin], "org.dissolve")
