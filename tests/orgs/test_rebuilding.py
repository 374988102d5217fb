"""Rebuilding (改建) an organization into another type (issue 15; orgs/rebuilding.py has the rules,
members/services/rebuilding.py writes): a committee, working committee or general branch without sub-organizations
becomes a branch keeping its cadres; a branch without members becomes a general branch, committee or working
committee where R-ORG-1 allows it."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access.models import CadrePost
from audit.models import AuditEvent
from members.completeness import meets_standard, org_figures
from members.services import enter_cadre
from members.services.rebuilding import rebuild_org
from orgs.models import Organization, OrgType
from orgs.services import create_org, dissolve_org
from tests.factories import make_id_number
from tests.orgs.test_figures import consistent
from tests.transfers.support import codes, denied_events, new_member, pending_step
from transfers.services import apply_for_transfer, approve

pytestmark = pytest.mark.django_db


def _committee(tree, org_type=OrgType.COMMITTEE, cadres=2):
    org = create_org(actor=None, full_name="北京示范大学后勤团委", org_type=org_type, parent=tree["uni"])
    for i in range(cadres):
        enter_cadre(actor=None, org=org, id_number=make_id_number(dt.date(1996, 1, 1)), name=f"干部{i}", title="书记",
                    is_admin=i == 0)
    return org


def _rebuild(tree, org, org_type, by="uni"):
    return rebuild_org(actor=tree[f"{by}_admin"], acting_org=tree[by], org=org, org_type=org_type)


def _standard_from_scratch(org) -> bool:
    return meets_standard(org.org_type, org_figures([org.pk])[org.pk])


@pytest.mark.parametrize("org_type", [OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH])
def test_a_committee_without_sub_organizations_becomes_a_branch_keeping_its_cadres(tree, org_type):
    org = _committee(tree, org_type)
    posts = set(CadrePost.objects.held().filter(org=org).values_list("pk", flat=True))
    rebuilt = _rebuild(tree, org, OrgType.BRANCH)
    assert Organization.objects.get(pk=org.pk).org_type == OrgType.BRANCH
    assert set(CadrePost.objects.held().filter(org=org).values_list("pk", flat=True)) == posts
    assert rebuilt.meets_standard == _standard_from_scratch(rebuilt)  # R-CMP-3 now, not R-CMP-2
    event = AuditEvent.objects.get(action="org.rebuild")
    assert event.detail == {"old_type": org_type, "new_type": "branch"}
    # as a branch it takes members (R-ORG-2)
    assert new_member(rebuilt).memberships.get().branch_id == org.pk


def test_a_committee_with_a_sub_organization_stays(tree):
    with pytest.raises(ValidationError) as exc:
        _rebuild(tree, tree["school"], OrgType.BRANCH)
    assert codes(exc.value) == {"org_not_empty"}
    assert Organization.objects.get(pk=tree["school"].pk).org_type == OrgType.GENERAL_BRANCH


def test_dissolved_sub_organizations_do_not_count(tree):
    org = _committee(tree)
    kid = create_org(actor=None, full_name="后勤一班团支部", org_type=OrgType.BRANCH, parent=org)
    dissolve_org(actor=None, org=kid)
    assert _rebuild(tree, org, OrgType.BRANCH).org_type == OrgType.BRANCH


@pytest.mark.parametrize("org_type", [OrgType.GENERAL_BRANCH, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE])
def test_a_branch_without_members_becomes_what_its_parent_may_hold(tree, org_type):
    branch = create_org(actor=None, full_name="北京示范大学新生团支部", org_type=OrgType.BRANCH, parent=tree["uni"])
    rebuilt = _rebuild(tree, branch, org_type)
    assert rebuilt.org_type == org_type and rebuilt.meets_standard == _standard_from_scratch(rebuilt)
    create_org(actor=None, full_name="北京示范大学新生1班团支部", org_type=OrgType.BRANCH, parent=rebuilt)  # R-ORG-1


def test_a_branch_with_members_stays_until_they_are_moved(tree):
    new_member(tree["fb"])
    with pytest.raises(ValidationError) as exc:
        _rebuild(tree, tree["fb"], OrgType.GENERAL_BRANCH, by="firm")
    assert codes(exc.value) == {"org_not_empty"} and "1名团员" in exc.value.messages[0]
    assert Organization.objects.get(pk=tree["fb"].pk).org_type == OrgType.BRANCH


def test_a_branch_under_a_general_branch_becomes_nothing_else(tree):
    """R-ORG-1: a general branch contains only branches."""
    empty = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    with pytest.raises(ValidationError) as exc:
        _rebuild(tree, empty, OrgType.GENERAL_BRANCH)
    assert codes(exc.value) == {"org_type_not_allowed"}


@pytest.mark.parametrize(("key", "org_type", "by"), [
    ("province", OrgType.COMMITTEE, "central"),  # a leading organ is never rebuilt
    ("firm", OrgType.LEADING, "province"),       # nor does anything become one
    ("firm", OrgType.COMMITTEE, "province"),     # the same type
    ("firm", OrgType.GENERAL_BRANCH, "province"),  # a committee becomes a branch only
])
def test_other_rebuilds_are_refused(tree, key, org_type, by):
    with pytest.raises(ValidationError) as exc:
        _rebuild(tree, tree[key], org_type, by=by)
    assert codes(exc.value) == {"org_type_not_allowed"}


def test_a_dissolved_organization_is_not_rebuilt(tree):
    org = _committee(tree, cadres=0)
    dissolve_org(actor=None, org=org)
    with pytest.raises(ValidationError) as exc:
        _rebuild(tree, org, OrgType.BRANCH)
    assert codes(exc.value) == {"target_not_active"}


@pytest.mark.parametrize("by", ["firm", "b1"])
def test_only_an_admin_above_it_may_rebuild(tree, by):
    org = _committee(tree) if by == "firm" else tree["b1"]
    with pytest.raises(PermissionDenied):
        _rebuild(tree, org, OrgType.BRANCH if by == "firm" else OrgType.GENERAL_BRANCH, by=by)
    assert denied_events(tree[f"{by}_admin"], "org.rebuild").exists()  # R-AUTH-6


def test_an_open_transfer_to_a_rebuilt_branch_is_assigned_on(tree):
    """R-TR-6 read when the IN side approves: the target is now a general branch, so a branch is assigned."""
    branch = create_org(actor=None, full_name="北京示范大学新生团支部", org_type=OrgType.BRANCH, parent=tree["uni"])
    request = apply_for_transfer(member=new_member(tree["fb"]), to_org=branch, reason="moved")
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    _rebuild(tree, branch, OrgType.GENERAL_BRANCH)
    approve(actor=tree["uni_admin"], acting_org=tree["uni"], step=pending_step(request))
    assert pending_step(request).kind == "assign"


@pytest.mark.postgres
def test_the_figures_equal_a_recount_after_rebuilds(tree):
    org = _rebuild(tree, _committee(tree), OrgType.BRANCH)
    new_member(org)
    consistent()
    empty = create_org(actor=None, full_name="北京示范大学新生团支部", org_type=OrgType.BRANCH, parent=tree["uni"])
    _rebuild(tree, empty, OrgType.COMMITTEE)
    consistent()
