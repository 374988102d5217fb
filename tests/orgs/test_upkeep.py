"""The upkeep of an organization (issue 15, orgs/upkeep.py and orgs/services.py): rename with former names
(R-ORG-4, R-ORG-5), the term's end, dissolving refused with the list of what is left, who may, and what the pages
read (holdings, subtree_figures, move_targets, terms_due), each at its boundary."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from orgs.history import FormerName
from orgs.models import Organization, OrgType
from orgs.selectors import find_by_full_name, holdings, move_targets, subtree_figures, terms_due
from orgs.services import create_org, dissolve_org
from orgs.upkeep import rename_org, set_term_end
from tests.members.support import denied
from tests.transfers.support import new_member
from transfers.services import apply_for_transfer

pytestmark = pytest.mark.django_db


def _fresh(org: Organization) -> Organization:
    return Organization.objects.get(pk=org.pk)


# rename_org -----------------------------------------------------------------------------------------------


def test_it_renames_and_keeps_the_former_name_with_its_dates(tree):
    b1 = tree["b1"]
    renamed = rename_org(actor=tree["school_admin"], org=b1, full_name="信息学院2024级1班团支部", name="1班")
    assert (_fresh(b1).full_name, _fresh(b1).name) == ("信息学院2024级1班团支部", "1班")
    assert find_by_full_name("信息学院2024级1班团支部").pk == b1.pk  # R-ORG-5: the new key finds it
    former = FormerName.objects.get(org=b1)
    assert former.full_name == "信息学院1班团支部" and former.used_from == _fresh(b1).created_at
    rename_org(actor=tree["school_admin"], org=renamed, full_name="信息学院2025级1班团支部")
    second = FormerName.objects.filter(org=b1).order_by("-used_until").first()
    assert second.full_name == "信息学院2024级1班团支部" and second.used_from == former.used_until
    event = AuditEvent.objects.filter(action="org.rename", target_id=str(b1.pk)).latest("pk")
    assert event.detail["old_full_name"] == "信息学院2024级1班团支部"


def test_the_old_name_is_free_again_after_a_rename(tree):
    """R-ORG-5 binds the names in use: the former name may name a new organization."""
    rename_org(actor=tree["school_admin"], org=tree["b1"], full_name="信息学院2024级1班团支部")
    new = create_org(actor=None, full_name="信息学院1班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    assert new.is_active


def test_it_refuses_a_full_name_in_use_whatever_the_width_and_spaces(tree):
    """R-ORG-5: compared after normalizing full-/half-width and white space."""
    with pytest.raises(ValidationError) as exc:
        rename_org(actor=tree["school_admin"], org=tree["b1"], full_name="信息学院２班 团支部")
    assert exc.value.error_dict["full_name"][0].code == "full_name_taken"
    assert _fresh(tree["b1"]).full_name == "信息学院1班团支部" and not FormerName.objects.exists()


def test_it_refuses_a_name_that_is_not_a_league_organization(tree):
    """R-ORG-4."""
    with pytest.raises(ValidationError) as exc:
        rename_org(actor=tree["province_admin"], org=tree["firm"], full_name="示范科技公司青年工作委员会")
    assert exc.value.error_dict["full_name"][0].code == "not_league_org"


def test_it_refuses_the_same_name_again(tree):
    with pytest.raises(ValidationError) as exc:
        rename_org(actor=tree["school_admin"], org=tree["b1"], full_name=" 信息学院1班团支部 ")
    assert exc.value.error_dict["full_name"][0].code == "name_unchanged"


def test_the_organizations_own_admin_may_rename_it_too(tree):
    rename_org(actor=tree["b1_admin"], org=tree["b1"], full_name="信息学院一班团支部")
    assert _fresh(tree["b1"]).full_name == "信息学院一班团支部"


@pytest.mark.parametrize("admin", ["b2_admin", "firm_admin", "xj_admin"])
def test_it_refuses_a_rename_by_an_admin_whose_subtree_does_not_hold_it(tree, admin):
    with pytest.raises(PermissionDenied):
        rename_org(actor=tree[admin], org=tree["b1"], full_name="越权改名团支部")
    assert _fresh(tree["b1"]).full_name == "信息学院1班团支部"
    assert denied(tree[admin], "org.rename")


def test_it_refuses_to_rename_a_dissolved_organization(tree):
    dissolve_org(actor=tree["school_admin"], org=tree["b2"])
    with pytest.raises(ValidationError) as exc:
        rename_org(actor=tree["school_admin"], org=tree["b2"], full_name="信息学院二班团支部")
    assert exc.value.code == "target_not_active"


# set_term_end ---------------------------------------------------------------------------------------------


def test_it_sets_and_clears_the_terms_end_and_audits_each_change(tree):
    set_term_end(actor=tree["province_admin"], org=tree["uni"], term_ends_on=dt.date(2027, 5, 4))
    assert _fresh(tree["uni"]).term_ends_on == dt.date(2027, 5, 4)
    set_term_end(actor=tree["uni_admin"], org=tree["uni"], term_ends_on=None)
    assert _fresh(tree["uni"]).term_ends_on is None
    details = [e.detail for e in AuditEvent.objects.filter(action="org.term").order_by("pk")]
    assert details == [{"old": "", "new": "2027-05-04"}, {"old": "2027-05-04", "new": ""}]


def test_it_refuses_a_term_date_from_an_admin_elsewhere(tree):
    with pytest.raises(PermissionDenied):
        set_term_end(actor=tree["firm_admin"], org=tree["uni"], term_ends_on=dt.date(2027, 5, 4))
    assert _fresh(tree["uni"]).term_ends_on is None and denied(tree["firm_admin"], "org.term")


# dissolve_org: what is left, in words --------------------------------------------------------------------


def test_the_refusal_lists_the_sub_organizations(tree):
    with pytest.raises(ValidationError) as exc:
        dissolve_org(actor=tree["uni_admin"], org=tree["school"])
    assert exc.value.code == "org_not_empty" and exc.value.params["children"] == 2
    assert "下级组织 2 个" in exc.value.messages[0] and "团员" not in exc.value.messages[0]


def test_the_refusal_lists_members_and_open_transfers(tree):
    new_member(tree["b1"], name="甲")
    leaving = new_member(tree["b1"], name="乙")
    apply_for_transfer(member=leaving, to_org=tree["fb"], reason="moved")
    with pytest.raises(ValidationError) as exc:
        dissolve_org(actor=tree["school_admin"], org=tree["b1"])
    text = exc.value.messages[0]
    assert "团员 2 名" in text and "办理中的组织关系转接 1 件" in text and "下级组织" not in text
    assert _fresh(tree["b1"]).is_active


def test_a_transfer_on_its_way_in_keeps_the_target_from_being_dissolved(tree):
    """The organization a pending transfer goes to is not empty: the transfer would have nowhere to land."""
    apply_for_transfer(member=new_member(tree["b1"]), to_org=tree["fb"], reason="moved")
    assert holdings(tree["fb"])["transfers"] == 1
    with pytest.raises(ValidationError, match="办理中的组织关系转接 1 件"):
        dissolve_org(actor=tree["firm_admin"], org=tree["fb"])


def test_an_admin_further_up_may_dissolve(tree):
    """Issue 15: any admin whose subtree holds it, from above (not only the parent's and grandparent's)."""
    assert not dissolve_org(actor=tree["province_admin"], org=tree["b2"]).is_active


def test_it_refuses_an_organization_dissolving_itself(tree):
    with pytest.raises(PermissionDenied):
        dissolve_org(actor=tree["b2_admin"], org=tree["b2"])
    assert _fresh(tree["b2"]).is_active


# what the pages read -------------------------------------------------------------------------------------


def test_holdings_and_subtree_figures_count_what_is_there(tree):
    new_member(tree["b1"], name="甲")
    apply_for_transfer(member=new_member(tree["b2"], name="乙"), to_org=tree["fb"], reason="moved")
    assert holdings(tree["b1"]) == {"children": 0, "members": 1, "cadres": 1, "transfers": 0}
    assert subtree_figures(tree["school"]) == {"orgs": 3, "members": 2, "cadres": 3, "transfers": 1}
    assert subtree_figures(tree["province"])["transfers"] == 1  # inside the subtree: counted once


def test_move_targets_offer_only_parents_the_type_may_stand_under(tree):
    """R-ORG-1: a general branch stands under committees and leading organs, never under a branch or another
    general branch; never under itself or its subtree; its present parent is not offered."""
    offered = {o.pk for o in move_targets(tree["school"], tree["province"])}
    assert offered == {tree["province"].pk, tree["firm"].pk}
    branch_targets = {o.pk for o in move_targets(tree["b1"], tree["province"])}
    assert branch_targets == {tree["province"].pk, tree["uni"].pk, tree["firm"].pk}  # not school (its parent)


def test_move_targets_are_searched_by_full_name_and_limited(tree):
    assert [o.pk for o in move_targets(tree["b1"], tree["province"], "科技公司")] == [tree["firm"].pk]
    assert move_targets(tree["b1"], tree["province"], "科技公司团委", limit=0) == []


def test_terms_due_lists_ended_and_near_terms_the_soonest_first(tree):
    day = dt.date(2027, 4, 1)
    set_term_end(actor=None, org=tree["uni"], term_ends_on=day + dt.timedelta(days=30))   # the 30th day: due
    set_term_end(actor=None, org=tree["firm"], term_ends_on=day - dt.timedelta(days=1))   # ended
    set_term_end(actor=None, org=tree["school"], term_ends_on=day + dt.timedelta(days=31))  # not yet
    assert list(terms_due(tree["province"], day)) == [tree["firm"], tree["uni"]]
    assert list(terms_due(tree["uni"], day)) == [tree["uni"]]  # its own subtree only
