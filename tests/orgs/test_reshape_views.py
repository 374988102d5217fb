"""The rebuild page (orgs:rebuild, issue 15): the trio (an admin above it; its own admin: 403; another subtree: 404;
a plain member: 403), the page shows what the organization holds before the button, refusals re-render with the
choice kept, the link from the organization page."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from members.services import enter_cadre
from orgs.models import Organization, OrgType
from orgs.services import create_org
from tests.factories import make_id_number
from tests.transfers.support import new_member

pytestmark = pytest.mark.django_db


def _committee(tree):
    org = create_org(actor=None, full_name="北京示范大学后勤团委", org_type=OrgType.COMMITTEE, parent=tree["uni"])
    enter_cadre(actor=None, org=org, id_number=make_id_number(dt.date(1996, 1, 1)), name="干部甲", title="书记")
    return org


def _url(org):
    return reverse("orgs:rebuild", args=[org.pk])


def test_it_shows_what_the_committee_holds_and_rebuilds_it(client_as, tree):
    org = _committee(tree)
    client = client_as(tree["uni_admin"], tree["uni"])
    html = client.get(_url(org)).content.decode()
    assert re.search(r"团干部</th><td><strong>1</strong>", html) and 'value="branch"' in html
    resp = client.post(_url(org), {"org_type": "branch"})
    assert resp.status_code == 302 and resp["Location"] == reverse("orgs:detail", args=[org.pk])
    assert Organization.objects.get(pk=org.pk).org_type == OrgType.BRANCH


def test_a_refusal_is_shown_on_the_page(client_as, tree):
    new_member(tree["fb"])
    resp = client_as(tree["firm_admin"], tree["firm"]).post(_url(tree["fb"]), {"org_type": "general_branch"})
    html = resp.content.decode()
    assert resp.status_code == 200 and "该团支部还有1名团员" in html
    assert re.search(r'value="general_branch"[^>]*checked', html)  # the choice kept
    assert Organization.objects.get(pk=tree["fb"].pk).org_type == OrgType.BRANCH


def test_a_type_not_offered_is_refused_by_the_form(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(_url(tree["school"]), {"org_type": "leading"})
    assert resp.status_code == 200 and "该组织不能改建为所选类型" in resp.content.decode()


def test_a_branch_under_a_general_branch_is_told_why_it_cannot_be_rebuilt(client_as, tree):
    html = client_as(tree["school_admin"], tree["school"]).get(_url(tree["b1"])).content.decode()
    assert "团总支只能包含团支部" in html and "确认改建" not in html


def test_its_own_admin_is_refused(client_as, tree):
    client = client_as(tree["fb_admin"], tree["fb"])
    assert client.get(_url(tree["fb"])).status_code == 403
    assert client.post(_url(tree["fb"]), {"org_type": "general_branch"}).status_code == 403
    assert Organization.objects.get(pk=tree["fb"].pk).org_type == OrgType.BRANCH


def test_an_admin_of_another_subtree_gets_404(client_as, tree):
    assert client_as(tree["firm_admin"], tree["firm"]).get(_url(tree["school"])).status_code == 404


def test_a_plain_member_is_refused(client_as, member, tree):
    assert client_as(member).get(_url(tree["school"])).status_code == 403


def test_the_organization_page_links_to_the_rebuild_for_an_admin_above_only(client_as, tree):
    above = client_as(tree["firm_admin"], tree["firm"]).get(reverse("orgs:detail", args=[tree["fb"].pk]))
    assert _url(tree["fb"]) in above.content.decode()
    own = client_as(tree["fb_admin"], tree["fb"]).get(reverse("orgs:detail", args=[tree["fb"].pk]))
    assert _url(tree["fb"]) not in own.content.decode()
