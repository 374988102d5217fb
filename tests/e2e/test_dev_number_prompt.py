"""Journey (issue 18, R-ENT-5): a member whose development number a segment allocated later makes non-standard is
flagged at once, and sees a dialog after signing in, on a phone, naming the case and the way to fix it: focus stays
inside it, Esc closes it for the session, the next sign-in shows it again; fixed, it is gone. The branch's admin sees
the count of their members with such numbers."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from members.models import Person
from members.services import allocate_segment, enter_member, update_profile
from tests.factories import make_id_number

from .world import PASSWORD, league

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INSIDE = "document.getElementById('dev-prompt').contains(document.activeElement)"


def _sign_out(ui, page):
    page.get_by_role("button", name="退出").click()
    ui.check(page)


def test_a_member_made_non_standard_by_a_new_segment_is_prompted_until_fixed(ui):
    ui.journey = "dev-number-prompt"
    w = league()
    alice = enter_member(actor=w.class1_admin, branch=w.class1, id_number=make_id_number(dt.date(2003, 3, 1)),
                         name="张小明", joined_on=dt.date(2019, 5, 4), development_number="201900000500")
    alice.set_password(PASSWORD)
    alice.save(update_fields=["password", "password_set"])
    allocate_segment(actor=None, org=w.uni, year=2019, first="201900000001", last="201900000100")
    assert Person.objects.get(pk=alice.pk).dev_number_issue == "segment"   # re-flagged by the allocation

    phone = ui.open(phone=True)
    ui.sign_in(phone, alice.id_number, PASSWORD)
    dialog = phone.get_by_role("dialog", name="发展团员编号需要核对")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("位数或号段不符")
    expect(dialog.get_by_role("button", name="去修改我的编号")).to_be_visible()
    assert phone.evaluate(INSIDE)
    for _ in range(5):   # round and round the dialog's controls, never out of it
        phone.keyboard.press("Tab")
        assert phone.evaluate(INSIDE)
    phone.keyboard.press("Shift+Tab")
    assert phone.evaluate(INSIDE)
    ui.see(phone, "1-member-phone")

    with phone.expect_response(lambda r: "number-prompt/close" in r.url):
        phone.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    phone.reload()
    ui.check(phone)
    expect(phone.locator("#dev-prompt")).to_have_count(0)   # closed for this session

    _sign_out(ui, phone)
    ui.sign_in(phone, alice.id_number, PASSWORD)
    expect(phone.get_by_role("dialog")).to_be_visible()       # the next sign-in: again
    phone.get_by_role("button", name="本次登录不再提示").click()
    expect(phone.get_by_role("dialog")).to_be_hidden()

    update_profile(actor=alice, person=Person.objects.get(pk=alice.pk), development_number="201900000050")
    _sign_out(ui, phone)
    ui.sign_in(phone, alice.id_number, PASSWORD)
    expect(phone.locator("#dev-prompt")).to_have_count(0)     # fixed: no more dialog


def test_the_branch_admin_sees_how_many_of_their_members_to_fix(ui):
    ui.journey = "dev-number-prompt"
    w = league()
    for n, number in enumerate(("201900000500", "201900000501")):
        enter_member(actor=w.class1_admin, branch=w.class1, id_number=make_id_number(dt.date(2003, 3, 1)),
                     name=f"李同学{n}", joined_on=dt.date(2019, 5, 4), development_number=number)
    allocate_segment(actor=None, org=w.uni, year=2019, first="201900000001", last="201900000100")

    desk = ui.open()
    ui.sign_in(desk, w.class1_admin.id_number, PASSWORD)
    dialog = desk.get_by_role("dialog", name="发展团员编号需要核对")
    expect(dialog).to_contain_text("有 2 名团员")
    ui.see(desk, "2-branch-admin")
    dialog.get_by_role("button", name="查看编号有问题的团员").click()
    ui.check(desk)
    expect(desk.locator("#dev-prompt")).to_have_count(0)   # the way to the fix closes it for the session
    expect(desk.get_by_role("table")).to_contain_text("李同学0")
