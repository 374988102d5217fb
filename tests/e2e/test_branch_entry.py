"""Journey c: a branch admin enters a member with a wrong development number, reads the rule's message next to
the field, fixes it and saves."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from members.models import Membership, Person
from tests.factories import make_id_number

from .world import PASSWORD, league

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_c_branch_admin_fixes_a_wrong_development_number(ui):
    ui.journey = "member-entry"
    w = league()
    id_number = make_id_number(dt.date(2006, 2, 2))
    page = ui.open()
    ui.sign_in(page, w.class1_admin.id_number, PASSWORD)

    nav = page.get_by_role("navigation", name="主导航")
    nav.locator("summary", has_text="人员").click()
    nav.get_by_role("link", name="录入团员").click()
    expect(page.get_by_role("heading", name="录入团员")).to_be_visible()
    ui.see(page, "1-form")
    page.get_by_label("姓名").fill("李思雨")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("入团时间").fill("2020-05-04")
    page.get_by_label("手机号码").fill("13812345678")  # R-ENT-8: required at entry, as in the import template
    number = page.get_by_label("发展团员编号")
    number.fill("201900000001")  # R-ENT-4: the first 4 digits are the joining year, 2020
    page.get_by_role("button", name="保存", exact=True).click()

    field = page.locator(".field", has=number)
    expect(field.locator(".errorlist")).to_have_text("发展团员编号前4位应为入团年份 2020。")
    expect(number).to_be_focused()  # the first error takes the focus
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("姓名")).to_have_value("李思雨")  # nothing typed is lost
    expect(page.get_by_role("alert")).to_contain_text("有 1 处需要修改")
    ui.see(page, "2-wrong-number")
    assert not Person.objects.filter(id_number=id_number).exists()

    number.fill("202000000001")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已录入团员 李思雨。")
    expect(page.get_by_role("heading", name="李思雨")).to_be_visible()
    ui.see(page, "3-saved")

    person = Person.objects.get(id_number=id_number)
    assert person.development_number == "202000000001"
    assert Membership.objects.get(person=person, ended_at__isnull=True).branch_id == w.class1.pk
