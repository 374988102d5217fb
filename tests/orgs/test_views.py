"""Organization pages. Every view has the trio: the owner (admin of the organization or above it, acting as
it), another admin (a sibling branch or a committee elsewhere: 404, they never learn it exists) and an
outsider (a plain member: 403; anonymous: the login page). List pages pin their query counts."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.services import enter_cadre
from orgs.models import Organization, OrgType
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# orgs:tree -------------------------------------------------------------------------------------------


def test_it_shows_the_tree_from_the_acting_org(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse("orgs:tree"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert tree["uni"].full_name in html
    assert reverse("orgs:children", args=[tree["uni"].pk]) in html  # children arrive by htmx
    assert tree["province"].full_name not in html


def test_it_searches_the_tree_only_within_the_acting_subtree(client_as, tree):
    resp = client_as(tree["school_admin"], tree["school"]).get(reverse("orgs:tree"), {"q": "团支部"})
    html = resp.content.decode()
    assert tree["b1"].full_name in html and tree["b2"].full_name in html
    assert tree["fb"].full_name not in html


def test_it_refuses_the_tree_to_a_member_without_an_admin_post(client_as, member):
    resp = client_as(member).get(reverse("orgs:tree"))
    assert resp.status_code == 403
    assert "此页面仅供团组织管理员使用" in resp.content.decode()  # says why, and links home


def test_it_sends_anonymous_users_from_the_tree_to_login(client):
    resp = client.get(reverse("orgs:tree"))
    assert resp.status_code == 302 and resp.url.startswith(LOGIN)


# orgs:children ---------------------------------------------------------------------------------------


def test_it_lists_the_children_of_an_org_in_scope(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse("orgs:children", args=[tree["school"].pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert tree["b1"].full_name in html and tree["b2"].full_name in html
    assert "<html" not in html  # a fragment for htmx, not a page


def test_it_hides_another_branchs_children_from_a_sibling_admin(client_as, tree):
    client = client_as(tree["b2_admin"], tree["b2"])
    assert client.get(reverse("orgs:children", args=[tree["b1"].pk])).status_code == 404


def test_it_hides_children_outside_the_acting_subtree_from_another_committee(client_as, tree):
    client = client_as(tree["firm_admin"], tree["firm"])
    assert client.get(reverse("orgs:children", args=[tree["school"].pk])).status_code == 404


def test_it_refuses_children_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:children", args=[tree["school"].pk])
    assert client.get(url).url.startswith(LOGIN)
    assert client_as(member).get(url).status_code == 403


def test_children_cost_the_same_queries_for_5_or_50_child_orgs(client_as, tree):
    few = OrganizationFactory(parent=tree["uni"], org_type=OrgType.GENERAL_BRANCH, full_name="五个支部的团总支")
    many = OrganizationFactory(parent=tree["uni"], org_type=OrgType.GENERAL_BRANCH, full_name="五十个支部的团总支")
    for parent, n in ((few, 5), (many, 50)):
        for branch in OrganizationFactory.create_batch(n, parent=parent):
            MembershipFactory(branch=branch)
    client = client_as(tree["uni_admin"], tree["uni"])
    client.get(reverse("orgs:children", args=[tree["uni"].pk]))  # warm the session
    assert _queries(client, reverse("orgs:children", args=[few.pk])) == \
        _queries(client, reverse("orgs:children", args=[many.pk]))


# orgs:detail -----------------------------------------------------------------------------------------


def test_it_shows_a_branch_to_its_admin_with_masked_id_numbers(client_as, tree, member):
    resp = client_as(tree["b1_admin"], tree["b1"]).get(reverse("orgs:detail", args=[tree["b1"].pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert member.name in html
    # R-AUTH-6: listed ID numbers are masked, members' and cadres' alike.
    for person in (member, tree["b1_admin"]):
        assert person.id_number not in html
        assert person.id_number[-4:] not in html
        assert person.masked_id_number in html


def test_it_shows_a_branch_to_an_admin_of_a_superior(client_as, tree, member):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse("orgs:detail", args=[tree["b1"].pk]))
    assert resp.status_code == 200
    assert member.name in resp.content.decode()


def test_it_hides_a_branch_from_a_sibling_branch_admin(client_as, tree, member):
    client = client_as(tree["b2_admin"], tree["b2"])
    resp = client.get(reverse("orgs:detail", args=[tree["b1"].pk]))
    assert resp.status_code == 404
    assert tree["b1"].full_name not in resp.content.decode() and member.name not in resp.content.decode()


def test_it_refuses_details_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:detail", args=[tree["b1"].pk])
    assert client.get(url).url.startswith(LOGIN)
    assert client_as(member).get(url).status_code == 403


def test_it_offers_to_create_only_to_admins_who_may(client_as, tree):
    new_url = reverse("orgs:create", args=[tree["school"].pk])
    page = client_as(tree["uni_admin"], tree["uni"]).get(reverse("orgs:detail", args=[tree["school"].pk]))
    assert new_url in page.content.decode()
    page = client_as(tree["province_admin"], tree["province"]).get(reverse("orgs:detail", args=[tree["school"].pk]))
    assert page.status_code == 200 and new_url not in page.content.decode()


def test_detail_costs_the_same_queries_for_5_or_50_members(client_as, tree):
    few = OrganizationFactory(parent=tree["school"], full_name="五人团支部")
    many = OrganizationFactory(parent=tree["school"], full_name="五十人团支部")
    MembershipFactory.create_batch(5, branch=few)
    MembershipFactory.create_batch(50, branch=many)
    client = client_as(tree["school_admin"], tree["school"])
    client.get(reverse("orgs:detail", args=[tree["school"].pk]))  # warm the session
    assert _queries(client, reverse("orgs:detail", args=[few.pk])) == \
        _queries(client, reverse("orgs:detail", args=[many.pk]))


# orgs:create -----------------------------------------------------------------------------------------


def test_it_creates_a_branch_for_the_admin_of_the_parent(client_as, tree):
    client = client_as(tree["school_admin"], tree["school"])
    assert client.get(reverse("orgs:create", args=[tree["school"].pk])).status_code == 200
    resp = client.post(reverse("orgs:create", args=[tree["school"].pk]),
                       {"full_name": "信息学院3班团支部", "org_type": OrgType.BRANCH, "region_code": ""})
    org = Organization.objects.get(full_name="信息学院3班团支部")
    assert resp.status_code == 302 and resp.url == reverse("orgs:detail", args=[org.pk])
    assert org.parent == tree["school"] and org.region_code == tree["school"].region_code


def test_it_creates_for_the_admin_of_the_direct_superior(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(
        reverse("orgs:create", args=[tree["school"].pk]), {"full_name": "信息学院4班团支部", "org_type": OrgType.BRANCH})
    assert resp.status_code == 302
    assert Organization.objects.filter(full_name="信息学院4班团支部", parent=tree["school"]).exists()


def test_it_refuses_to_create_for_an_admin_two_levels_up(client_as, tree):
    before = Organization.objects.count()
    client = client_as(tree["province_admin"], tree["province"])
    assert client.get(reverse("orgs:create", args=[tree["school"].pk])).status_code == 403
    resp = client.post(reverse("orgs:create", args=[tree["school"].pk]),
                       {"full_name": "信息学院5班团支部", "org_type": OrgType.BRANCH})
    assert resp.status_code == 403
    assert Organization.objects.count() == before


def test_it_hides_create_from_an_admin_of_another_committee(client_as, tree):
    resp = client_as(tree["firm_admin"], tree["firm"]).post(
        reverse("orgs:create", args=[tree["school"].pk]), {"full_name": "信息学院6班团支部", "org_type": OrgType.BRANCH})
    assert resp.status_code == 404
    assert not Organization.objects.filter(full_name="信息学院6班团支部").exists()


def test_it_refuses_create_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:create", args=[tree["school"].pk])
    assert client.get(url).url.startswith(LOGIN)
    assert client_as(member).get(url).status_code == 403


def test_it_reshows_the_form_with_the_message_for_a_body_that_is_not_a_league_org(client_as, tree):
    before = Organization.objects.count()
    resp = client_as(tree["uni_admin"], tree["uni"]).post(
        reverse("orgs:create", args=[tree["uni"].pk]), {"full_name": "北京示范大学青年工作委员会", "org_type": OrgType.COMMITTEE})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "不是团组织" in html  # R-ORG-4, next to the field
    assert 'value="北京示范大学青年工作委员会"' in html  # nothing typed is lost
    assert Organization.objects.count() == before


# orgs:switch -----------------------------------------------------------------------------------------


@pytest.fixture
def two_hats(tree):
    """The admin of branch 1 who is also an admin of the university committee."""
    person = tree["b1_admin"]
    enter_cadre(actor=None, org=tree["uni"], id_number=person.id_number, name=person.name, title="副书记", is_admin=True)
    return person


def test_it_switches_to_an_org_where_the_user_is_admin(client_as, tree, two_hats):
    client = client_as(two_hats, tree["uni"])
    resp = client.post(reverse("orgs:switch"), {"org": tree["b1"].pk})
    assert resp.status_code == 302 and resp.url == reverse("home")
    assert client.session["acting_org_id"] == tree["b1"].pk
    # R-ACC-3: the management pages now show branch 1, and only what is below it.
    home = client.get(reverse("home")).content.decode()
    assert re.search(rf'id="org-h"[^>]*>{tree["b1"].full_name}<', home)
    tree_page = client.get(reverse("orgs:tree")).content.decode()
    assert reverse("orgs:detail", args=[tree["b1"].pk]) in tree_page
    assert reverse("orgs:detail", args=[tree["uni"].pk]) not in tree_page
    assert client.get(reverse("orgs:detail", args=[tree["b2"].pk])).status_code == 404


def test_it_switches_back_to_the_committee(client_as, tree, two_hats):
    client = client_as(two_hats, tree["b1"])
    client.post(reverse("orgs:switch"), {"org": tree["uni"].pk})
    assert client.session["acting_org_id"] == tree["uni"].pk
    assert client.get(reverse("orgs:detail", args=[tree["b2"].pk])).status_code == 200


def test_it_refuses_to_switch_to_an_org_without_an_admin_post(client_as, tree, two_hats):
    client = client_as(two_hats, tree["b1"])
    assert client.post(reverse("orgs:switch"), {"org": tree["firm"].pk}).status_code == 403
    assert client.post(reverse("orgs:switch"), {"org": "not-a-number"}).status_code == 403
    assert client.session["acting_org_id"] == tree["b1"].pk


def test_it_refuses_to_switch_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    assert client.post(reverse("orgs:switch"), {"org": tree["b1"].pk}).url.startswith(LOGIN)
    assert client_as(member).post(reverse("orgs:switch"), {"org": tree["b1"].pk}).status_code == 403


def test_switch_takes_only_post(client_as, tree, two_hats):
    assert client_as(two_hats).get(reverse("orgs:switch")).status_code == 405


def test_it_offers_the_switch_only_to_people_with_several_admin_posts(client_as, tree, two_hats):
    assert 'name="org"' in client_as(two_hats).get(reverse("home")).content.decode()
    assert 'name="org"' not in client_as(tree["b2_admin"]).get(reverse("home")).content.decode()


# orgs:switch stays on the page (issue 15 item 9, R-ACC-3) ------------------------------------------------


@pytest.mark.parametrize("page", ["people:members", "people:cadres", "transfers:inbox", "orgs:tree"])
def test_it_stays_on_a_list_page_after_switching(client_as, tree, two_hats, page):
    client = client_as(two_hats, tree["uni"])
    resp = client.post(reverse("orgs:switch"), {"org": tree["b1"].pk, "next": reverse(page)})
    assert resp.status_code == 302 and resp.url == reverse(page)
    assert client.get(resp.url).status_code == 200


def test_it_drops_the_query_string_that_may_name_the_old_organizations_objects(client_as, tree, two_hats):
    client = client_as(two_hats, tree["uni"])
    resp = client.post(reverse("orgs:switch"), {"org": tree["b1"].pk,
                                                "next": reverse("people:members") + f"?branch={tree['b2'].pk}&page=3"})
    assert resp.url == reverse("people:members")


@pytest.mark.parametrize("next_url", [
    "/people/{b2}/",                       # names an object of the old organization's subtree
    "/orgs/{b2}/",
    "https://evil.example/people/",        # another host
    "//evil.example/people/",
    "/no/such/page/",
    "/orgs/switch/",
    "",
])
def test_it_goes_home_when_the_page_names_an_object_or_is_not_safe(client_as, tree, two_hats, next_url):
    client = client_as(two_hats, tree["uni"])
    resp = client.post(reverse("orgs:switch"), {"org": tree["b1"].pk, "next": next_url.format(b2=tree["b2"].pk)})
    assert resp.status_code == 302 and resp.url == reverse("home")
    assert client.session["acting_org_id"] == tree["b1"].pk


def test_the_switcher_sends_the_current_page(client_as, tree, two_hats):
    html = client_as(two_hats, tree["uni"]).get(reverse("people:members"), {"q": "张"}).content.decode()
    switch = html.split('class="switch"')[1].split("</form>")[0]
    assert 'name="next" value="/people/?q=%E5%BC%A0"' in switch or 'name="next" value="/people/?q=张"' in switch
