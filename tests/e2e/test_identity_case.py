"""Journey: an identity case (R-VER-5, issue 18). A branch's admin corrects a member's ID number to one another record
holds; R-VER-2 refuses it, and the admin sends it to the province with a photo of the card. The province's admin opens
the case from the inbox and untangles the two records; the branch's admin then sees the case resolved."""
import pytest
from playwright.sync_api import expect

from members.demo_cases import card_png
from members.models import IdentityCase, Person

from .world import PASSWORD, admin, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_identity_case_filed_with_a_photo_is_untangled_by_the_province(ui):
    ui.journey = "identity-case"
    w = league()
    province_admin = admin(w.beijing, "孙书记")
    mine = member(w.class1, "张小明", actor=w.class1_admin)
    theirs = member(w.class2, "李晓红", actor=w.class2_admin)
    mine_number, their_number = mine.id_number, theirs.id_number

    page = ui.open()
    ui.sign_in(page, w.class1_admin.id_number, PASSWORD)
    page.goto(ui.url("people:correct", mine.pk))
    page.get_by_label("新身份证号").fill(their_number)
    page.get_by_label("更正原因").fill("身份证号录错了")
    page.get_by_role("button", name="保存更正").click()
    expect(page.get_by_text("该身份证号已经登记")).to_be_visible()
    ui.see(page, "1-refused-by-r-ver-2")

    page.get_by_role("button", name="提交省级团委处理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("为 张小明 提交认证问题")
    expect(page.get_by_label("此人应为的身份证号")).to_have_value(their_number)
    page.get_by_label("两条记录身份信息混淆").check()
    page.get_by_label("情况说明").fill("录入时把两人的身份证号录反了，两人身份证照片附后。")
    page.get_by_label("身份证照片").set_input_files({"name": "card.png", "mimeType": "image/png", "buffer": card_png()})
    ui.see(page, "2-filing")
    page.get_by_role("button", name="提交省级团委", exact=True).click()
    expect(page.get_by_text("已提交省级团委处理")).to_be_visible()
    expect(page.locator("#identity-cases")).to_contain_text("待处理")
    ui.see(page, "3-filed")
    case = IdentityCase.objects.get(person=mine)

    operator = ui.open()
    ui.sign_in(operator, province_admin.id_number, PASSWORD)
    operator.goto(ui.url("cases:inbox"))
    expect(operator.get_by_role("main")).not_to_contain_text(mine_number)
    ui.see(operator, "4-inbox")
    operator.get_by_role("link", name="张小明").click()
    expect(operator.get_by_role("heading", name="另一条记录（已登记此身份证号）")).to_be_visible()
    with operator.expect_popup() as popup:
        operator.get_by_role("link", name="查看照片").click()
    assert popup.value.evaluate("document.contentType") == "image/png"
    popup.value.close()
    operator.get_by_label("两条记录互换身份证号").check()
    operator.locator("#id_u-reason").fill("核对两人身份证后互换身份证号。")
    ui.see(operator, "5-case")
    operator.get_by_role("button", name="理清记录").click()
    expect(operator.get_by_text("已处理：已理清记录")).to_be_visible()
    ui.see(operator, "6-untangled")

    page.goto(ui.url("people:detail", mine.pk))
    expect(page.locator("#identity-cases")).to_contain_text("已理清记录")
    expect(page.locator("#identity-cases")).to_contain_text("核对两人身份证后互换身份证号。")
    ui.see(page, "7-filer-sees-it-resolved")

    case.refresh_from_db()
    assert case.status == IdentityCase.Status.UNTANGLED
    assert Person.objects.get(pk=mine.pk).id_number == their_number
    assert Person.objects.get(pk=theirs.pk).id_number == mine_number
