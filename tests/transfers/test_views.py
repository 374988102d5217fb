"""Transfer pages. Every view has the trio: who may (the member, the side's admin, its direct superior),
another admin (a sibling branch or another committee: 404, they never learn it exists; a wrong kind of
organization: 403 naming the rule) and an outsider (a plain member: 403 on admin pages; anonymous: login).
Forms refuse a double submit; list pages pin their query counts."""
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.selectors.people import branch_of
from members.services import enter_member
from tests.factories import CadrePostFactory, MembershipFactory, OrganizationFactory, PersonFactory, make_id_number
from transfers.models import ApprovalStep, Message, TransferRequest
from transfers.services import apply_for_transfer, approve

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
TOKEN = re.compile(r'name="idem" value="([^"]+)"')


def token(client, url) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return TOKEN.search(resp.content.decode()).group(1)


def post(client, url, data=None, *, page=None, follow=False):
    """POST as the page at `page` (default: url) would: with the token it rendered."""
    data = dict(data or {}, idem=token(client, page or url))
    return client.post(url, data, follow=follow)


def html(resp) -> str:
    return resp.content.decode()


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def applied(tree, member):
    """The member's own application to the company's branch: an OUT step waits at branch 1."""
    return apply_for_transfer(member=member, to_org=tree["fb"], reason="employed_with_org")


@pytest.fixture
def out_step(applied):
    return applied.steps.get(status="pending")


def _pending_rows(branch, to_org, n, *, age=dt.timedelta(hours=1), by=None):
    """n members of `branch`, each with a transfer whose OUT step waits at the branch: self-service, or started by
    `by` (an admin of the branch) for the branch."""
    when = timezone.now() - age
    for m in MembershipFactory.create_batch(n, branch=branch):
        req = TransferRequest.objects.create(member=m.person, from_branch=branch, to_org=to_org, reason="moved",
                                             kind="self" if by is None else "out", initiated_by=by or m.person,
                                             initiating_org=None if by is None else branch, created_at=when)
        ApprovalStep.objects.create(request=req, kind="out", org=branch, org_path=branch.path, created_at=when,
                                    due_at=when + dt.timedelta(days=15))


# transfers:apply and transfers:org_search -------------------------------------------------------------


def test_it_shows_the_apply_form_with_guidance_for_each_reason(client_as, member, tree):
    page = html(client_as(member).get(reverse("transfers:apply")))
    assert tree["b1"].full_name in page
    assert "升学" in page and "新学校的团组织" in page and "流动团员团支部" in page
    assert reverse("transfers:org_search") in page  # search as you type
    assert 'name="idem"' in page


def test_a_member_applies_and_both_sides_approve_through_the_pages(client_as, member, tree):
    client = client_as(member)
    found = html(client.get(reverse("transfers:org_search"), {"q": "示范科技"}))
    assert tree["fb"].full_name in found and tree["firm"].full_name in found
    resp = post(client, reverse("transfers:apply"), {"to_org": tree["fb"].pk, "reason": "employed_with_org"})
    req = TransferRequest.objects.get(member=member)
    assert resp.status_code == 302 and resp.url == reverse("transfers:detail", args=[req.pk])
    timeline = html(client.get(resp.url))
    assert "转出审批" in timeline and tree["b1"].full_name in timeline and "还剩" in timeline

    out = req.steps.get(status="pending")
    admin = client_as(tree["b1_admin"], tree["b1"])
    assert post(admin, reverse("transfers:approve", args=[out.pk]), page=reverse("transfers:inbox")).status_code == 302
    in_step = req.steps.get(status="pending")
    assert in_step.kind == "in" and in_step.org == tree["fb"]
    admin = client_as(tree["fb_admin"], tree["fb"])
    post(admin, reverse("transfers:approve", args=[in_step.pk]), page=reverse("transfers:inbox"))
    req.refresh_from_db()
    assert req.status == "completed" and branch_of(member) == tree["fb"]
    page = html(client_as(member).get(reverse("transfers:mine")))
    assert "转接完成" in page and tree["b1_admin"].name in page and tree["fb_admin"].name in page


def test_it_names_the_note_rule_next_to_the_note_and_keeps_what_was_typed(client_as, member, tree):
    resp = post(client_as(member), reverse("transfers:apply"),
                {"to_org": tree["fb"].pk, "to_org_name": "示范科技", "reason": "other", "note": "太短"})
    assert resp.status_code == 200
    page = html(resp)
    assert "至少10个字" in page  # R-TR-13, code note_required
    assert "太短</textarea>" in page
    assert 'value="示范科技"' in page and f'value="{tree["fb"].pk}" data-name' in page
    assert not TransferRequest.objects.exists()


def test_it_resolves_a_typed_full_name_without_javascript_and_refuses_a_leading_organ(client_as, member, tree):
    client = client_as(member)
    resp = post(client, reverse("transfers:apply"), {"to_org_name": tree["province"].full_name, "reason": "moved"})
    assert resp.status_code == 200 and "团的领导机关不能作为转入组织" in html(resp)  # R-TR-6
    assert not TransferRequest.objects.exists()
    resp = post(client, reverse("transfers:apply"), {"to_org_name": "示范科技公司 研发部团支部", "reason": "moved"})
    assert resp.status_code == 302
    assert TransferRequest.objects.get(member=member).to_org == tree["fb"]


def test_it_offers_matches_when_a_typed_name_is_not_a_full_name(client_as, member, tree):
    resp = post(client_as(member), reverse("transfers:apply"), {"to_org_name": "研发部", "reason": "moved"})
    page = html(resp)
    assert "没有全称为“研发部”的团组织" in page
    assert f'value="{tree["fb"].pk}"' in page  # the matches, as radios to pick


def test_it_refuses_a_double_submit_of_the_apply_form(client_as, member, tree):
    client = client_as(member)
    data = {"to_org": tree["fb"].pk, "reason": "moved", "idem": token(client, reverse("transfers:apply"))}
    assert client.post(reverse("transfers:apply"), data).status_code == 302
    resp = client.post(reverse("transfers:apply"), data, follow=True)
    assert "请勿重复提交" in html(resp)
    assert TransferRequest.objects.filter(member=member).count() == 1


def test_it_refuses_a_post_with_a_token_it_never_issued(client_as, member, tree):
    resp = client_as(member).post(reverse("transfers:apply"), {"to_org": tree["fb"].pk, "reason": "moved",
                                                               "idem": "made-up"}, follow=True)
    assert "请勿重复提交" in html(resp) and not TransferRequest.objects.exists()


def test_it_shows_the_transfer_in_progress_instead_of_a_second_form(client_as, member, applied):
    page = html(client_as(member).get(reverse("transfers:apply")))
    assert "您已有一项正在办理的转接" in page and reverse("transfers:detail", args=[applied.pk]) in page
    assert 'name="reason"' not in page


def test_the_search_finds_organizations_nationwide_but_never_a_leading_organ(client_as, member, tree):
    client = client_as(member)
    found = html(client.get(reverse("transfers:org_search"), {"q": "（1）班"}))  # full-width parentheses, Xinjiang
    assert tree["xjb"].full_name in found
    found = html(client.get(reverse("transfers:org_search"), {"q": "共青团"}))
    assert tree["province"].full_name not in found and tree["central"].full_name not in found
    assert "<html" not in found


def test_the_search_returns_at_most_20(client_as, member, tree):
    for i in range(25):
        OrganizationFactory(parent=tree["school"], full_name=f"搜索测试{i}班团支部")
    found = html(client_as(member).get(reverse("transfers:org_search"), {"q": "搜索测试"}))
    assert found.count('name="to_org"') == 20 and "只显示前 20 个" in found


@pytest.mark.parametrize("name", ["transfers:apply", "transfers:mine", "transfers:messages", "transfers:org_search",
                                  "transfers:inbox", "transfers:history", "transfers:escalations", "transfers:batch",
                                  "transfers:transfer_in", "transfers:transfer_out", "transfers:history_export"])
def test_it_sends_anonymous_users_to_login(client, name):
    resp = client.get(reverse(name))
    assert resp.status_code == 302 and resp.url.startswith(LOGIN)


# transfers:mine, transfers:detail, transfers:withdraw -----------------------------------------------------


def test_mine_shows_my_transfers_with_who_has_it_and_a_withdraw_button(client_as, member, applied, tree):
    page = html(client_as(member).get(reverse("transfers:mine")))
    assert tree["fb"].full_name in page and "办理中" in page
    assert "现在由" in page and tree["b1"].full_name in page and tree["school"].full_name in page  # or its superior
    assert reverse("transfers:withdraw", args=[applied.pk]) in page


def test_mine_shows_nothing_of_other_members(client_as, applied, tree):
    other = enter_member(actor=None, branch=tree["b2"], id_number=make_id_number(dt.date(2004, 1, 1)), name="李四",
                         joined_on=dt.date(2016, 5, 4))
    page = html(client_as(other).get(reverse("transfers:mine")))
    assert applied.member.name not in page and "您还没有转接记录" in page


def test_the_member_withdraws_once(client_as, member, applied):
    client = client_as(member)
    url = reverse("transfers:withdraw", args=[applied.pk])
    data = {"idem": token(client, reverse("transfers:mine"))}
    assert client.post(url, data).status_code == 302
    applied.refresh_from_db()
    assert applied.status == "withdrawn"
    assert "请勿重复提交" in html(client.post(url, data, follow=True))
    assert "已撤回" in html(client.get(reverse("transfers:detail", args=[applied.pk])))


def test_withdraw_is_refused_to_an_admin_who_did_not_initiate_and_hidden_from_strangers(client_as, applied, tree):
    url = reverse("transfers:withdraw", args=[applied.pk])
    admin = client_as(tree["b1_admin"], tree["b1"])
    resp = post(admin, url, page=reverse("transfers:detail", args=[applied.pk]))
    assert resp.status_code == 403 and "只有发起人可以撤回" in html(resp)  # R-TR-11
    sibling = client_as(tree["b2_admin"], tree["b2"])
    assert post(sibling, url, page=reverse("transfers:transfer_in")).status_code == 404
    assert sibling.get(url).status_code == 405
    applied.refresh_from_db()
    assert applied.status == "pending"


@pytest.mark.parametrize("who", ["b1", "school", "uni", "fb", "firm"])
def test_detail_is_visible_to_admins_whose_subtree_holds_either_side(client_as, applied, tree, who):
    resp = client_as(tree[f"{who}_admin"], tree[who]).get(reverse("transfers:detail", args=[applied.pk]))
    assert resp.status_code == 200
    assert applied.member.masked_id_number in html(resp) and applied.member.id_number not in html(resp)


@pytest.mark.parametrize("who", ["b2", "xjb", "xj"])
def test_detail_is_hidden_from_admins_of_other_subtrees(client_as, applied, tree, who):
    assert client_as(tree[f"{who}_admin"], tree[who]).get(reverse("transfers:detail", args=[applied.pk])).status_code == 404


def test_detail_is_hidden_from_another_member_and_anonymous(client, client_as, applied, tree):
    url = reverse("transfers:detail", args=[applied.pk])
    assert client.get(url).url.startswith(LOGIN)
    other = enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2004, 1, 2)), name="王五",
                         joined_on=dt.date(2016, 5, 4))
    assert client_as(other).get(url).status_code == 404


def test_detail_offers_the_decision_to_whoever_may_decide_it(client_as, applied, out_step, tree):
    url = reverse("transfers:detail", args=[applied.pk])
    assert reverse("transfers:approve", args=[out_step.pk]) in html(client_as(tree["b1_admin"], tree["b1"]).get(url))
    assert reverse("transfers:approve", args=[out_step.pk]) not in html(client_as(tree["fb_admin"], tree["fb"]).get(url))


# transfers:transfer_in -----------------------------------------------------------------------------------


def test_transfer_in_shows_the_current_branch_only_once_the_name_matches(client_as, member, tree):
    client = client_as(tree["fb_admin"], tree["fb"])
    url = reverse("transfers:transfer_in")
    resp = client.post(url, {"name": "张大明", "id_number": member.id_number, "lookup": "1"})
    page = html(resp)
    assert "姓名与身份证号不一致" in page and tree["b1"].full_name not in page
    page = html(client.post(url, {"name": member.name, "id_number": member.id_number.lower(), "lookup": "1"}))
    assert tree["b1"].full_name in page and 'name="reason"' in page
    resp = post(client, url, {"name": member.name, "id_number": member.id_number, "reason": "employed_with_org",
                              "submit": "1"})
    req = TransferRequest.objects.get(member=member)
    assert resp.status_code == 302 and req.kind == "in" and req.to_org == tree["fb"]
    assert req.steps.get(status="pending").org == tree["b1"]  # R-TR-2: the OUT side approves next


def test_transfer_in_names_an_unknown_id_number(client_as, tree):
    page = html(client_as(tree["fb_admin"], tree["fb"]).post(
        reverse("transfers:transfer_in"), {"name": "某人", "id_number": make_id_number(), "lookup": "1"}))
    assert "没有找到该身份证号的团员" in page


def test_transfer_in_refuses_a_double_submit(client_as, member, tree):
    client = client_as(tree["fb_admin"], tree["fb"])
    data = {"name": member.name, "id_number": member.id_number, "reason": "moved", "submit": "1",
            "idem": token(client, reverse("transfers:transfer_in"))}
    assert client.post(reverse("transfers:transfer_in"), data).status_code == 302
    assert "请勿重复提交" in html(client.post(reverse("transfers:transfer_in"), data, follow=True))
    assert TransferRequest.objects.count() == 1


def test_transfer_in_is_refused_to_a_leading_organ_and_a_member(client_as, member, tree):
    resp = client_as(tree["province_admin"], tree["province"]).get(reverse("transfers:transfer_in"))
    assert resp.status_code == 403 and "团的领导机关不直接办理" in html(resp)
    assert client_as(member).get(reverse("transfers:transfer_in")).status_code == 403


# transfers:transfer_out ----------------------------------------------------------------------------------


def test_a_branch_admin_transfers_a_member_out(client_as, member, tree):
    client = client_as(tree["b1_admin"], tree["b1"])
    page = html(client.get(reverse("transfers:transfer_out")))
    assert member.masked_id_number in page and member.id_number not in page
    resp = post(client, reverse("transfers:transfer_out"), {"member": member.pk, "to_org": tree["fb"].pk,
                                                            "reason": "employed_with_org"})
    req = TransferRequest.objects.get(member=member)
    assert resp.status_code == 302 and req.kind == "out"
    assert req.steps.get(status="pending").org == tree["fb"]  # R-TR-3: the IN side approves next


def test_a_general_branch_admin_picks_a_branch_then_its_member(client_as, member, tree):
    client = client_as(tree["school_admin"], tree["school"])
    assert tree["b1"].full_name in html(client.get(reverse("transfers:transfer_out")))
    url = reverse("transfers:transfer_out") + f"?branch={tree['b1'].pk}"
    assert member.name in html(client.get(url))
    assert post(client, url, {"member": member.pk, "to_org": tree["fb"].pk, "reason": "moved"}).status_code == 302
    assert TransferRequest.objects.get(member=member).initiating_org == tree["school"]


def test_transfer_out_refuses_a_member_of_another_branch(client_as, member, tree):
    client = client_as(tree["b2_admin"], tree["b2"])
    resp = post(client, reverse("transfers:transfer_out"), {"member": member.pk, "to_org": tree["fb"].pk,
                                                            "reason": "moved"})
    assert resp.status_code == 200 and "此人不是该团支部的团员" in html(resp)
    assert not TransferRequest.objects.exists()


def test_transfer_out_hides_a_branch_that_is_not_directly_below(client_as, tree):
    client = client_as(tree["uni_admin"], tree["uni"])
    assert client.get(reverse("transfers:transfer_out") + f"?branch={tree['b1'].pk}").status_code == 404
    assert client_as(tree["firm_admin"], tree["firm"]).get(
        reverse("transfers:transfer_out") + f"?branch={tree['b1'].pk}").status_code == 404


def test_transfer_out_is_refused_to_a_member(client_as, member):
    assert client_as(member).get(reverse("transfers:transfer_out")).status_code == 403


# transfers:inbox, approve, reject, assign ----------------------------------------------------------------


def test_the_inbox_shows_the_step_with_the_members_essentials_and_the_chain(client_as, applied, out_step, tree):
    page = html(client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:inbox")))
    member = applied.member
    assert member.name in page and member.masked_id_number in page and member.id_number not in page
    assert tree["fb"].full_name in page and "已落实工作单位" in page and "本人申请" in page
    assert "查看完整流程" in page and reverse("transfers:approve", args=[out_step.pk]) in page


def test_the_superior_sees_the_branch_step_but_a_sibling_does_not(client_as, out_step, tree):
    assert reverse("transfers:approve", args=[out_step.pk]) in html(
        client_as(tree["school_admin"], tree["school"]).get(reverse("transfers:inbox")))
    page = html(client_as(tree["b2_admin"], tree["b2"]).get(reverse("transfers:inbox")))
    assert reverse("transfers:approve", args=[out_step.pk]) not in page and "没有待处理的转接" in page


def test_the_inbox_puts_overdue_steps_first_and_says_so(client_as, tree):
    _pending_rows(tree["b1"], tree["fb"], 1, age=dt.timedelta(hours=1))
    _pending_rows(tree["b1"], tree["fb"], 1, age=dt.timedelta(hours=80))
    page = html(client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:inbox")))
    assert "其中 1 项已超时" in page and "已超时 8 小时" in page and "还剩 2 天" in page
    assert page.index("is-overdue") < page.index("还剩 2 天")


def test_admin_pages_are_refused_to_a_plain_member(client_as, member, out_step):
    client = client_as(member)
    for name in ("transfers:inbox", "transfers:history", "transfers:escalations", "transfers:batch",
                 "transfers:history_export", "transfers:transfer_in", "transfers:transfer_out"):
        resp = client.get(reverse(name))
        assert resp.status_code == 403 and "此页面仅供团组织管理员使用" in html(resp), name
    idem = token(client, reverse("transfers:mine"))
    for name in ("transfers:approve", "transfers:reject", "transfers:assign"):
        assert client.post(reverse(name, args=[out_step.pk]), {"idem": idem, "reason": "不行"}).status_code == 403
    out_step.refresh_from_db()
    assert out_step.status == "pending"


@pytest.mark.parametrize("name", ["transfers:approve", "transfers:reject", "transfers:assign", "transfers:withdraw",
                                  "transfers:detail"])
def test_it_sends_anonymous_decisions_to_login(client, applied, out_step, name):
    pk = applied.pk if name in ("transfers:withdraw", "transfers:detail") else out_step.pk
    resp = client.post(reverse(name, args=[pk]))
    assert resp.status_code == 302 and resp.url.startswith(LOGIN)
    out_step.refresh_from_db()
    assert out_step.status == "pending"


def test_approve_is_hidden_from_a_sibling_admin_and_anonymous(client, client_as, out_step, tree):
    url = reverse("transfers:approve", args=[out_step.pk])
    assert client.post(url).url.startswith(LOGIN)
    assert post(client_as(tree["b2_admin"], tree["b2"]), url, page=reverse("transfers:transfer_in")).status_code == 404
    assert post(client_as(tree["fb_admin"], tree["fb"]), url, page=reverse("transfers:transfer_in")).status_code == 404
    out_step.refresh_from_db()
    assert out_step.status == "pending"


def test_approve_takes_only_post(client_as, out_step, tree):
    assert client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:approve", args=[out_step.pk])).status_code == 405


def test_approve_refuses_a_double_submit(client_as, out_step, tree):
    client = client_as(tree["b1_admin"], tree["b1"])
    url = reverse("transfers:approve", args=[out_step.pk])
    data = {"idem": token(client, reverse("transfers:inbox"))}
    assert client.post(url, data).status_code == 302
    out_step.refresh_from_db()
    assert out_step.status == "approved"
    resp = client.post(url, data, follow=True)
    assert "请勿重复提交" in html(resp)
    assert ApprovalStep.objects.filter(request=out_step.request, kind="in").count() == 1


def test_reject_needs_a_reason_and_then_ends_the_transfer(client_as, applied, out_step, tree):
    client = client_as(tree["b1_admin"], tree["b1"])
    url = reverse("transfers:reject", args=[out_step.pk])
    resp = post(client, url, {"reason": "  "}, page=reverse("transfers:inbox"))
    assert resp.status_code == 200 and "退回时请写明原因" in html(resp)  # R-TR-11, code reason_required
    out_step.refresh_from_db()
    assert out_step.status == "pending"
    resp = post(client, url, {"reason": "单位名称不对，请核实后重新申请"})
    assert resp.status_code == 302
    applied.refresh_from_db()
    assert applied.status == "rejected"
    page = html(client_as(applied.member).get(reverse("transfers:detail", args=[applied.pk])))
    assert "单位名称不对" in page and "已退回" in page


def test_reject_is_hidden_from_a_sibling_admin(client_as, out_step, tree):
    client = client_as(tree["b2_admin"], tree["b2"])
    assert client.get(reverse("transfers:reject", args=[out_step.pk])).status_code == 404
    assert post(client, reverse("transfers:reject", args=[out_step.pk]), {"reason": "不同意不同意"},
                page=reverse("transfers:transfer_in")).status_code == 404


@pytest.fixture
def assign_step(tree, member):
    req = apply_for_transfer(member=member, to_org=tree["firm"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=req.steps.get(status="pending"))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=req.steps.get(status="pending"))
    return req.steps.get(status="pending")


def test_the_committee_assigns_a_branch_from_the_inbox(client_as, member, assign_step, tree):
    """The row offers the assign form (htmx swaps it in: the branches of this row only, issue 13); without JavaScript
    the link is the assign page. Either form posts to the same view."""
    client = client_as(tree["firm_admin"], tree["firm"])
    assign_page = reverse("transfers:assign", args=[assign_step.pk])
    page = html(client.get(reverse("transfers:inbox")))
    assert f'href="{assign_page}" hx-get="{assign_page}"' in page
    form = client.get(assign_page, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "HX-Request" in form["Vary"]
    fragment = html(form)
    assert "<html" not in fragment and f'action="{assign_page}"' in fragment and tree["fb"].full_name in fragment
    idem = re.search(r'name="idem" value="([^"]+)"', fragment).group(1)
    resp = client.post(assign_page, {"branch": tree["fb"].pk, "idem": idem})
    assert resp.status_code == 302 and branch_of(member) == tree["fb"]


def test_assign_refuses_a_branch_outside_the_target(client_as, member, assign_step, tree):
    client = client_as(tree["firm_admin"], tree["firm"])
    resp = post(client, reverse("transfers:assign", args=[assign_step.pk]), {"branch": tree["b2"].pk})
    assert resp.status_code == 200 and "只能分配到本组织下属的团支部" in html(resp)  # R-AUTH-4
    assert branch_of(member) == tree["b1"]
    assert client_as(tree["uni_admin"], tree["uni"]).get(
        reverse("transfers:assign", args=[assign_step.pk])).status_code == 404


def test_the_inbox_row_lists_no_branches_and_the_assign_page_lists_them_all(client_as, member, assign_step, tree):
    """No drop-down of branches in the inbox's rows, however few (issue 13: a county's 24 rows carried 223
    options); the assign form, in the row (htmx) or on its page, lists every branch the step may assign to."""
    client = client_as(tree["firm_admin"], tree["firm"])
    for i in range(40):
        OrganizationFactory(parent=tree["firm"], full_name=f"示范科技第{i}团支部")
    page = html(client.get(reverse("transfers:inbox")))
    assert "<select" not in page and "分配团支部…" in page
    assign_page = reverse("transfers:assign", args=[assign_step.pk])
    for fragment in (html(client.get(assign_page, headers={"HX-Request": "true"})), html(client.get(assign_page))):
        assert "示范科技第39团支部" in fragment and tree["fb"].full_name in fragment
    resp = post(client, assign_page, {"branch": tree["fb"].pk})
    assert resp.status_code == 302 and branch_of(member) == tree["fb"]


def test_the_assign_form_is_refused_to_a_sibling_and_a_branch_admin(client_as, assign_step, tree):
    assign_page = reverse("transfers:assign", args=[assign_step.pk])
    assert client_as(tree["uni_admin"], tree["uni"]).get(assign_page, headers={"HX-Request": "true"}).status_code == 404
    assert client_as(tree["fb_admin"], tree["fb"]).get(assign_page, headers={"HX-Request": "true"}).status_code == 404


def test_a_row_reads_its_chain_when_opened(client_as, applied, out_step, tree):
    """The row's "查看完整流程" loads the detail page's timeline alone (htmx), for whoever may see the transfer; without
    JavaScript it holds a link to the detail page (issue 13: every row's timeline was a third of a county's inbox)."""
    client = client_as(tree["b1_admin"], tree["b1"])
    detail = reverse("transfers:detail", args=[applied.pk])
    page = html(client.get(reverse("transfers:inbox")))
    assert f'hx-get="{detail}" hx-trigger="toggle once"' in page and f'<a href="{detail}">在详情页查看办理过程</a>' in page
    resp = client.get(detail, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "HX-Request" in resp["Vary"]
    timeline = html(resp)
    assert "<html" not in timeline and 'class="timeline"' in timeline and "提交申请" in timeline
    assert "转出审批" in timeline and tree["b1"].full_name in timeline and "还剩" in timeline
    assert client_as(tree["b2_admin"], tree["b2"]).get(detail, headers={"HX-Request": "true"}).status_code == 404


def test_the_inbox_forms_carry_a_csrf_token_a_checking_client_accepts(client_as, member, out_step, tree):
    """One masked token for the page's forms (transfers.views.inbox): a client that checks CSRF, as browsers are
    checked, may approve with it; without it the POST is refused."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies = client_as(tree["b1_admin"], tree["b1"]).cookies   # the signed-in session
    resp = client.get(reverse("transfers:inbox"))
    assert resp.status_code == 200, resp.status_code
    page = html(resp)
    approve_url = reverse("transfers:approve", args=[out_step.pk])
    assert approve_url in page, page[:3000]
    form = page[page.index(f'action="{approve_url}"'):]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    idem = re.search(r'name="idem" value="([^"]+)"', form).group(1)
    assert client.post(approve_url, {"idem": idem}).status_code == 403
    assert client.post(approve_url, {"idem": idem, "csrfmiddlewaretoken": csrf}).status_code == 302
    out_step.refresh_from_db()
    assert out_step.status == ApprovalStep.Status.APPROVED


@pytest.mark.parametrize("by_admin", [False, True], ids=["self-service", "started-by-the-branch"])
def test_the_inbox_costs_the_same_queries_for_5_or_50_rows(client_as, tree, by_admin):
    few = OrganizationFactory(parent=tree["school"], full_name="五人团支部")
    many = OrganizationFactory(parent=tree["school"], full_name="五十人团支部")
    admin_few = PersonFactory(password_set=True)
    admin_many = PersonFactory(password_set=True)
    CadrePostFactory(person=admin_few, org=few, is_admin=True)
    CadrePostFactory(person=admin_many, org=many, is_admin=True)
    _pending_rows(few, tree["fb"], 5, by=admin_few if by_admin else None)
    _pending_rows(many, tree["fb"], 50, by=admin_many if by_admin else None)
    url = reverse("transfers:inbox")
    client = client_as(admin_few, few)
    client.get(url)  # warm the session
    n_few = queries(client, url)
    client = client_as(admin_many, many)
    client.get(url)
    assert queries(client, url) == n_few
    if by_admin:   # the initiator and the initiating organization, read with the rows (transfers.selectors.row_facts)
        assert f"{admin_many.name}（{many.full_name}）" in html(client.get(url))


# transfers:escalations -----------------------------------------------------------------------------------


def test_escalations_show_overdue_steps_to_the_superior_of_the_approvers(client_as, tree):
    _pending_rows(tree["b1"], tree["fb"], 1, age=dt.timedelta(hours=100))
    _pending_rows(tree["b2"], tree["fb"], 1, age=dt.timedelta(hours=2))
    page = html(client_as(tree["uni_admin"], tree["uni"]).get(reverse("transfers:escalations")))
    assert "已超时 1 天" in page and tree["b1"].full_name in page and tree["b2"].full_name not in page
    assert "/approve/" not in page  # the superior's superior watches; it does not decide (R-AUTH-3)
    page = html(client_as(tree["firm_admin"], tree["firm"]).get(reverse("transfers:escalations")))
    assert "没有超过72小时未处理的转接" in page


# transfers:history and its export ------------------------------------------------------------------------


def test_history_lists_the_subtrees_transfers_with_filters_in_the_url(client_as, applied, tree):
    client = client_as(tree["uni_admin"], tree["uni"])
    page = html(client.get(reverse("transfers:history")))
    assert applied.member.name in page and applied.member.masked_id_number in page
    assert applied.member.id_number not in page
    assert applied.member.name not in html(client.get(reverse("transfers:history"), {"status": "completed"}))
    page = html(client.get(reverse("transfers:history"), {"status": "pending", "q": applied.member.name}))
    assert applied.member.name in page and "status=pending" in page  # the export keeps the filters
    assert applied.member.name not in html(client_as(tree["xj_admin"], tree["xj"]).get(reverse("transfers:history")))


def test_the_export_masks_id_numbers_and_escapes_formulas(client_as, tree):
    person = PersonFactory(name="=HYPERLINK(\"http://x\")")
    MembershipFactory(person=person, branch=tree["b1"])
    TransferRequest.objects.create(member=person, from_branch=tree["b1"], to_org=tree["fb"], reason="other",
                                   note="@SUM(1+1) 这是说明文字足够长", kind="self", initiated_by=person)
    resp = client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:history_export"), {"status": "pending"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("姓名", "身份证号")
    row = rows[1]
    assert row[0] == "'=HYPERLINK(\"http://x\")" and row[6].startswith("'@SUM")
    assert row[1] == person.masked_id_number
    cells = " ".join(str(c) for r in rows for c in r)
    assert person.id_number not in cells and person.id_number[-4:] not in cells


def test_the_export_is_refused_to_a_sibling_subtree(client_as, applied, tree):
    resp = client_as(tree["b2_admin"], tree["b2"]).get(reverse("transfers:history_export"))
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1  # the header only


def test_history_costs_the_same_queries_for_5_or_50_rows(client_as, tree):
    few = OrganizationFactory(parent=tree["school"], full_name="五人团支部")
    many = OrganizationFactory(parent=tree["school"], full_name="五十人团支部")
    admin = PersonFactory(password_set=True)
    CadrePostFactory(person=admin, org=few, is_admin=True)
    CadrePostFactory(person=admin, org=many, is_admin=True)
    _pending_rows(few, tree["fb"], 5)
    _pending_rows(many, tree["fb"], 50)
    url = reverse("transfers:history")
    client = client_as(admin, few)
    client.get(url)
    n_few = queries(client, url)
    client = client_as(admin, many)
    client.get(url)
    assert queries(client, url) == n_few


# transfers:batch -----------------------------------------------------------------------------------------


def _batch_url(branch):
    return reverse("transfers:batch") + f"?from_branch={branch.pk}"


def test_batch_prechecks_then_moves_the_ones_who_can(client_as, member, tree):
    busy = enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2004, 2, 2)), name="赵六",
                        joined_on=dt.date(2016, 5, 4))
    apply_for_transfer(member=busy, to_org=tree["fb"], reason="moved")
    client = client_as(tree["school_admin"], tree["school"])
    url = _batch_url(tree["b1"])
    page = html(client.get(url))
    assert member.name in page and busy.name in page and 'type="checkbox"' in page
    data = {"members": [member.pk, busy.pk], "to_branch": tree["b2"].pk, "reason": "moved", "stage": "precheck"}
    page = html(client.post(url, data))
    assert "预检结果" in page and "可以转接" in page and "已有一项正在办理的转接" in page
    assert branch_of(member) == tree["b1"]  # nothing moved yet
    confirm = {"members": [member.pk], "to_branch": tree["b2"].pk, "reason": "moved", "stage": "confirm",
               "idem": TOKEN.search(page).group(1)}
    resp = client.post(url, confirm)
    assert resp.status_code == 302 and branch_of(member) == tree["b2"]
    assert "请勿重复提交" in html(client.post(url, confirm, follow=True))
    assert TransferRequest.objects.filter(kind="batch").count() == 1


def _batch_page_queries(client, branch, people, to, capture_on_commit):
    """Queries of the pre-check page and of the confirmation (its messages after commit included)."""
    url = _batch_url(branch)
    data = {"members": [p.pk for p in people], "to_branch": to.pk, "reason": "moved", "stage": "precheck"}
    with CaptureQueriesContext(connection) as precheck:
        page = html(client.post(url, data))
    with CaptureQueriesContext(connection) as confirm, capture_on_commit(execute=True):
        assert client.post(url, {**data, "stage": "confirm", "idem": TOKEN.search(page).group(1)}).status_code == 302
    return len(precheck), len(confirm)


def test_batch_pages_cost_the_same_queries_for_3_or_30(client_as, tree, django_capture_on_commit_callbacks):
    """Issue 13: neither the pre-check nor the confirmation reads or writes once per member."""
    client = client_as(tree["school_admin"], tree["school"])
    few = [m.person for m in MembershipFactory.create_batch(3, branch=tree["b1"])]
    many = [m.person for m in MembershipFactory.create_batch(30, branch=tree["b1"])]
    assert _batch_page_queries(client, tree["b1"], few, tree["b2"], django_capture_on_commit_callbacks) == \
        _batch_page_queries(client, tree["b1"], many, tree["b2"], django_capture_on_commit_callbacks)
    assert TransferRequest.objects.filter(kind="batch", status="completed").count() == 33


def test_batch_refuses_more_than_30(client_as, tree):
    people = [m.person for m in MembershipFactory.create_batch(31, branch=tree["b1"])]
    resp = client_as(tree["school_admin"], tree["school"]).post(
        _batch_url(tree["b1"]), {"members": [p.pk for p in people], "to_branch": tree["b2"].pk, "reason": "moved",
                                 "stage": "precheck"})
    assert resp.status_code == 200 and "最多30人" in html(resp)  # R-TR-9, batch_too_large


def test_batch_is_refused_to_a_branch_admin_naming_the_rule(client_as, tree):
    resp = client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:batch"))
    assert resp.status_code == 403 and "批量接转由团委、团工委或团总支的管理员办理" in html(resp)


def test_batch_hides_a_branch_outside_the_acting_subtree(client_as, tree):
    assert client_as(tree["firm_admin"], tree["firm"]).get(_batch_url(tree["b1"])).status_code == 404


# transfers:messages and the navigation --------------------------------------------------------------------


def test_the_message_center_lists_my_messages_and_reads_them(client_as, member, applied, tree):
    Message.objects.create(recipient=member, request=applied, event="step_decided", text="给张小明的消息")
    Message.objects.create(recipient=tree["b1_admin"], request=applied, event="step_opened", text="给管理员的消息")
    client = client_as(member)
    page = html(client.get(reverse("transfers:messages")))
    assert "给张小明的消息" in page and "给管理员的消息" not in page
    assert reverse("transfers:detail", args=[applied.pk]) in page
    assert not Message.objects.filter(recipient=member, read_at__isnull=True).exists()
    assert Message.objects.filter(recipient=tree["b1_admin"], read_at__isnull=True).exists()


def test_an_application_reaches_the_approvers_message_center(client_as, member, tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client_as(member), reverse("transfers:apply"), {"to_org": tree["fb"].pk, "reason": "moved"})
    page = html(client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:messages")))
    assert member.name in page and "等待您处理" in page


def test_the_nav_shows_unread_and_waiting_counts(rf_request, member, applied, tree):
    Message.objects.create(recipient=tree["b1_admin"], request=applied, event="step_opened", text="新消息")
    nav = render_to_string("transfers/_nav.html", request=rf_request(tree["b1_admin"]))
    assert reverse("transfers:inbox") in nav and reverse("transfers:batch") not in nav
    assert re.search(r"待办&nbsp;<span class=\"badge pending\">1</span>", nav)
    assert re.search(r'消息&nbsp;<span class="badge warn"[^>]*>1</span>', nav)
    nav = render_to_string("transfers/_nav.html", request=rf_request(member))
    assert reverse("transfers:apply") in nav and reverse("transfers:inbox") not in nav
    nav = render_to_string("transfers/_nav.html", request=rf_request(tree["school_admin"]))
    assert reverse("transfers:batch") in nav


@pytest.fixture
def rf_request():
    def make(user):
        request = RequestFactory().get("/")
        request.user, request.session = user, {}
        user.is_verified = lambda: True  # as OTPMiddleware marks a session that has shown a second factor (R-ACC-5)
        return request

    return make


def test_the_nav_counts_unread_messages_in_one_query(rf_request, member, applied):
    Message.objects.create(recipient=member, request=applied, event="x", text="一条")
    from transfers.context_processors import transfer_counts

    counts = transfer_counts(rf_request(member))
    with CaptureQueriesContext(connection) as ctx:
        assert str(counts["transfer_unread"]) == "1"
    assert len(ctx.captured_queries) == 1


def test_messages_cost_the_same_queries_for_5_or_50_rows(client_as, tree):
    few, many = PersonFactory(password_set=True), PersonFactory(password_set=True)
    for person, n in ((few, 5), (many, 50)):
        Message.objects.bulk_create([Message(recipient=person, event="x", text=f"消息{i}") for i in range(n)])
    url = reverse("transfers:messages")
    client = client_as(few)
    client.get(url)
    Message.objects.update(read_at=None)
    n_few = queries(client, url)
    client = client_as(many)
    client.get(url)
    Message.objects.update(read_at=None)
    assert queries(client, url) == n_few


def test_the_messages_page_is_for_signed_in_people_only(client):
    assert client.get(reverse("transfers:messages")).url.startswith(LOGIN)


def test_a_nul_in_the_approval_comment_is_dropped_not_a_500(client_as, tree, member):
    """Free text posted outside a form is cleaned at the edge too (STYLE rule 11): PostgreSQL refuses NUL."""
    step = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved").steps.get()
    admin = client_as(tree["b1_admin"], tree["b1"])
    resp = post(admin, reverse("transfers:approve", args=[step.pk]), {"comment": "同\x00意\u200b"},
                page=reverse("transfers:inbox"))
    assert resp.status_code == 302
    step.refresh_from_db()
    assert step.status == "approved" and step.comment == "同意"


# transfers:member_search: the transfer-out picker searches as you type (issue 15 item 6) -------------------


def _search(client, query, branch=None):
    url = reverse("transfers:member_search") + (f"?branch={branch.pk}" if branch else "")
    return client.post(url, {"member_query": query}, HTTP_HX_REQUEST="true")


def test_the_picker_finds_members_of_the_branch_by_name_or_id_number_masked(client_as, member, tree):
    client = client_as(tree["b1_admin"], tree["b1"])
    for query in ("小明", member.id_number, member.id_number[:6], member.id_number.lower()):
        page = html(_search(client, query))
        assert f'name="member" value="{member.pk}"' in page, query
        assert member.masked_id_number in page
    assert member.id_number not in html(_search(client, "小明"))  # R-AUTH-6: masked in suggestions
    assert 'name="member"' not in html(_search(client, member.id_number[:10]))  # no longer prefix than lists show
    assert "没有姓名或身份证号" in html(_search(client, "李"))


def test_the_picker_serves_a_committee_the_branch_it_picked_only(client_as, member, tree):
    client = client_as(tree["school_admin"], tree["school"])
    assert f'value="{member.pk}"' in html(_search(client, "小明", tree["b1"]))
    assert 'name="member"' not in html(_search(client, "小明", tree["b2"]))
    assert _search(client_as(tree["uni_admin"], tree["uni"]), "小明", tree["b1"]).status_code == 404  # not directly below
    assert _search(client_as(tree["firm_admin"], tree["firm"]), "小明", tree["b1"]).status_code == 404


def test_the_picker_refuses_another_branch_a_member_anonymous_and_a_get(client, client_as, member, tree):
    assert _search(client, "小明").status_code == 302  # anonymous: to the login page
    assert 'name="member"' not in html(_search(client_as(tree["b2_admin"], tree["b2"]), "小明"))
    assert client.get(reverse("transfers:member_search")).status_code == 405
    assert _search(client_as(member), "小明").status_code == 403


def test_the_picker_shows_at_most_20_and_costs_the_same_queries_for_any_branch_size(client_as, tree):
    client = client_as(tree["b1_admin"], tree["b1"])
    for i in range(5):
        MembershipFactory(branch=tree["b1"], person=PersonFactory(name=f"王{i}"))
    _search(client, "王")

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            page = html(_search(client, "王"))
        return len(ctx.captured_queries), page

    five, _page = cost()
    for i in range(5, 30):
        MembershipFactory(branch=tree["b1"], person=PersonFactory(name=f"王{i}"))
    thirty, page = cost()
    assert page.count('name="member"') == 20 and "只显示前 20 人" in page
    assert five == thirty


def test_the_transfer_out_page_is_no_drop_down_of_every_member(client_as, member, tree):
    page = html(client_as(tree["b1_admin"], tree["b1"]).get(reverse("transfers:transfer_out")))
    assert "<select" not in page.split('id="member-results"')[1].split("</div>")[0]
    assert 'hx-post="/transfers/out/members/"' in page and f'value="{member.pk}"' in page


def test_without_javascript_a_typed_name_comes_back_as_choices_and_nothing_is_lost(client_as, member, tree):
    client = client_as(tree["b1_admin"], tree["b1"])
    url = reverse("transfers:transfer_out")
    resp = post(client, url, {"member_query": "小明", "to_org": tree["fb"].pk, "reason": "moved"})
    page = html(resp)
    assert resp.status_code == 200 and not TransferRequest.objects.exists()
    assert "请从“小明”的查找结果中点选" in page and f'name="member" value="{member.pk}"' in page
    assert 'value="小明"' in page and 'value="moved" selected' in page
    resp = post(client, url, {"member": member.pk, "to_org": tree["fb"].pk, "reason": "moved"})
    assert resp.status_code == 302 and TransferRequest.objects.get(member=member).kind == "out"


def test_the_member_search_cleans_a_nul_byte(client_as, tree, member):
    client = client_as(tree["b1_admin"], tree["b1"])
    resp = client.post(reverse("transfers:member_search") + f"?branch={tree['b1'].pk}", {"member_query": "张\x00小明"})
    assert resp.status_code == 200 and member.name in resp.content.decode()
