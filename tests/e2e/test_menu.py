"""Issue 15 item 1: the main navigation fits a phone (375 px) and a desk (1280 px). Every item, 消息 with its
unread count, is in sight on every page or one tap away in its group, and no page scrolls sideways."""
import pytest
from playwright.sync_api import Page, expect

from transfers.models import Message

from .world import PASSWORD, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBER_ITEMS = ["首页", "我的转接", "申请转接", "我的信息", "消息"]
ADMIN_LINKS = ["首页", "组织", "消息"]
ADMIN_GROUPS = ["人员", "接转", "报表"]
GROUP_SHOTS = {"人员": "people", "接转": "transfers", "报表": "reports"}
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def _unread(person, n: int = 2) -> None:
    Message.objects.bulk_create([Message(recipient=person, event="test", text=f"消息 {i}") for i in range(n)])


def _fits(page: Page) -> None:
    assert page.evaluate(NO_SIDEWAYS), f"{page.url} scrolls sideways at {page.viewport_size['width']} px"


def _unread_badge(nav) -> None:
    messages = nav.get_by_role("link", name="消息")
    expect(messages).to_be_in_viewport()
    expect(messages.locator(".badge")).to_have_text("2")
    expect(messages.locator(".badge")).to_be_in_viewport()


@pytest.mark.parametrize("phone", [True, False], ids=["375", "1280"])
def test_a_member_reaches_every_item_in_one_tap_from_every_page(ui, phone):
    ui.journey = f"menu-member-{'phone' if phone else 'desk'}"
    w = league()
    xiaoming = member(w.class1, "张小明", password=PASSWORD)
    _unread(xiaoming)
    page = ui.open(phone=phone)
    ui.sign_in(page, xiaoming.id_number, PASSWORD)
    ui.see(page, "home")
    for target in MEMBER_ITEMS:
        nav = page.get_by_role("navigation", name="主导航")
        for item in MEMBER_ITEMS:  # all of them in sight, whatever page this is
            expect(nav.get_by_role("link", name=item, exact=False).first).to_be_in_viewport()
        _fits(page)
        nav.get_by_role("link", name=target).first.click()
        expect(nav.get_by_role("link", name=target).first).to_have_attribute("aria-current", "page")
        ui.check(page)
        _fits(page)
    ui.see(page, "messages")


@pytest.mark.parametrize("phone", [True, False], ids=["375", "1280"])
def test_an_admin_reaches_every_item_from_every_group_and_no_page_scrolls_sideways(ui, phone):
    ui.journey = f"menu-admin-{'phone' if phone else 'desk'}"
    w = league()
    _unread(w.firm_admin)
    page = ui.open(phone=phone)
    ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
    nav = page.get_by_role("navigation", name="主导航")
    _unread_badge(nav)
    for name in ADMIN_LINKS:
        expect(nav.get_by_role("link", name=name).first).to_be_in_viewport()
    for group in ADMIN_GROUPS:
        expect(nav.locator("summary", has_text=group)).to_be_in_viewport()

    for group in ADMIN_GROUPS:
        nav.locator("summary", has_text=group).click()
        links = nav.locator("details[open] .menu-list a")
        names = links.all_inner_texts()
        assert len(names) >= 5, names
        for n in range(len(names)):
            expect(links.nth(n)).to_be_in_viewport()  # one tap on the group, one on the item
        ui.see(page, f"open-{GROUP_SHOTS[group]}")
        nav.locator("summary", has_text=group).click()  # closes it again
        for n in range(len(names)):  # every item's page: the bar still whole, nothing wider than the screen
            nav.locator("summary", has_text=group).click()
            nav.locator("details[open] .menu-list a").nth(n).click()
            page.wait_for_load_state()
            # axe-core reads each item's page once, at the desk; on the phone the policy, the bar and the width (the
            # bar itself is read by axe-core on the phone too: the home and messages pages, ui.see).
            ui.check(page, axe=not phone)
            _fits(page)
            expect(nav.get_by_role("link", name="消息")).to_be_in_viewport()
    for name in ADMIN_LINKS:
        nav.get_by_role("link", name=name).first.click()
        ui.check(page)
        _fits(page)
        if name != "消息":  # opening the messages marks them read
            _unread_badge(nav)
    ui.see(page, "messages")


def test_the_phone_bar_fits_in_english_too(ui):
    ui.journey = "menu-admin-phone-en"
    w = league()
    _unread(w.firm_admin)
    page = ui.open(phone=True)
    ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
    page.get_by_role("button", name="English").click()
    nav = page.get_by_role("navigation", name="Main navigation")
    for name in ("Home", "Messages"):
        expect(nav.get_by_role("link", name=name).first).to_be_in_viewport()
    for group in ("Person", "Transfers", "Reports"):
        expect(nav.locator("summary", has_text=group)).to_be_in_viewport()
    expect(nav.get_by_role("link", name="Messages").locator(".badge")).to_have_text("2")
    _fits(page)
    ui.see(page, "home")
