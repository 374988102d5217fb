"""R-ACC-5 with passkeys (django-otp-webauthn): a passkey is a second factor like the authenticator app — it opens
the code page's passkey button, a first one comes with backup codes, a custodian's reset removes it — and its
ceremonies keep our rules: admins only, the factor first when there is one, every answer audited and counted."""
import json
import os

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from access.factors import has_second_factor, new_key
from access.services import enrol_authenticator, passkey_added, reset_second_factor
from audit.models import AuditEvent
from tests.conftest import second_factor
from tests.factories.otp import totp_code
from tests.test_i18n import data_names, switch_to_english, untranslated
from transfers.models import Message

pytestmark = pytest.mark.django_db

PASSWORD = "Tuan-2026-strong"


def a_passkey(person) -> WebAuthnCredential:
    """A passkey row as the library stores one after a registration ceremony."""
    return WebAuthnCredential.objects.create(user=person, name="passkey", credential_id=os.urandom(16),
                                             public_key=os.urandom(32), aaguid="00000000-0000-0000-0000-000000000000")


@pytest.fixture
def admin(tree):
    person = tree["b1_admin"]
    person.set_password(PASSWORD)
    person.save(update_fields=["password", "password_set"])
    return person


def api(client, name, data=None):
    return client.post(reverse(f"otp_webauthn:{name}"), json.dumps(data or {}), content_type="application/json")


# a factor like the app ---------------------------------------------------------------------------------------


def test_a_passkey_is_a_second_factor(admin):
    assert not has_second_factor(admin)
    a_passkey(admin)
    assert has_second_factor(admin)


def test_the_code_page_offers_the_passkey_with_the_librarys_scripts(client_as, admin):
    a_passkey(admin)
    client = client_as(admin, verified=False)
    assert client.get(reverse("people:members")).url.startswith(reverse("two_factor:verify"))
    page = client.get(reverse("two_factor:verify")).content.decode()
    assert 'id="passkey-verification-button"' in page and 'id="otp_webauthn_config"' in page
    assert "/static/django_otp_webauthn/otp_webauthn_auth.js" in page
    assert "或者输入备用码" in page  # no app: the field takes backup codes


def test_the_enrolment_page_offers_a_passkey(client_as, admin):
    page = client_as(admin, verified=False).get(reverse("two_factor:enrol")).content.decode()
    assert 'id="passkey-register-button"' in page and "otp_webauthn_register.js" in page and "js/passkeys.js" in page


def test_a_first_passkey_comes_with_backup_codes_audited_and_told(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        codes = passkey_added(actor=admin, passkey=a_passkey(admin))
    assert len(codes) == 10 and StaticToken.objects.filter(device__user=admin).count() == 10
    event = AuditEvent.objects.get(actor=admin, action="account.otp_enrol")
    assert event.detail["kind"] == "passkey" and event.detail["backup_codes_issued"]
    assert Message.objects.filter(recipient=admin, event="otp_enrolled").exists()
    assert passkey_added(actor=admin, passkey=a_passkey(admin)) == []  # a second one keeps the codes
    assert StaticToken.objects.filter(device__user=admin).count() == 10


def test_a_new_authenticator_app_keeps_the_passkeys(admin):
    passkey = a_passkey(admin)
    key = new_key()
    enrol_authenticator(actor=admin, key=key, code=totp_code(key), session_verified=True)
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_a_custodians_reset_removes_the_passkeys_too(admin, tree):
    a_passkey(admin)
    second_factor(admin)
    reset_second_factor(actor=tree["school_admin"], acting_org=tree["school"], person=admin)
    assert not WebAuthnCredential.objects.filter(user=admin).exists() and not has_second_factor(admin)


def test_a_reset_of_passkeys_alone_is_a_reset(admin, tree):
    a_passkey(admin)
    reset_second_factor(actor=tree["school_admin"], acting_org=tree["school"], person=admin)
    assert AuditEvent.objects.get(action="account.otp_reset").result == "ok"


# registration ceremonies -------------------------------------------------------------------------------------


def test_an_admin_without_a_factor_may_begin_a_registration(client_as, admin):
    resp = api(client_as(admin, verified=False), "credential-registration-begin")
    assert resp.status_code == 200
    options = resp.json()
    assert options["rp"]["id"] == "localhost" and options["rp"]["name"] == "团籍"
    assert admin.id_number not in json.dumps(options, ensure_ascii=False)  # R-AUTH-6: the name, not the ID number


def test_a_member_may_not_register_a_passkey(client_as, member):
    resp = api(client_as(member), "credential-registration-begin")
    assert resp.status_code == 403 and resp.json() == {
        "detail": "只有团组织管理员需要添加通行密钥。", "code": "not_admin"}


def test_a_password_alone_never_adds_a_passkey_beside_a_factor(client_as, admin):
    second_factor(admin)
    resp = api(client_as(admin, verified=False), "credential-registration-begin")
    assert resp.status_code == 403 and resp.json()["code"] == "user_not_verified"
    assert "请先用现有的身份验证器" in resp.json()["detail"]
    assert api(client_as(admin), "credential-registration-begin").status_code == 200


def test_a_finished_registration_is_audited_and_the_codes_shown_once(client_as, admin, monkeypatch):
    client = client_as(admin, verified=False)
    api(client, "credential-registration-begin")
    monkeypatch.setattr(WebAuthnHelper, "register_complete", lambda self, user, state, data: a_passkey(user))
    resp = api(client, "credential-registration-complete", {"id": "x"})
    assert resp.status_code == 200 and resp.json()["redirect_url"] == reverse("two_factor:passkey_added")
    assert client.session[DEVICE_ID_SESSION_KEY].startswith("django_otp_webauthn.webauthncredential/")
    page = client.get(reverse("two_factor:passkey_added") + "?next=/people/")
    codes = StaticToken.objects.filter(device__user=admin).values_list("token", flat=True)
    assert "no-store" in page["Cache-Control"] and all(f"{c[:5]} {c[5:]}" in page.content.decode() for c in codes)
    again = client.get(reverse("two_factor:passkey_added") + "?next=/people/")
    assert again.status_code == 302 and again.url == "/people/"  # once
    assert client.get(reverse("people:members")).status_code == 200


# authentication ceremonies -----------------------------------------------------------------------------------


def test_no_passkey_sign_in_without_the_password(client):
    assert api(client, "credential-authentication-begin").status_code == 403


def test_a_passkey_verifies_the_session_audited(client_as, admin, monkeypatch):
    passkey = a_passkey(admin)
    client = client_as(admin, verified=False)
    assert api(client, "credential-authentication-begin").status_code == 200
    monkeypatch.setattr(WebAuthnHelper, "authenticate_complete", lambda self, user, state, data: passkey)
    resp = client.post(reverse("otp_webauthn:credential-authentication-complete") + "?next=/people/", "{}",
                       content_type="application/json")
    assert resp.status_code == 200 and resp.json()["redirect_url"] == "/people/"
    assert client.session[DEVICE_ID_SESSION_KEY] == passkey.persistent_id
    assert client.get(reverse("people:members")).status_code == 200
    assert AuditEvent.objects.get(actor=admin, action="account.otp_verify").detail["kind"] == "passkey"


def test_a_refused_passkey_is_audited_counted_and_then_stops_the_ceremony(client_as, admin, monkeypatch):
    a_passkey(admin)
    client = client_as(admin, verified=False)

    def refuse(self, user, state, data):
        raise exceptions.UnprocessableEntity(code="invalid_authentication_response")

    monkeypatch.setattr(WebAuthnHelper, "authenticate_complete", refuse)
    for _ in range(5):
        assert api(client, "credential-authentication-begin").status_code == 200
        resp = api(client, "credential-authentication-complete")
        assert resp.status_code == 422 and "通行密钥未能通过验证" in resp.json()["detail"]
    assert AuditEvent.objects.filter(actor=admin, action="account.otp_fail", detail__kind="passkey").count() == 5
    resp = api(client, "credential-authentication-begin")
    assert resp.status_code == 429 and resp.json()["code"] == "otp_throttled"
    assert AuditEvent.objects.filter(actor=admin, action="account.otp_throttled").count() == 1
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_someone_elses_passkey_is_refused(client_as, admin, tree, monkeypatch):
    theirs = a_passkey(tree["b2_admin"])
    a_passkey(admin)
    client = client_as(admin, verified=False)
    api(client, "credential-authentication-begin")

    def mismatch(self, user, state, data):
        if theirs.user_id != user.pk:
            raise exceptions.CredentialUserMismatch()
        return theirs

    monkeypatch.setattr(WebAuthnHelper, "authenticate_complete", mismatch)
    resp = api(client, "credential-authentication-complete")
    assert resp.status_code == 403 and resp.json()["detail"] == "这个通行密钥不属于当前登录的账号。"
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_scripts_speak_chinese(client):
    catalog = client.get(reverse("otp_webauthn:js-i18n-catalog")).content.decode()
    assert "\\u901a\\u884c\\u5bc6\\u94a5" in catalog or "通行密钥" in catalog  # 通行密钥


def test_the_passkey_pages_speak_english(client, tree, admin, monkeypatch):
    a_passkey(admin)
    switch_to_english(client)
    try:
        client.post(reverse("login"), {"username": admin.id_number, "password": PASSWORD})
        page = client.get(reverse("two_factor:verify"))
        assert untranslated(page.content.decode(), data_names(tree)) == []
        refused = api(client, "credential-registration-begin").json()["detail"]
        assert refused.startswith("Verify with your current")
        newcomer = tree["b2_admin"]
        newcomer.set_password(PASSWORD)
        newcomer.save(update_fields=["password", "password_set"])
        client.post(reverse("logout"))
        client.post(reverse("login"), {"username": newcomer.id_number, "password": PASSWORD})
        api(client, "credential-registration-begin")
        monkeypatch.setattr(WebAuthnHelper, "register_complete", lambda self, user, state, data: a_passkey(user))
        api(client, "credential-registration-complete")
        codes = client.get(reverse("two_factor:passkey_added"))
        assert untranslated(codes.content.decode(), data_names(tree)) == []
    finally:
        translation.deactivate()


def test_a_passkey_only_admin_adds_an_app_and_keeps_the_passkey(client_as, admin, monkeypatch):
    passkey = a_passkey(admin)
    passkey_added(actor=admin, passkey=passkey)  # with its backup codes
    client = client_as(admin, verified=False)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id  # verified with the passkey
    session.save()
    page = client.get(reverse("two_factor:enrol")).content.decode()
    assert "<h1>绑定身份验证器</h1>" in page and "通行密钥不受影响" in page and "您已添加 1 个通行密钥" in page
    key = client.session["otp_enrol_key"]
    assert client.post(reverse("two_factor:enrol"), {"code": totp_code(key)}).status_code == 200
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
