"""The figures kept per organization (PostgreSQL triggers, orgs/figures_sql.py) after the upkeep of issue 15: a move
made from the page carries members, cadres and open transfers to the new ancestors, and the confirmation pages'
figures (orgs.selectors.subtree_figures) equal a count of the rows."""
import pytest
from django.urls import reverse

from access.models import CadrePost
from members.models import Membership
from orgs.models import Organization
from orgs.selectors import subtree, subtree_figures
from orgs.services import compact_figures, dissolve_org
from orgs.upkeep import rename_org
from tests.factories import CadrePostFactory
from tests.orgs.test_figures import consistent
from tests.transfers.support import new_member
from transfers.models import TransferRequest
from transfers.services import apply_for_transfer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def counted(org: Organization) -> dict[str, int]:
    """The same four figures counted from the rows."""
    ids = subtree(org).values("pk")
    return {
        "orgs": subtree(org).count(),
        "members": Membership.objects.filter(ended_at=None, branch__in=ids).count(),
        "cadres": CadrePost.objects.held().filter(org__in=ids).count(),
        "transfers": TransferRequest.objects.filter(status="pending").filter(
            from_branch__in=ids).count() + TransferRequest.objects.filter(status="pending", to_org__in=ids)
        .exclude(from_branch__in=ids).count(),
    }


def test_a_move_from_the_page_leaves_the_figures_equal_to_a_recount(client_as, tree):
    new_member(tree["b1"], name="留下")
    leaving = new_member(tree["b2"], name="转走")
    apply_for_transfer(member=leaving, to_org=tree["fb"], reason="moved")   # leaves the school for the firm
    apply_for_transfer(member=new_member(tree["xjb"], name="转来"), to_org=tree["b1"], reason="moved")
    CadrePostFactory(person=leaving, org=tree["school"], title="委员")
    compact_figures()  # folded totals must follow the move, and what is appended after follows by path
    new_member(tree["b1"], name="后来")
    before = subtree_figures(tree["school"])
    assert before == counted(tree["school"]) == {"orgs": 3, "members": 3, "cadres": 4, "transfers": 2}

    resp = client_as(tree["province_admin"], tree["province"]).post(
        reverse("orgs:move", args=[tree["school"].pk]), {"to": tree["firm"].pk})
    assert resp.status_code == 302

    fresh = {key: Organization.objects.get(pk=tree[key].pk) for key in ("school", "firm", "uni", "province", "central")}
    for key, org in fresh.items():
        assert subtree_figures(org) == counted(org), key
    assert subtree_figures(fresh["firm"])["members"] == 3 and subtree_figures(fresh["uni"])["members"] == 0
    # The school -> firm transfer is inside the firm now (once), the one from Xinjiang reaches it.
    assert subtree_figures(fresh["firm"])["transfers"] == 2 and subtree_figures(fresh["uni"])["transfers"] == 0
    consistent()
    compact_figures()
    consistent()


def test_rename_and_dissolve_keep_the_figures(tree):
    rename_org(actor=tree["uni_admin"], org=tree["school"], full_name="北京示范大学计算机学院团总支")
    dissolve_org(actor=tree["school_admin"], org=tree["b2"])
    assert subtree_figures(tree["school"]) == counted(tree["school"]) == {"orgs": 2, "members": 0, "cadres": 2,
                                                                          "transfers": 0}
    consistent()
