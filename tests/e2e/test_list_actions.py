"""Journey g (issue 15): a branch admin on a phone works from the member list — the key on a row issues a reset
code (R-ACC-2), the address reopened says the code is not shown again and 返回 leads to the person — and picks
the member to transfer out by typing part of the name (the picker's type-ahead)."""
import pytest
from playwright.sync_api import expect

from members.models import ResetCode

from .world import PASSWORD, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_g_branch_admin_works_from_the_list(ui):
    ui.journey = "list-actions"
    w = league()
    li = member(w.class1, "李思雨")
    member(w.class1, "张小明")
    member(w.class1, "张晓红")
    page = ui.open(phone=True)
    ui.sign_in(page, w.class1_admin.id_number, PASSWORD)

    page.goto(ui.url("people:members"))
    row = page.locator("tbody tr", has_text="李思雨")
    expect(row.get_by_role("link", name="编辑")).to_be_visible()
    ui.see(page, "1-member-list")
    row.get_by_role("button", name="生成重置码").click()
    expect(page.get_by_role("heading", name="重置码已生成")).to_be_visible()
    ui.see(page, "2-code")
    assert ResetCode.objects.filter(person=li, closed_at__isnull=True).count() == 1

    page.goto(ui.url("members:reset_code_issue", li.pk))  # the address the POST answered, reopened
    expect(page.get_by_role("heading", name="重置码不再显示")).to_be_visible()
    ui.see(page, "3-not-shown-again")
    page.get_by_role("link", name="返回").click()  # reopened from nowhere: back to the person
    expect(page).to_have_url(ui.url("people:detail", li.pk))
    ui.check(page)

    page.goto(ui.url("transfers:transfer_out"))
    ui.check(page)
    page.get_by_label("转出的团员", exact=True).fill("小明")
    results = page.locator("#member-results")
    expect(results.get_by_text("张小明")).to_be_visible()
    expect(results.get_by_text("李思雨")).to_have_count(0)
    results.get_by_text("张小明").click()
    expect(results.get_by_role("radio")).to_be_checked()
    ui.see(page, "4-transfer-out-picker")
