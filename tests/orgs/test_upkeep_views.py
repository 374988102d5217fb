"""The upkeep pages of an organization (issue 15, members/views/upkeep.py): rename, move, dissolve, the term's end
and the list of terms due. Each with the trio: an admin above (or of) the organization, an admin elsewhere (404:
they never learn it exists), a member without an admin post (403) and anonymous (the login page); every refusal
re-renders the page with its message in Chinese and changes nothing."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from orgs.history import FormerName
from orgs.models import Organization, OrgType
from orgs.upkeep import set_term_end
from tests.factories import OrganizationFactory
from tests.transfers.support import new_member

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def _fresh(org: Organization) -> Organization:
    return Organization.objects.get(pk=org.pk)


def _html(resp) -> str:
    return resp.content.decode()


# the detail page's actions ----------------------------------------------------------------------------------


def test_the_detail_page_offers_move_and_dissolve_only_from_above(client_as, tree):
    below = _html(client_as(tree["uni_admin"], tree["uni"]).get(reverse("orgs:detail", args=[tree["school"].pk])))
    assert reverse("orgs:rename", args=[tree["school"].pk]) in below
    assert reverse("orgs:move", args=[tree["school"].pk]) in below
    assert reverse("orgs:dissolve", args=[tree["school"].pk]) in below
    own = _html(client_as(tree["school_admin"], tree["school"]).get(reverse("orgs:detail", args=[tree["school"].pk])))
    assert reverse("orgs:rename", args=[tree["school"].pk]) in own
    assert reverse("orgs:move", args=[tree["school"].pk]) not in own
    assert reverse("orgs:dissolve", args=[tree["school"].pk]) not in own


def test_the_detail_page_shows_former_names_and_the_term(client_as, tree):
    client = client_as(tree["uni_admin"], tree["uni"])
    client.post(reverse("orgs:rename", args=[tree["school"].pk]), {"full_name": "北京示范大学计算机学院团总支"})
    set_term_end(actor=None, org=tree["school"], term_ends_on=timezone.localdate() + dt.timedelta(days=10))
    html = _html(client.get(reverse("orgs:detail", args=[tree["school"].pk])))
    assert "曾用名" in html and "北京示范大学信息学院团总支" in html
    assert "还剩 10 天" in html


# rename ---------------------------------------------------------------------------------------------------------


def test_it_renames_from_a_page_that_shows_what_it_touches(client_as, tree):
    new_member(tree["b1"])
    client = client_as(tree["uni_admin"], tree["uni"])
    page = _html(client.get(reverse("orgs:rename", args=[tree["school"].pk])))
    assert 'value="北京示范大学信息学院团总支"' in page and "团员" in page
    resp = client.post(reverse("orgs:rename", args=[tree["school"].pk]),
                       {"full_name": "北京示范大学计算机学院团总支", "name": "计算机学院"})
    assert resp.status_code == 302 and resp.url == reverse("orgs:detail", args=[tree["school"].pk])
    assert _fresh(tree["school"]).full_name == "北京示范大学计算机学院团总支"
    assert FormerName.objects.get(org=tree["school"]).full_name == "北京示范大学信息学院团总支"


def test_it_reshows_the_rename_with_the_message_and_the_input_for_a_name_in_use(client_as, tree):
    resp = client_as(tree["school_admin"], tree["school"]).post(
        reverse("orgs:rename", args=[tree["b1"].pk]), {"full_name": "信息学院２班团支部", "name": "一班"})
    html = _html(resp)
    assert resp.status_code == 200 and "全称不能重复" in html
    assert 'value="信息学院２班团支部"' in html and 'value="一班"' in html  # nothing typed is lost
    assert _fresh(tree["b1"]).full_name == "信息学院1班团支部"


def test_it_hides_the_rename_from_an_admin_elsewhere(client_as, tree):
    client = client_as(tree["firm_admin"], tree["firm"])
    assert client.get(reverse("orgs:rename", args=[tree["b1"].pk])).status_code == 404
    assert client.post(reverse("orgs:rename", args=[tree["b1"].pk]), {"full_name": "越权团支部"}).status_code == 404
    assert _fresh(tree["b1"]).full_name == "信息学院1班团支部"


def test_it_refuses_the_rename_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:rename", args=[tree["b1"].pk])
    assert client.get(url).url.startswith(LOGIN)
    assert client_as(member).get(url).status_code == 403


# move -----------------------------------------------------------------------------------------------------------


def test_the_move_picker_offers_allowed_parents_and_searches(client_as, tree):
    client = client_as(tree["province_admin"], tree["province"])
    html = _html(client.get(reverse("orgs:move", args=[tree["school"].pk])))
    assert f"?to={tree['firm'].pk}" in html and f"?to={tree['b1'].pk}" not in html  # R-ORG-1
    assert f"?to={tree['xj'].pk}" not in html  # outside the acting subtree
    html = _html(client.get(reverse("orgs:move", args=[tree["school"].pk]), {"q": "科技"}))
    assert f"?to={tree['firm'].pk}" in html and f"?to={tree['province'].pk}" not in html


def test_it_moves_after_a_confirmation_with_the_subtrees_figures(client_as, tree):
    new_member(tree["b1"])
    client = client_as(tree["province_admin"], tree["province"])
    url = reverse("orgs:move", args=[tree["school"].pk])
    confirm = _html(client.get(url, {"to": tree["firm"].pk}))
    assert "请确认" in confirm and tree["firm"].full_name in confirm and "确认调整" in confirm
    resp = client.post(url, {"to": tree["firm"].pk})
    assert resp.status_code == 302
    school = _fresh(tree["school"])
    assert school.parent_id == tree["firm"].pk and school.path.startswith(tree["firm"].path)
    assert _fresh(tree["b1"]).path.startswith(school.path)


def test_it_reshows_the_move_with_the_message_for_a_parent_the_type_may_not_stand_under(client_as, tree):
    """R-ORG-1: a hand-made request naming a branch as the new parent."""
    resp = client_as(tree["province_admin"], tree["province"]).post(
        reverse("orgs:move", args=[tree["school"].pk]), {"to": tree["fb"].pk})
    assert resp.status_code == 200 and "下不能设立团总支" in _html(resp)
    assert _fresh(tree["school"]).parent_id == tree["uni"].pk


def test_it_refuses_a_move_of_the_acting_organization_itself(client_as, tree):
    resp = client_as(tree["school_admin"], tree["school"]).post(
        reverse("orgs:move", args=[tree["school"].pk]), {"to": tree["uni"].pk})
    assert resp.status_code == 403 and _fresh(tree["school"]).parent_id == tree["uni"].pk


def test_it_hides_the_move_and_targets_outside_the_acting_subtree(client_as, tree):
    client = client_as(tree["firm_admin"], tree["firm"])
    assert client.get(reverse("orgs:move", args=[tree["b1"].pk])).status_code == 404
    client = client_as(tree["uni_admin"], tree["uni"])
    assert client.post(reverse("orgs:move", args=[tree["b1"].pk]), {"to": tree["fb"].pk}).status_code == 404
    assert _fresh(tree["b1"]).parent_id == tree["school"].pk


def test_it_refuses_the_move_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:move", args=[tree["b1"].pk])
    assert client.get(url).url.startswith(LOGIN)
    assert client_as(member).get(url).status_code == 403


def test_the_move_picker_costs_the_same_queries_for_5_or_50_targets(client_as, tree, django_assert_max_num_queries):
    client = client_as(tree["province_admin"], tree["province"])
    url = reverse("orgs:move", args=[tree["b1"].pk])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    OrganizationFactory.create_batch(45, parent=tree["uni"], org_type=OrgType.GENERAL_BRANCH)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "最多 30 个" in _html(client.get(url))


# dissolve -------------------------------------------------------------------------------------------------------


def test_it_dissolves_an_empty_branch_after_a_confirmation(client_as, tree):
    client = client_as(tree["school_admin"], tree["school"])
    page = _html(client.get(reverse("orgs:dissolve", args=[tree["b2"].pk])))
    assert "确认撤销" in page and "1 名团干部的职务随之终止" in page
    resp = client.post(reverse("orgs:dissolve", args=[tree["b2"].pk]))
    assert resp.status_code == 302 and resp.url == reverse("orgs:detail", args=[tree["school"].pk])
    assert not _fresh(tree["b2"]).is_active


def test_it_shows_what_is_left_and_refuses_to_dissolve(client_as, tree):
    new_member(tree["b1"])
    client = client_as(tree["school_admin"], tree["school"])
    page = _html(client.get(reverse("orgs:dissolve", args=[tree["b1"].pk])))
    assert "团员 1 名" in page and "确认撤销" not in page
    resp = client.post(reverse("orgs:dissolve", args=[tree["b1"].pk]))
    assert resp.status_code == 200 and "该组织还有团员 1 名，不能撤销。请先把团员转出。" in _html(resp)
    assert _fresh(tree["b1"]).is_active


def test_it_hides_the_dissolve_from_an_admin_elsewhere_and_refuses_it_to_the_org_itself(client_as, tree):
    assert client_as(tree["b1_admin"], tree["b1"]).post(reverse("orgs:dissolve", args=[tree["b2"].pk])).status_code == 404
    assert client_as(tree["b2_admin"], tree["b2"]).post(reverse("orgs:dissolve", args=[tree["b2"].pk])).status_code == 403
    assert _fresh(tree["b2"]).is_active


def test_it_refuses_the_dissolve_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:dissolve", args=[tree["b2"].pk])
    assert client.get(url).url.startswith(LOGIN)
    assert client_as(member).post(url).status_code == 403


# the term ----------------------------------------------------------------------------------------------------


def test_it_sets_the_term_from_the_detail_page(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(reverse("orgs:term", args=[tree["uni"].pk]),
                                                          {"term_ends_on": "2027-05-04"})
    assert resp.status_code == 302 and _fresh(tree["uni"]).term_ends_on == dt.date(2027, 5, 4)


def test_it_reshows_the_term_with_the_message_for_a_date_it_cannot_read(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(reverse("orgs:term", args=[tree["uni"].pk]),
                                                          {"term_ends_on": "2027-13-45"})
    html = _html(resp)
    assert resp.status_code == 200 and "请按“年-月-日”填写日期" in html and 'value="2027-13-45"' in html
    assert _fresh(tree["uni"]).term_ends_on is None


def test_it_hides_the_term_from_an_admin_elsewhere(client_as, tree):
    resp = client_as(tree["firm_admin"], tree["firm"]).post(reverse("orgs:term", args=[tree["uni"].pk]),
                                                            {"term_ends_on": "2027-05-04"})
    assert resp.status_code == 404 and _fresh(tree["uni"]).term_ends_on is None


def test_it_refuses_the_term_to_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("orgs:term", args=[tree["uni"].pk])
    assert client.post(url, {"term_ends_on": "2027-05-04"}).url.startswith(LOGIN)
    assert client_as(member).post(url, {"term_ends_on": "2027-05-04"}).status_code == 403


# the terms due --------------------------------------------------------------------------------------------------


def test_the_terms_due_list_shows_ended_and_near_terms_within_the_acting_subtree(client_as, tree):
    today = timezone.localdate()
    set_term_end(actor=None, org=tree["uni"], term_ends_on=today - dt.timedelta(days=3))
    set_term_end(actor=None, org=tree["school"], term_ends_on=today + dt.timedelta(days=30))
    set_term_end(actor=None, org=tree["firm"], term_ends_on=today + dt.timedelta(days=31))
    set_term_end(actor=None, org=tree["xj"], term_ends_on=today)
    html = _html(client_as(tree["province_admin"], tree["province"]).get(reverse("orgs:terms_due")))
    assert "已超期 3 天" in html and "还剩 30 天" in html
    assert tree["firm"].full_name not in html and tree["xj"].full_name not in html
    assert html.index(tree["uni"].full_name) < html.index(tree["school"].full_name)  # the soonest first


def test_the_terms_due_list_says_what_to_do_when_empty(client_as, tree):
    assert "届满日期在各组织页面" in _html(client_as(tree["uni_admin"], tree["uni"]).get(reverse("orgs:terms_due")))


def test_the_terms_due_list_refuses_a_member_and_sends_anonymous_to_login(client, client_as, member):
    assert client.get(reverse("orgs:terms_due")).url.startswith(LOGIN)
    assert client_as(member).get(reverse("orgs:terms_due")).status_code == 403


def test_the_terms_due_list_costs_the_same_queries_for_5_or_50_rows(client_as, tree, django_assert_max_num_queries):
    due = timezone.localdate() + dt.timedelta(days=5)
    client = client_as(tree["province_admin"], tree["province"])
    OrganizationFactory.create_batch(5, parent=tree["uni"], org_type=OrgType.GENERAL_BRANCH, term_ends_on=due)
    client.get(reverse("orgs:terms_due"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("orgs:terms_due"))
    OrganizationFactory.create_batch(45, parent=tree["uni"], org_type=OrgType.GENERAL_BRANCH, term_ends_on=due)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "还剩 5 天" in _html(client.get(reverse("orgs:terms_due")))


# found in review (issue 15) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["orgs:move", "orgs:dissolve", "orgs:rebuild", "transfers:merge"])
def test_a_refusal_the_page_makes_itself_is_audited_when_posted(client_as, tree, name):
    """R-AUTH-6: the page refuses before the service is called; a posted refusal is audited as the service's is, a
    page merely opened is not."""
    org = tree["b1"]
    client = client_as(tree["b1_admin"], tree["b1"])
    before = AuditEvent.objects.filter(result=AuditEvent.Result.DENIED).count()
    assert client.get(reverse(name, args=[org.pk])).status_code == 403
    assert AuditEvent.objects.filter(result=AuditEvent.Result.DENIED).count() == before
    assert client.post(reverse(name, args=[org.pk]), {"to": tree["b2"].pk}).status_code == 403
    assert AuditEvent.objects.filter(result=AuditEvent.Result.DENIED, actor=tree["b1_admin"]).count() == before + 1


def test_the_audit_names_the_organization_the_admin_acted_as(client_as, tree):
    client = client_as(tree["province_admin"], tree["province"])
    client.post(reverse("orgs:rename", args=[tree["b1"].pk]), {"full_name": "信息学院一班团支部", "name": ""})
    client.post(reverse("orgs:term", args=[tree["b1"].pk]), {"term_ends_on": "2027-06-30"})
    for action in ("org.rename", "org.term"):
        assert AuditEvent.objects.get(action=action).acting_org_id == tree["province"].pk


@pytest.mark.parametrize("raw", ["²", "9" * 5000, "-1", "1e3"])
def test_the_move_page_answers_a_strange_target_with_not_found(client_as, tree, raw):
    client = client_as(tree["uni_admin"], tree["uni"])
    assert client.get(reverse("orgs:move", args=[tree["b1"].pk]), {"to": raw}).status_code == 404


def test_a_nul_byte_in_a_new_name_or_a_search_is_refused_or_cleaned_never_a_500(client_as, tree):
    """STYLE 11: PostgreSQL refuses NUL; the rename form says so, the picker's search cleans it at the edge."""
    client = client_as(tree["uni_admin"], tree["uni"])
    resp = client.post(reverse("orgs:rename", args=[tree["b1"].pk]), {"full_name": "信息学院\x001班团支部", "name": ""})
    assert resp.status_code == 200 and _fresh(tree["b1"]).full_name == tree["b1"].full_name
    assert client.get(reverse("orgs:move", args=[tree["b1"].pk]), {"q": "团\x00委"}).status_code == 200
