"""Journey (issue 12, R-ACC-5): an admin signs in with the password and is asked to set up an authenticator app
before any admin page; a wrong code is refused; the right one sets it up and shows 10 backup codes once. Signed
out and in again, the password alone opens no admin page until the code is typed; a backup code works on a phone.
A member signs in with the password alone."""
import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from access.factors import authenticator_of
from audit.models import AuditEvent
from tests.factories.otp import next_code

from .world import PASSWORD, admin, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _password_only(ui, page, person) -> None:
    page.goto(ui.url("login"))
    ui.check(page)
    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).not_to_have_url(ui.url("login"))


def _code_on_screen(page) -> str:
    """What the authenticator app shows after the secret on the page is typed into it."""
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    return f"{totp(b32decode(secret + '=' * (-len(secret) % 8))):06d}"


def test_an_admin_sets_up_two_factors_and_needs_the_code_from_then_on(ui):
    ui.journey = "two-factor"
    w = league()
    newcomer = admin(w.sales, "周书记", authenticator=False)
    second = admin(w.lab, "吴书记", authenticator=False)
    alice = member(w.class1, "张小明", password=PASSWORD)
    verify = re.compile(re.escape(ui.url("two_factor:verify")))

    # The password: an admin without an app is sent to set one up, before any admin page.
    desk = ui.open()
    _password_only(ui, desk, newcomer)
    expect(desk).to_have_url(re.compile(re.escape(ui.url("two_factor:enrol"))))
    expect(desk.get_by_role("img", name="身份验证器的设置二维码")).to_be_visible()
    ui.see(desk, "1-enrol")

    wrong = "000000" if _code_on_screen(desk) != "000000" else "111111"
    desk.get_by_label("验证码").fill(wrong)
    desk.get_by_role("button", name="绑定", exact=True).click()
    expect(desk.get_by_text("验证码不正确")).to_be_visible()
    ui.see(desk, "2-enrol-wrong-code")
    assert AuditEvent.objects.filter(actor=newcomer, action="account.otp_fail", result="denied").count() == 1

    desk.get_by_label("验证码").fill(_code_on_screen(desk))
    desk.get_by_role("button", name="绑定", exact=True).click()
    codes = desk.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    backup = [c.replace(" ", "") for c in codes.all_inner_texts()]
    ui.see(desk, "3-backup-codes")
    desk.get_by_role("link", name="我已保存，继续").click()
    desk.goto(ui.url("people:members"))
    expect(desk.get_by_role("heading", level=1)).to_contain_text("团员")
    ui.check(desk)

    # Signed out and in again: the password alone opens no admin page.
    desk.get_by_role("button", name="退出").click()
    expect(desk).to_have_url(re.compile(re.escape(ui.url("login"))))
    ui.check(desk)
    _password_only(ui, desk, newcomer)
    expect(desk).to_have_url(verify)
    ui.see(desk, "4-verify")
    desk.goto(ui.url("people:members"))
    expect(desk).to_have_url(verify)
    ui.check(desk)
    desk.goto(ui.url("home"))
    expect(desk.get_by_role("region", name="管理功能需要两步验证")).to_be_visible()
    ui.see(desk, "5-home-without-the-code")

    desk.goto(ui.url("two_factor:verify") + "?next=/people/")
    ui.check(desk)
    desk.get_by_label("验证码").fill(next_code(authenticator_of(newcomer)))
    desk.get_by_role("button", name="验证", exact=True).click()
    expect(desk).to_have_url(ui.url("people:members"))
    ui.check(desk)

    # On a phone, without the phone's app at hand: a backup code, once.
    phone = ui.open(phone=True)
    _password_only(ui, phone, newcomer)
    expect(phone).to_have_url(verify)
    ui.see(phone, "6-verify-phone")
    phone.get_by_label("验证码").fill(backup[0][:5] + " " + backup[0][5:])
    phone.get_by_role("button", name="验证", exact=True).click()
    expect(phone).not_to_have_url(verify)
    ui.check(phone)
    assert AuditEvent.objects.get(actor=newcomer, action="account.otp_verify", detail__kind="backup")

    # Another admin's first sign-in on a phone: the set-up page as a phone shows it.
    other = ui.open(phone=True)
    _password_only(ui, other, second)
    expect(other).to_have_url(re.compile(re.escape(ui.url("two_factor:enrol"))))
    ui.see(other, "7-enrol-phone")

    # A member: the password alone, straight home.
    mine = ui.open(phone=True)
    _password_only(ui, mine, alice)
    expect(mine).to_have_url(ui.url("home"))
    expect(mine.get_by_role("region", name="管理功能需要两步验证")).to_have_count(0)
    ui.see(mine, "8-member-home")
