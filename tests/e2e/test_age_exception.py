"""R-ENT-11, the whole chain in the browser: a county-level committee's admin is refused an under-age entry (R-ENT-2)
and files an age-exception request from the refusal, with what was typed; the province forwards it and downloads
the list for the centre; the centre enters the person in one action (R-ENT-3); the person signs in with the last 8
characters of the ID number (R-ACC-1)."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from members.models import AgeExceptionRequest, Membership
from orgs.models import OrgType
from tests.factories import make_id_number

from .world import PASSWORD, admin, league, org

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_county_files_the_province_forwards_the_centre_enters_the_person_signs_in(ui):
    ui.journey = "age-exception"
    w = league()
    county = org("共青团北京市海淀区委员会", OrgType.LEADING, w.beijing)
    branch = org("海淀区学院路社区团支部", OrgType.BRANCH, county)
    county_admin = admin(county, "周书记")
    province_admin = admin(w.beijing, "孙书记")
    central_admin = admin(w.central, "刘书记")
    young = make_id_number(dt.date(2008, 6, 1))

    # 1. The county's admin enters someone who joined at 11 (R-ENT-2 refuses), then asks the centre instead.
    page = ui.open()
    ui.sign_in(page, county_admin.id_number, PASSWORD)
    page.goto(ui.url("people:enter_member"))
    page.get_by_role("combobox", name="团支部").select_option(label=branch.full_name)
    page.get_by_label("姓名").fill("李小年")
    page.get_by_label("身份证号").fill(young)
    page.get_by_label("入团时间").fill("2020-05-04")
    page.get_by_label("发展团员编号").fill("202000000123")
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".errorlist").first).to_contain_text("入团")
    ui.see(page, "1-refused")
    page.get_by_role("button", name="申请例外录入").click()
    expect(page.get_by_role("heading", name="申请例外录入")).to_be_visible()
    expect(page.get_by_label("身份证号")).to_have_value(young)          # what was typed came along
    expect(page.get_by_label("联系方式（手机号码）")).to_have_value("13800138000")
    page.get_by_label("情况说明").fill("2020年5月由社区团支部发展入团，时年11岁，入团志愿书存档，经区团委核实。")
    ui.see(page, "2-request-form")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("status")).to_contain_text("已提交 李小年 的年龄例外录入申请")
    ui.see(page, "3-filed")
    req = AgeExceptionRequest.objects.get(id_number=young)
    assert (req.status, req.branch_id, req.filed_as_id) == ("filed", branch.pk, county.pk)

    # 2. The province sees it with the totals, forwards it, and downloads the list for the centre.
    page = ui.open()
    ui.sign_in(page, province_admin.id_number, PASSWORD)
    page.goto(ui.url("age_exceptions:province"))
    expect(page.get_by_role("heading", name="待汇总报送：共 1 人")).to_be_visible()
    ui.see(page, "4-province")
    page.get_by_role("button", name="报送团中央").click()
    expect(page.get_by_role("status")).to_contain_text("已报送团中央：1 人")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载汇总表").click()
    rows = list(load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active.iter_rows(values_only=True))
    assert rows[2][1:] == ("李小年", young, "13800138000", branch.full_name)
    ui.see(page, "5-forwarded")

    # 3. The centre enters the person from the request in one action.
    page = ui.open()
    ui.sign_in(page, central_admin.id_number, PASSWORD)
    page.goto(ui.url("age_exceptions:inbox"))
    expect(page.get_by_role("heading", name="李小年")).to_be_visible()
    ui.see(page, "6-inbox")
    page.get_by_role("button", name="统一录入").click()
    expect(page.locator(".messages")).to_contain_text("已统一录入 李小年")
    ui.see(page, "7-entered")
    req.refresh_from_db()
    assert req.status == "entered"
    assert Membership.objects.get(person=req.person, ended_at__isnull=True).branch_id == branch.pk

    # 4. The person signs in with the last 8 characters of the ID number.
    page = ui.open(phone=True)
    page.goto(ui.url("login"))
    ui.check(page)
    page.get_by_label("身份证号").fill(young)
    page.get_by_label("密码", exact=True).fill(young[-8:])
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(ui.url("password_change"))
    ui.see(page, "8-person-signs-in")
