"""The people pages (issue 3 item 7): every view allowed and refused, the entry form's messages next to
their fields, masked ID numbers, and query counts that do not grow with the rows."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import iri_to_uri

from audit.models import AuditEvent
from members.models import CadrePost, Membership, NumberSegment, Person
from members.services import allocate_segment, enter_cadre, enter_member
from orgs.models import OrgType
from orgs.services import create_org
from tests.factories import CadrePostFactory, MembershipFactory, OrganizationFactory, make_id_number

PROFILE = {"ethnicity": "汉族", "political_status": "league", "phone": "13812345678", "full_time_education": "普通高中",
           "highest_education": "大学本科", "work_unit": "北京示范大学", "province": "11", "city": "北京市"}


def field_block(html: str, name: str) -> str:
    """The <div class="field"> that holds the input named `name`: its label, errors and widget."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, flags=re.S):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name}")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def school_cadre(tree):
    return enter_cadre(actor=None, org=tree["school"], id_number=make_id_number(dt.date(1998, 2, 2)), name="李团干",
                       title="副书记")


def _post(person, org):
    return CadrePost.objects.get(person=person, org=org, ended_at__isnull=True)


# --- member list -----------------------------------------------------------------------------------------

class TestMemberList:
    url = reverse("people:members")

    def test_it_lists_the_members_of_the_acting_subtree(self, client_as, tree, member):
        html = client_as(tree["school_admin"]).get(self.url).content.decode()
        assert "张小明" in html and "共 1 名团员" in html.replace("\n", "")
        assert reverse("people:detail", args=[member.pk]) in html

    def test_it_shows_a_sibling_branch_admin_none_of_them(self, client_as, tree, member):
        html = client_as(tree["b2_admin"]).get(self.url).content.decode()
        assert "张小明" not in html
        assert "录入团员" in html  # the empty state says what to do

    def test_it_refuses_a_plain_member(self, client_as, member):
        assert client_as(member).get(self.url).status_code == 403

    def test_it_sends_anonymous_to_login(self, client, tree):
        resp = client.get(self.url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("login"))

    def test_it_never_shows_a_whole_id_number(self, client_as, tree, member):
        html = client_as(tree["b1_admin"]).get(self.url).content.decode()
        assert member.masked_id_number in html
        assert member.id_number not in html
        assert member.id_number[-8:] not in html  # R-AUTH-6: the initial password is the last 8

    def test_filters_stay_in_the_url_and_narrow_the_list(self, client_as, tree, member):
        done = enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2003, 1, 1)), name="王完整",
                            joined_on=dt.date(2016, 5, 4), **PROFILE)
        client = client_as(tree["school_admin"])
        html = client.get(self.url, {"incomplete": "1"}).content.decode()
        assert "张小明" in html and "王完整" not in html and "信息不完整" in html
        html = client.get(self.url, {"q": "王完"}).content.decode()
        assert "王完整" in html and "张小明" not in html
        html = client.get(self.url, {"q": done.id_number}).content.decode()
        rows = html.split("<tbody>")[1]
        assert "王完整" in rows and "张小明" not in rows and done.id_number not in rows
        html = client.get(self.url, {"branch": tree["b2"].pk}).content.decode()
        assert "王完整" not in html and "没有符合条件的团员" in html

    def test_it_badges_verification_and_development_number_problems(self, client_as, tree, member):
        Person.objects.filter(pk=member.pk).update(verification_status="failed", verification_reason="姓名不像真实姓名",
                                                   dev_number_issue="year")
        client = client_as(tree["b1_admin"])
        html = client.get(self.url, {"unverified": "failed", "dev_issue": "1"}).content.decode()
        assert "张小明" in html and "认证不通过" in html and "编号问题：年份不符" in html
        assert "张小明" not in client.get(self.url, {"unverified": "pending"}).content.decode()

    def test_it_costs_the_same_queries_for_5_or_50_rows(self, client_as, tree):
        client = client_as(tree["school_admin"])
        MembershipFactory.create_batch(5, branch=tree["b1"])
        client.get(self.url)  # warm up
        five = count_queries(client, self.url)
        MembershipFactory.create_batch(45, branch=tree["b2"])
        fifty = count_queries(client, self.url)
        assert Membership.objects.filter(ended_at__isnull=True).count() == 50
        assert five == fifty


# --- cadre list ------------------------------------------------------------------------------------------

class TestCadreList:
    url = reverse("people:cadres")

    def test_it_lists_cadres_with_an_end_button_where_the_admin_may_change(self, client_as, tree, school_cadre):
        html = client_as(tree["uni_admin"]).get(self.url).content.decode()
        assert "李团干" in html and "副书记" in html
        assert reverse("people:end_post", args=[_post(school_cadre, tree["school"]).pk]) in html

    def test_it_shows_no_end_button_two_levels_up(self, client_as, tree, school_cadre):
        html = client_as(tree["province_admin"]).get(self.url).content.decode()
        assert "李团干" in html
        assert reverse("people:end_post", args=[_post(school_cadre, tree["school"]).pk]) not in html

    def test_a_branch_admin_sees_the_branch_cadres(self, client_as, tree):
        assert "管理员b1" in client_as(tree["b1_admin"]).get(self.url).content.decode()

    def test_it_filters_by_title(self, client_as, tree, school_cadre):
        client = client_as(tree["uni_admin"])
        assert "李团干" in client.get(self.url, {"title": "副书记"}).content.decode()
        assert "李团干" not in client.get(self.url, {"title": "组织委员"}).content.decode()

    def test_it_shows_a_sibling_none_of_them(self, client_as, tree, school_cadre):
        assert "李团干" not in client_as(tree["firm_admin"]).get(self.url).content.decode()

    def test_it_refuses_a_plain_member(self, client_as, member):
        assert client_as(member).get(self.url).status_code == 403

    def test_it_sends_anonymous_to_login(self, client, tree):
        assert client.get(self.url).status_code == 302

    def test_it_never_shows_a_whole_id_number(self, client_as, tree, school_cadre):
        html = client_as(tree["uni_admin"]).get(self.url).content.decode()
        assert school_cadre.masked_id_number in html and school_cadre.id_number not in html

    def test_it_costs_the_same_queries_for_5_or_50_rows(self, client_as, tree):
        client = client_as(tree["uni_admin"])
        CadrePostFactory.create_batch(4, org=tree["school"])
        client.get(self.url)
        five = count_queries(client, self.url)  # 4 + the school's own admin
        CadrePostFactory.create_batch(45, org=tree["school"])
        fifty = count_queries(client, self.url)
        assert five == fifty


# --- the lists' row actions and export (issue 15 items 5 and 6) ---------------------------------------------

class TestListActions:
    def test_each_member_row_offers_edit_and_a_reset_code_where_the_admin_has_custody(self, client_as, tree, member):
        html = client_as(tree["school_admin"]).get(reverse("people:members")).content.decode()
        row = html.split("<tbody>")[1]
        assert reverse("people:edit", args=[member.pk]) in row
        assert reverse("members:reset_code_issue", args=[member.pk]) in row and "生成重置码" in row
        assert 'name="next" value="/people/"' in row  # back to the list after the code is shown

    def test_an_admin_two_levels_up_sees_the_member_but_no_row_actions(self, client_as, tree, member):
        html = client_as(tree["uni_admin"]).get(reverse("people:members")).content.decode()
        row = html.split("<tbody>")[1]
        assert "张小明" in row  # R-AUTH-1: may read
        assert reverse("people:edit", args=[member.pk]) not in row  # R-AUTH-2: may not change
        assert reverse("members:reset_code_issue", args=[member.pk]) not in row

    def test_each_cadre_row_offers_the_key_except_for_an_admin_above_or_the_admin_themself(self, client_as, tree,
                                                                                          school_cadre):
        html = client_as(tree["school_admin"]).get(reverse("people:cadres"), {"branches": "1"}).content.decode()
        rows = html.split("<tbody>")[1]
        assert reverse("members:reset_code_issue", args=[school_cadre.pk]) in rows
        assert reverse("members:reset_code_issue", args=[tree["b1_admin"].pk]) in rows
        assert reverse("members:reset_code_issue", args=[tree["school_admin"].pk]) not in rows  # themself
        html = client_as(tree["b1_admin"]).get(reverse("people:cadres")).content.decode()
        assert reverse("members:reset_code_issue", args=[tree["school_admin"].pk]) not in html  # R-AUTH-7: above

    def test_the_key_on_a_row_issues_a_code_and_goes_back_to_the_list(self, client_as, tree, member):
        client = client_as(tree["b1_admin"])
        resp = client.post(reverse("members:reset_code_issue", args=[member.pk]), {"next": "/people/?incomplete=1"})
        assert resp.status_code == 200 and 'href="/people/?incomplete=1"' in resp.content.decode()

    def test_the_person_page_offers_the_key_to_a_custodian_only(self, client_as, tree, member):
        url = reverse("people:detail", args=[member.pk])
        issue = reverse("members:reset_code_issue", args=[member.pk])
        assert issue in client_as(tree["b1_admin"]).get(url).content.decode()
        assert issue not in client_as(tree["uni_admin"]).get(url).content.decode()

    def test_the_export_buttons_carry_exactly_the_lists_filters(self, client_as, tree, member):
        client = client_as(tree["school_admin"])
        query = {"q": "张", "branch": tree["b1"].pk, "unverified": "pending", "incomplete": "1", "page": "1"}
        html = client.get(reverse("people:members"), query).content.decode()
        link = re.search(r'href="(/imports/export/members\.xlsx[^"]*)"', html).group(1).replace("&amp;", "&")
        assert "page=" not in link and f"branch={tree['b1'].pk}" in link and "incomplete=1" in link
        resp = client.get(link)
        assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
        event = AuditEvent.objects.filter(action="export.members").latest("pk")
        kept = event.detail["filters"]
        assert event.detail["rows"] == 1 and kept["branch_id"] == tree["b1"].pk and kept["query"] == "张"
        assert kept["incomplete"] is True and kept["unverified"] == "pending"
        html = client.get(reverse("people:cadres"), {"title": "书记", "branches": "1"}).content.decode()
        link = re.search(r'href="(/imports/export/cadres\.xlsx[^"]*)"', html).group(1).replace("&amp;", "&")
        assert "title=" in link and "branches=1" in link
        client.get(link)
        event = AuditEvent.objects.filter(action="export.cadres").latest("pk")
        assert event.detail["filters"]["title"] == "书记" and event.detail["filters"]["branches"] is True

    def test_a_search_by_a_whole_id_number_puts_it_in_no_button(self, client_as, tree, member):
        html = client_as(tree["b1_admin"]).get(reverse("people:members"), {"q": member.id_number}).content.decode()
        assert "张小明" in html.split("<tbody>")[1]
        assert "/imports/export/members.xlsx" not in html  # R-AUTH-6: one person, no address with the number
        assert 'name="next" value="/people/"' in html

    def test_an_empty_list_offers_no_export(self, client_as, tree):
        html = client_as(tree["b2_admin"]).get(reverse("people:members")).content.decode()
        assert "/imports/export/members.xlsx" not in html


# --- person page -----------------------------------------------------------------------------------------

class TestPersonPage:
    def url(self, person):
        return reverse("people:detail", args=[person.pk])

    def test_it_shows_profile_posts_history_and_missing_fields(self, client_as, tree, member):
        html = client_as(tree["b1_admin"]).get(self.url(member)).content.decode()
        for text in ("张小明", "信息学院1班团支部", "民族", "未填写（必填）", "还缺", "组织关系", "团内职务", "未认证"):
            assert text in html
        assert member.masked_id_number in html and member.id_number not in html

    def test_an_admin_who_may_change_sees_the_whole_number_on_an_audited_request(self, client_as, tree, member):
        resp = client_as(tree["b1_admin"]).get(self.url(member), {"show_id": "1"})
        assert member.id_number in resp.content.decode()
        assert resp["Cache-Control"] == "no-store"
        event = AuditEvent.objects.get(action="person.view_id_number")
        assert event.actor == tree["b1_admin"] and event.target_id == str(member.pk)

    def test_an_admin_two_levels_up_sees_it_masked_and_nothing_is_audited(self, client_as, tree, member):
        html = client_as(tree["uni_admin"]).get(self.url(member), {"show_id": "1"}).content.decode()
        assert member.id_number not in html and member.masked_id_number in html
        assert not AuditEvent.objects.filter(action="person.view_id_number").exists()

    def test_it_is_404_for_a_sibling_branch_admin(self, client_as, tree, member):
        assert client_as(tree["b2_admin"]).get(self.url(member)).status_code == 404

    def test_it_is_403_for_a_plain_member(self, client_as, tree, member):
        assert client_as(member).get(self.url(tree["b1_admin"])).status_code == 403

    def test_it_sends_anonymous_to_login(self, client, member):
        assert client.get(self.url(member)).status_code == 302

    def test_the_person_sees_their_own_page_with_the_whole_number(self, client_as, member):
        html = client_as(member).get(reverse("people:me")).content.decode()
        assert member.id_number in html and "修改我的信息" in html

    def test_me_sends_anonymous_to_login(self, client, db):
        assert client.get(reverse("people:me")).status_code == 302

    def test_it_tells_failed_from_pending_verification(self, client_as, tree, member):
        client = client_as(tree["b1_admin"])
        pending = client.get(self.url(member)).content.decode()
        assert "未认证" in pending and "无需操作" in pending and "认证不通过" not in pending
        Person.objects.filter(pk=member.pk).update(verification_status="failed", verification_reason="姓名不像真实姓名")
        failed = client.get(self.url(member)).content.decode()
        assert "认证不通过" in failed and "姓名不像真实姓名" in failed

    def test_it_prompts_about_a_development_number_problem(self, client_as, tree, member):
        Person.objects.filter(pk=member.pk).update(dev_number_issue="taken")
        html = client_as(member).get(reverse("people:me")).content.decode()
        assert "编号重复" in html and "上级组织" in html and reverse("people:edit_me") in html


# --- entry forms -----------------------------------------------------------------------------------------

class TestEnterMember:
    url = reverse("people:enter_member")

    def form(self, **extra):
        data = {"name": "赵新", "id_number": make_id_number(dt.date(2004, 3, 1)), "joined_on": "2016-05-04",
                "development_number": ""}
        data.update(PROFILE)
        data.update(extra)
        return data

    def test_a_branch_admin_enters_a_member(self, client_as, tree):
        data = self.form()
        resp = client_as(tree["b1_admin"]).post(self.url, data)
        person = Person.objects.get(id_number=data["id_number"])
        assert resp.status_code == 302 and resp.url == reverse("people:detail", args=[person.pk])
        assert person.memberships.get().branch == tree["b1"] and person.is_complete

    def test_a_general_branch_admin_picks_one_of_its_branches(self, client_as, tree):
        client = client_as(tree["school_admin"])
        html = client.get(self.url).content.decode()
        assert tree["b2"].full_name in html and tree["fb"].full_name not in html
        data = self.form(branch=tree["b2"].pk)
        assert client.post(self.url, data).status_code == 302
        assert Membership.objects.get(person__id_number=data["id_number"]).branch == tree["b2"]

    def test_the_root_admin_enters_a_too_young_person_anywhere_with_an_explanation(self, client_as, tree):
        # R-ENT-3: the central organ enters people refused by R-ENT-2, with the explanation kept.
        data = self.form(branch=tree["b1"].pk, id_number=make_id_number(dt.date(2006, 1, 1)),
                         joined_on="2018-12-31", development_number="201800000077",
                         override_reason="团中央统一录入：历史档案核实无误")
        resp = client_as(tree["central_admin"]).post(self.url, data)
        person = Person.objects.get(id_number=data["id_number"])
        assert resp.status_code == 302 and person.override_reason.startswith("团中央统一录入")
        assert person.memberships.get().branch == tree["b1"]

    def test_a_branch_outside_the_subtree_is_refused(self, client_as, tree):
        data = self.form(branch=tree["fb"].pk)
        resp = client_as(tree["school_admin"]).post(self.url, data)
        assert resp.status_code == 200 and "请从列表中选择团支部" in resp.content.decode()
        assert not Person.objects.filter(id_number=data["id_number"]).exists()

    def test_the_join_age_message_is_next_to_the_joining_date_and_nothing_typed_is_lost(self, client_as, tree):
        data = self.form(id_number=make_id_number(dt.date(2010, 6, 1)), joined_on="2020-01-01",
                         development_number="202000000001", work_unit="示范中学")
        resp = client_as(tree["b1_admin"]).post(self.url, data)
        html = resp.content.decode()
        assert resp.status_code == 200
        block = field_block(html, "joined_on")
        assert "has-error" in block and "入团时未满13周岁" in block and 'aria-invalid="true"' in block
        for name in ("name", "id_number", "joined_on", "development_number", "work_unit", "phone"):
            assert f'value="{data[name]}"' in field_block(html, name)
        assert 'value="汉族" selected' in field_block(html, "ethnicity")
        assert not Person.objects.filter(id_number=data["id_number"]).exists()

    def test_dev_number_required_is_next_to_the_number(self, client_as, tree):
        resp = client_as(tree["b1_admin"]).post(self.url, self.form(joined_on="2020-05-04"))
        block = field_block(resp.content.decode(), "development_number")
        assert "has-error" in block and "2017年及以后入团的须填写发展团员编号" in block

    def test_an_id_number_on_record_says_so_next_to_the_id_number(self, client_as, tree, member):
        resp = client_as(tree["b1_admin"]).post(self.url, self.form(id_number=member.id_number))
        block = field_block(resp.content.decode(), "id_number")
        assert "该身份证号已经登记" in block and "后8位登录" in block
        try:  # R-ENT-6: the "transfer in" action straight from the error, once the transfers pages exist
            assert f'formaction="{reverse("transfers:transfer_in")}"' in block and "办理转入" in block
        except NoReverseMatch:
            pass

    def test_transfer_in_from_the_message_carries_the_name_and_id_number_in_the_body(self, client_as, tree, member):
        # Issue 15 item 10: the button posts the entry form to the transfer-in look-up; nothing typed again.
        client = client_as(tree["b2_admin"])
        data = self.form(id_number=member.id_number, name=member.name)
        html = client.post(self.url, data).content.decode()
        assert member.id_number not in re.sub(r'value="[^"]*"', "", html)  # only in the form's own fields
        resp = client.post(reverse("transfers:transfer_in"), dict(data, lookup="1"))
        page = resp.content.decode()
        assert resp.status_code == 200 and f'value="{member.name}"' in page and f'value="{member.id_number}"' in page
        assert tree["b1"].full_name in page and "现在所在团支部" in page  # R-TR-2: found, the name matches
        assert not AuditEvent.objects.filter(action__startswith="transfer").exists()  # a look-up submits nothing

    def test_only_a_central_admin_sees_the_override_explanation(self, client_as, tree):
        create_org(actor=None, full_name="团中央机关团支部", org_type=OrgType.BRANCH, parent=tree["central"])
        assert 'name="override_reason"' in client_as(tree["central_admin"]).get(self.url).content.decode()
        assert 'name="override_reason"' not in client_as(tree["school_admin"]).get(self.url).content.decode()

    def test_it_refuses_a_plain_member(self, client_as, member):
        assert client_as(member).get(self.url).status_code == 403
        assert client_as(member).post(self.url, self.form()).status_code == 403

    def test_it_sends_anonymous_to_login(self, client, tree):
        assert client.post(self.url, self.form()).status_code == 302
        assert Person.objects.filter(name="赵新").count() == 0


class TestEnterCadre:
    url = reverse("people:enter_cadre")

    def form(self, org, **extra):
        data = {"org": org.pk, "name": "钱干部", "id_number": make_id_number(dt.date(1997, 7, 7)), "title": "组织委员",
                "kind": "part_time", "appointed_on": "2025-09-01", "phone": "13912345678"}
        data.update(extra)
        return data

    def test_a_committee_admin_enters_a_cadre_of_a_child(self, client_as, tree):
        data = self.form(tree["school"])
        resp = client_as(tree["uni_admin"]).post(self.url, data)
        assert resp.status_code == 302
        post = CadrePost.objects.get(person__id_number=data["id_number"])
        assert post.org == tree["school"] and post.title == "组织委员" and post.kind == "part_time"

    def test_a_branch_cadre_with_a_joining_date_becomes_a_member_too(self, client_as, tree):
        data = self.form(tree["b1"], joined_on="2012-05-04")
        assert client_as(tree["school_admin"]).post(self.url, data).status_code == 302
        assert Membership.objects.get(person__id_number=data["id_number"]).branch == tree["b1"]

    def test_the_title_message_is_next_to_the_title(self, client_as, tree):
        data = self.form(tree["school"], title="")
        html = client_as(tree["uni_admin"]).post(self.url, data).content.decode()
        assert "请填写职务。" in field_block(html, "title")  # R-ENT-8: the import's message for a blank 职务
        assert f'value="{data["id_number"]}"' in field_block(html, "id_number")

    def test_an_organization_two_levels_down_is_not_offered(self, client_as, tree):
        resp = client_as(tree["uni_admin"]).post(self.url, self.form(tree["b1"]))
        assert resp.status_code == 200 and "请从列表中选择组织" in resp.content.decode()
        assert not CadrePost.objects.filter(person__name="钱干部").exists()

    def test_it_refuses_a_plain_member(self, client_as, tree, member):
        assert client_as(member).post(self.url, self.form(tree["b1"])).status_code == 403

    def test_it_sends_anonymous_to_login(self, client, tree):
        assert client.get(self.url).status_code == 302


# --- edit, correct, end post -----------------------------------------------------------------------------

class TestEdit:
    def test_an_admin_edits_the_profile(self, client_as, tree, member):
        url = reverse("people:edit", args=[member.pk])
        client = client_as(tree["b1_admin"])
        assert 'name="ethnicity"' in client.get(url).content.decode()
        resp = client.post(url, {"ethnicity": "回族", "phone": "13900001111"})
        assert resp.status_code == 302
        member.refresh_from_db()
        assert (member.ethnicity, member.phone) == ("回族", "13900001111")

    def test_the_phone_message_is_next_to_the_phone(self, client_as, tree, member):
        url = reverse("people:edit", args=[member.pk])
        html = client_as(tree["b1_admin"]).post(url, {"phone": "12345"}).content.decode()
        assert "手机号码应为11位" in field_block(html, "phone") and 'value="12345"' in html

    def test_the_person_edits_only_their_own_fields(self, client_as, member):
        url = reverse("people:edit_me")
        client = client_as(member)
        html = client.get(url).content.decode()
        assert 'name="phone"' in html and 'name="development_number"' in html and 'name="ethnicity"' not in html
        assert client.post(url, {"phone": "13900002222", "work_unit": "示范大学"}).status_code == 302
        member.refresh_from_db()
        assert member.phone == "13900002222"

    def test_edit_me_sends_anonymous_to_login(self, client, db):
        assert client.get(reverse("people:edit_me")).status_code == 302

    def test_it_is_404_for_a_sibling_and_403_two_levels_up(self, client_as, tree, member):
        url = reverse("people:edit", args=[member.pk])
        assert client_as(tree["b2_admin"]).get(url).status_code == 404
        resp = client_as(tree["uni_admin"]).post(url, {"phone": "13900003333"})
        assert resp.status_code == 403
        assert AuditEvent.objects.filter(action="person.update", result="denied").exists()
        member.refresh_from_db()
        assert member.phone == ""

    def test_it_refuses_a_plain_member(self, client_as, tree, member):
        assert client_as(member).get(reverse("people:edit", args=[tree["b1_admin"].pk])).status_code == 403


class TestCorrect:
    def url(self, person):
        return reverse("people:correct", args=[person.pk])

    def test_an_admin_corrects_the_name_with_a_reason_and_it_is_reverified(self, client_as, tree, member):
        Person.objects.filter(pk=member.pk).update(verification_status="verified")
        resp = client_as(tree["b1_admin"]).post(self.url(member), {"name": "张晓明", "joined_on": "2016-05-04",
                                                                   "reason": "户籍证明上的姓名为张晓明"})
        assert resp.status_code == 302
        member.refresh_from_db()
        assert member.name == "张晓明"
        assert AuditEvent.objects.filter(action="person.correct_identity", result="ok").exists()

    def test_the_reason_message_is_next_to_the_reason(self, client_as, tree, member):
        html = client_as(tree["b1_admin"]).post(self.url(member), {"name": "张晓明", "joined_on": "2016-05-04",
                                                                   "reason": ""}).content.decode()
        assert "请写明更正原因" in field_block(html, "reason") and 'value="张晓明"' in html

    def test_an_id_number_on_record_is_refused(self, client_as, tree, member):
        other = tree["b1_admin"]
        html = client_as(tree["school_admin"]).post(self.url(member), {
            "name": member.name, "id_number": other.id_number, "joined_on": "2016-05-04",
            "reason": "录入时填错了身份证号"}).content.decode()
        assert "该身份证号已经登记" in field_block(html, "id_number")

    def test_it_is_404_for_a_sibling_403_for_a_member_and_two_levels_up(self, client_as, tree, member):
        assert client_as(tree["b2_admin"]).get(self.url(member)).status_code == 404
        assert client_as(tree["uni_admin"]).get(self.url(member)).status_code == 403
        assert client_as(member).get(self.url(tree["b1_admin"])).status_code == 403

    def test_it_sends_anonymous_to_login(self, client, member):
        assert client.get(self.url(member)).status_code == 302


class TestEndPost:
    def url(self, post):
        return reverse("people:end_post", args=[post.pk])

    def test_an_admin_of_the_superior_ends_a_post(self, client_as, tree, school_cadre):
        post = _post(school_cadre, tree["school"])
        resp = client_as(tree["uni_admin"]).post(self.url(post), {"next": reverse("people:cadres") + "?title=副书记"})
        assert resp.status_code == 302 and resp.url == iri_to_uri(reverse("people:cadres") + "?title=副书记")
        post.refresh_from_db()
        assert post.ended_at is not None

    def test_it_goes_back_to_the_list_for_a_foreign_next(self, client_as, tree, school_cadre):
        post = _post(school_cadre, tree["school"])
        resp = client_as(tree["uni_admin"]).post(self.url(post), {"next": "https://evil.example/"})
        assert resp.url == reverse("people:cadres")

    def test_it_is_post_only(self, client_as, tree, school_cadre):
        assert client_as(tree["uni_admin"]).get(self.url(_post(school_cadre, tree["school"]))).status_code == 405

    def test_it_is_404_for_a_sibling_and_403_two_levels_up(self, client_as, tree, school_cadre):
        post = _post(school_cadre, tree["school"])
        assert client_as(tree["firm_admin"]).post(self.url(post)).status_code == 404
        assert client_as(tree["province_admin"]).post(self.url(post)).status_code == 403
        post.refresh_from_db()
        assert post.ended_at is None

    def test_it_refuses_a_plain_member_and_anonymous(self, client_as, client, tree, member, school_cadre):
        post = _post(school_cadre, tree["school"])
        assert client.post(self.url(post)).status_code == 302
        assert client_as(member).post(self.url(post)).status_code == 403


# --- completion ------------------------------------------------------------------------------------------

class TestCompletion:
    url = reverse("people:completion")

    def test_it_shows_each_child_and_drills_down(self, client_as, tree, member):
        client = client_as(tree["uni_admin"])
        html = client.get(self.url).content.decode()
        assert tree["school"].full_name in html and reverse("people:completion", args=[tree["school"].pk]) in html
        html = client.get(reverse("people:completion", args=[tree["school"].pk])).content.decode()
        assert tree["b1"].full_name in html and reverse("people:completion_org", args=[tree["b1"].pk]) in html
        assert "仅 1 名团员" in html  # R-ORG-7: b1's admin is a cadre, not a member; 张小明 is alone

    def test_the_org_page_lists_the_people_holding_it_back(self, client_as, tree, member):
        html = client_as(tree["school_admin"]).get(reverse("people:completion_org", args=[tree["b1"].pk])).content.decode()
        assert "张小明" in html and reverse("people:detail", args=[member.pk]) in html and "民族" in html
        assert member.id_number not in html

    def test_the_small_branch_list(self, client_as, tree, member):
        html = client_as(tree["school_admin"]).get(self.url, {"small": "1"}).content.decode()
        assert "团员不足3人的团支部" in html and tree["b2"].full_name in html

    def test_drilling_outside_the_subtree_is_404(self, client_as, tree):
        client = client_as(tree["firm_admin"])
        assert client.get(reverse("people:completion", args=[tree["school"].pk])).status_code == 404
        assert client.get(reverse("people:completion_org", args=[tree["b1"].pk])).status_code == 404

    def test_it_refuses_a_plain_member_and_anonymous(self, client_as, client, tree, member):
        assert client.get(self.url).status_code == 302
        assert client_as(member).get(self.url).status_code == 403
        assert client_as(member).get(reverse("people:completion_org", args=[tree["b1"].pk])).status_code == 403

    @staticmethod
    def _committee_with(children: int):
        top = OrganizationFactory(org_type=OrgType.COMMITTEE, full_name=f"测试{children}团委")
        admin = CadrePostFactory(org=top, is_admin=True).person
        for _ in range(children):
            branch = OrganizationFactory(parent=top)
            MembershipFactory.create_batch(2, branch=branch)
        return admin

    def test_it_costs_the_same_queries_for_3_or_12_children(self, client_as, db):
        small, large = self._committee_with(3), self._committee_with(12)
        client = client_as(small)
        client.get(self.url)
        three = count_queries(client, self.url)
        twelve = count_queries(client_as(large), self.url)
        assert three == twelve


# --- segments --------------------------------------------------------------------------------------------

class TestSegments:
    url = reverse("people:segments")

    def test_a_committee_admin_allocates_and_sees_the_use(self, client_as, tree):
        client = client_as(tree["uni_admin"])
        resp = client.post(self.url, {"org": tree["school"].pk, "year": 2024, "first": "202401000001",
                                      "last": "202401000100"})
        assert resp.status_code == 302
        assert NumberSegment.objects.get().org == tree["school"]
        html = client.get(self.url).content.decode()
        assert "202401000001" in html and "0 / 100" in html

    def test_overlap_and_format_messages_are_next_to_their_fields(self, client_as, tree):
        allocate_segment(actor=None, org=tree["uni"], year=2024, first="202401000001", last="202401000100")
        client = client_as(tree["uni_admin"])
        html = client.post(self.url, {"org": tree["school"].pk, "year": 2024, "first": "202401000050",
                                      "last": "202401000200"}).content.decode()
        assert "重叠" in field_block(html, "first")
        html = client.post(self.url, {"org": tree["school"].pk, "year": 2024, "first": "202401000300",
                                      "last": "2024010"}).content.decode()
        assert "号段编号应为12位数字" in field_block(html, "last")
        html = client.post(self.url, {"org": tree["school"].pk, "year": 2024, "first": "202301000300",
                                      "last": "202401000400"}).content.decode()
        assert "前4位应为年份" in field_block(html, "first")
        assert NumberSegment.objects.count() == 1

    def test_a_branch_admin_sees_the_segments_but_no_form(self, client_as, tree):
        allocate_segment(actor=None, org=tree["uni"], year=2024, first="202401000001", last="202401000100")
        client = client_as(tree["b1_admin"])
        html = client.get(self.url).content.decode()
        assert "202401000001" in html and 'name="first"' not in html
        assert client.post(self.url, {"org": tree["b1"].pk, "year": 2024, "first": "202401000200",
                                      "last": "202401000300"}).status_code == 403

    def test_it_refuses_a_plain_member_and_anonymous(self, client_as, client, tree, member):
        assert client.get(self.url).status_code == 302
        assert client_as(member).get(self.url).status_code == 403

