"""Journey: a university committee's admin keeps its organizations up (issue 15): renames a general branch (a name
in use is refused first), sets its term's end, moves a class branch to stand directly under the committee, tries to
dissolve a branch that still has a member (refused, with what is left) and dissolves an empty one; the list of terms
due. On a desk (1280 px) and on a phone (375 px)."""
import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orgs.history import FormerName
from orgs.models import Organization

from .world import PASSWORD, admin, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fresh(org) -> Organization:
    return Organization.objects.get(pk=org.pk)


def test_committee_admin_renames_moves_and_dissolves(ui):
    ui.journey = "org-upkeep"
    w = league()
    uni_admin = admin(w.uni, "刘书记")
    member(w.class1, "李明")
    page = ui.open()
    ui.sign_in(page, uni_admin.id_number, PASSWORD)

    # Rename: the name in use is refused with the rule's message, the input kept; then a free name.
    page.goto(ui.url("orgs:detail", w.school.pk))
    expect(page.get_by_role("heading", name="组织维护")).to_be_visible()
    ui.see(page, "1-detail")
    page.get_by_role("link", name="改名", exact=True).click()
    page.get_by_label("新全称").fill("北京示范科技有限公司团委")
    page.get_by_role("button", name="确认改名").click()
    expect(page.get_by_text("全称不能重复")).to_be_visible()
    expect(page.get_by_label("新全称")).to_have_value("北京示范科技有限公司团委")
    ui.see(page, "2-rename-refused")
    page.get_by_label("新全称").fill("北京示范大学计算机学院团总支")
    page.get_by_role("button", name="确认改名").click()
    expect(page.get_by_role("status")).to_contain_text("已改名为“北京示范大学计算机学院团总支”")
    expect(page.locator(".former-names")).to_contain_text("北京示范大学信息学院团总支")

    # The term's end, 10 days from today: "还剩 10 天".
    due = timezone.localdate() + dt.timedelta(days=10)
    page.get_by_label("届满日期（下次换届）").fill(due.isoformat())
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("还剩 10 天")).to_be_visible()
    ui.see(page, "3-renamed-with-term")
    assert FormerName.objects.get(org=w.school).full_name == "北京示范大学信息学院团总支"

    # Move class 2 to stand directly under the committee: search the picker, confirm with the figures.
    page.goto(ui.url("orgs:detail", w.class2.pk))
    ui.check(page)
    page.get_by_role("link", name="调整隶属").click()
    expect(page.get_by_role("heading", name="选择新的上级组织")).to_be_visible()
    ui.check(page)
    page.get_by_label("按全称搜索").fill("示范大学团委")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_label("按全称搜索")).to_have_value("示范大学团委")
    ui.check(page)
    page.get_by_role("link", name="北京示范大学团委").click()
    expect(page.get_by_role("heading", name="请确认")).to_be_visible()
    ui.see(page, "4-move-confirm")
    page.get_by_role("button", name="确认调整").click()
    expect(page.get_by_role("status")).to_contain_text("已把“北京示范大学信息学院2022级2班团支部”调整到“北京示范大学团委”之下")
    ui.check(page)
    assert _fresh(w.class2).parent_id == w.uni.pk

    # Dissolve: class 1 still has a member (refused, with what is left); class 2 is empty.
    page.goto(ui.url("orgs:dissolve", w.class1.pk))
    expect(page.get_by_role("alert")).to_contain_text("该组织还有团员 1 名，不能撤销。请先把团员转出。")
    expect(page.get_by_role("button", name="确认撤销")).to_have_count(0)
    ui.see(page, "5-dissolve-refused")
    page.goto(ui.url("orgs:dissolve", w.class2.pk))
    ui.check(page)
    page.get_by_role("button", name="确认撤销").click()
    expect(page.get_by_role("status")).to_contain_text("已撤销")
    ui.check(page)
    assert not _fresh(w.class2).is_active and _fresh(w.class1).is_active

    page.goto(ui.url("orgs:terms_due"))
    expect(page.get_by_role("link", name="北京示范大学计算机学院团总支")).to_be_visible()
    ui.see(page, "6-terms-due")

    # On a phone: the detail page's upkeep card, the move picker and a refusal.
    phone = ui.open(phone=True)
    ui.sign_in(phone, uni_admin.id_number, PASSWORD)
    phone.goto(ui.url("orgs:detail", w.school.pk))
    expect(phone.get_by_role("heading", name="组织维护")).to_be_visible()
    ui.see(phone, "7-phone-detail")
    phone.goto(ui.url("orgs:move", w.class1.pk))
    expect(phone.get_by_role("heading", name="选择新的上级组织")).to_be_visible()
    ui.see(phone, "8-phone-move")
    phone.goto(ui.url("orgs:dissolve", w.class1.pk))
    expect(phone.get_by_role("alert")).to_contain_text("不能撤销")
    ui.see(phone, "9-phone-dissolve-refused")
