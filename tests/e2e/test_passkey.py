"""Journey (issue 12, R-ACC-5, passkeys): an admin adds a passkey instead of an authenticator app — Chromium's
virtual authenticator stands in for a phone's fingerprint — gets the backup codes with it, and after signing out
and in with the password, the passkey is the second factor that opens the admin pages."""
import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from audit.models import AuditEvent

from .world import PASSWORD, admin, league

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fingerprint_reader(page) -> None:
    """A platform authenticator that always finds its user present and verified (a phone's fingerprint)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})


def _password(ui, page, person) -> None:
    page.goto(ui.url("login"))
    ui.check(page)
    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).not_to_have_url(ui.url("login"))


def test_an_admin_signs_in_with_a_passkey_as_the_second_factor(ui, live_server, settings):
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]  # the live server's port changes every run
    ui.journey = "passkey"
    w = league()
    newcomer = admin(w.sales, "周书记", authenticator=False)

    page = ui.open(phone=True)
    _fingerprint_reader(page)
    _password(ui, page, newcomer)
    expect(page).to_have_url(re.compile(re.escape(ui.url("two_factor:enrol"))))
    ui.check(page)
    page.get_by_role("button", name="添加通行密钥").click()
    expect(page).to_have_url(re.compile(re.escape(ui.url("two_factor:passkey_added"))))
    expect(page.get_by_role("heading", level=1)).to_have_text("通行密钥已添加，请保存备用码")
    expect(page.locator("#backup-codes li")).to_have_count(10)
    ui.see(page, "1-added-with-backup-codes")
    passkey = WebAuthnCredential.objects.get(user=newcomer)
    assert passkey.name == "passkey"
    page.get_by_role("link", name="我已保存，继续").click()
    page.goto(ui.url("people:members"))
    expect(page).to_have_url(ui.url("people:members"))
    ui.check(page)

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(re.escape(ui.url("login"))))
    ui.check(page)
    _password(ui, page, newcomer)
    expect(page).to_have_url(re.compile(re.escape(ui.url("two_factor:verify"))))
    button = page.get_by_role("button", name="使用通行密钥验证")
    expect(button).to_be_visible()
    ui.see(page, "2-verify-with-passkey")
    button.click()
    expect(page).to_have_url(ui.url("home"))
    expect(page.get_by_role("region", name="管理功能需要两步验证")).to_have_count(0)
    ui.check(page)
    page.goto(ui.url("people:members"))
    expect(page).to_have_url(ui.url("people:members"))
    ui.check(page)
    kinds = list(AuditEvent.objects.filter(actor=newcomer, action__in=["account.otp_enrol", "account.otp_verify"])
                 .order_by("pk").values_list("action", "detail__kind"))
    assert kinds == [("account.otp_enrol", "passkey"), ("account.otp_verify", "passkey")]
