"""Issue 15 item 4: the root admin's 录入团员 form offers the direct branches apart from the ones that need the
R-ENT-3 explanation; saving into one of those without it, or an under-age person without it, keeps the form and
everything typed and says why (R-AUTH-2, R-ENT-2), never a bare 403 page."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from members.models import Membership, Person
from orgs.models import OrgType
from tests.factories import make_id_number

from .world import PASSWORD, admin, league, org

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("phone", [True, False], ids=["375", "1280"])
def test_the_root_admin_is_told_on_the_form_and_loses_nothing(ui, phone):
    ui.journey = f"root-entry-{'phone' if phone else 'desk'}"
    w = league()
    office = org("共青团中央机关团支部", OrgType.BRANCH, w.central)
    root_admin = admin(w.central, "刘书记")
    page = ui.open(phone=phone)
    ui.sign_in(page, root_admin.id_number, PASSWORD)
    page.goto(ui.url("people:enter_member"))

    branch = page.get_by_role("combobox", name="团支部")
    expect(branch.locator("optgroup")).to_have_count(2)
    expect(branch.locator('optgroup[label="直接录入：本组织的直属团支部"] option')).to_have_text([office.full_name])
    expect(branch.locator('optgroup[label^="团中央统一录入"] option', has_text=w.class1.full_name)).to_have_count(1)
    assert page.evaluate(NO_SIDEWAYS)
    ui.see(page, "1-form")

    # A person of age, into a class branch three levels down, with no explanation: refused on the form (R-AUTH-2).
    id_number = make_id_number(dt.date(2004, 3, 1))
    branch.select_option(label=w.class1.full_name)
    page.get_by_label("姓名").fill("赵新")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("入团时间").fill("2016-05-04")
    page.get_by_label("手机号码").fill("13812345678")  # R-ENT-8: required at entry
    page.get_by_role("button", name="保存", exact=True).click()
    field = page.locator(".field", has=branch)
    expect(field.locator(".errorlist")).to_contain_text("只能录入到本组织的直属团支部")
    expect(page.get_by_label("姓名")).to_have_value("赵新")
    expect(page.get_by_label("身份证号")).to_have_value(id_number)
    expect(branch).to_have_value(str(w.class1.pk))
    ui.see(page, "2-refused-on-the-form")

    branch.select_option(label=office.full_name)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已录入团员 赵新。")
    ui.check(page)
    assert Membership.objects.get(person__id_number=id_number, ended_at__isnull=True).branch_id == office.pk

    # Under age (R-ENT-2) into the class branch without an explanation: the age rule, and where to explain.
    page.goto(ui.url("people:enter_member"))
    young = make_id_number(dt.date(2010, 6, 1))
    page.get_by_role("combobox", name="团支部").select_option(label=w.class1.full_name)
    page.get_by_label("姓名").fill("钱小")
    page.get_by_label("身份证号").fill(young)
    page.get_by_label("入团时间").fill("2020-01-01")
    page.get_by_label("手机号码").fill("13812345678")  # R-ENT-8: required at entry
    page.get_by_label("发展团员编号").fill("202000000001")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".field", has=page.get_by_label("入团时间")).locator(".errorlist")).to_contain_text("入团时未满13周岁")
    explanation = page.get_by_label("团中央统一录入说明")
    expect(page.locator(".field", has=explanation).locator(".errorlist")).to_contain_text("请在这里写明理由")
    assert page.evaluate(NO_SIDEWAYS)
    ui.see(page, "3-age-rule")
    explanation.fill("团中央统一录入：历史档案核实无误")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已录入团员 钱小。")
    ui.check(page)
    assert Person.objects.get(id_number=young).override_reason.startswith("团中央统一录入")
