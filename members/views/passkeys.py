"""Passkeys (R-ACC-5) through django-otp-webauthn, as a second factor only (no passwordless sign-in). Its JSON
ceremony views are wrapped so that our rules hold: only an admin, or someone who has a factor already, registers
one; someone who has a factor shows it first (the library's own check); every answer is audited, a refused one
counts with the wrong codes, and over the limit no ceremony starts. Refusals speak the product's language: the
library's words are English only. Its browser scripts and their configuration come from its template tags."""
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.utils import rewrite_exceptions

from access.factors import has_second_factor, needs_second_factor
from access.services import ensure_may_try, passkey_added, passkey_refused, passkey_verified

NEW_CODES = "otp_new_backup_codes"  # the backup codes issued with a first passkey, shown once on the next page
log = logging.getLogger("django_otp_webauthn")

MESSAGES = {
    "not_admin": _("只有团组织管理员需要添加通行密钥。"),
    "otp_throttled": _("验证错误次数过多，请稍后再试。"),
    "user_not_verified": _("请先用现有的身份验证器、通行密钥或备用码完成验证，再添加新的通行密钥。"),
    "not_authenticated": _("请先登录。"),
    "passwordless_login_disabled": _("请先用身份证号和密码登录。"),
    "invalid_state": _("验证已过期，请重试。"),
    "credential_not_found": _("找不到这个通行密钥，它可能已被重置。请改用验证码或备用码。"),
    "credential_user_mismatch": _("这个通行密钥不属于当前登录的账号。"),
    "credential_disabled": _("这个通行密钥已停用。"),
    "user_disabled": _("该账号已停用。"),
}
FALLBACK = _("通行密钥未能通过验证，请重试，或改用验证码或备用码。")


class NotAdmin(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "not_admin"


class Throttled(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_code = "otp_throttled"


class ProductWords:
    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            detail = MESSAGES.get(exc.code, FALLBACK)
            return JsonResponse({"detail": str(detail), "code": exc.code}, status=exc.status_code)
        return super().handle_exception(exc)


class MayRegister:
    def check_can_register(self):
        user = self.get_user()
        if not (needs_second_factor(user) or has_second_factor(user)):
            raise NotAdmin()


class MayTry:
    def check_can_authenticate(self):
        user = self.get_user()
        if user is None:
            raise exceptions.PasswordlessLoginDisabled()
        super().check_can_authenticate()
        try:
            ensure_may_try(actor=user)
        except ValidationError as exc:
            raise Throttled() from exc


class BeginRegistration(ProductWords, MayRegister, webauthn.BeginCredentialRegistrationView):
    pass


class CompleteRegistration(ProductWords, MayRegister, webauthn.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user, state = self.get_user(), self.get_state()
        with transaction.atomic(), rewrite_exceptions(logger=log):
            passkey = self.get_helper().register_complete(user=user, state=state, data=self.request.data)
            codes = passkey_added(actor=user, passkey=passkey)
        if not self.request.user.is_verified():  # the new passkey has just proved itself
            self.request.session.cycle_key()
            otp_login(self.request, passkey)
        if codes:
            self.request.session[NEW_CODES] = codes
        return JsonResponse({"id": passkey.pk, "redirect_url": reverse("two_factor:passkey_added")})


class BeginAuthentication(ProductWords, MayTry, webauthn.BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(ProductWords, MayTry, webauthn.CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        user, state = self.get_user(), self.get_state()
        try:
            with rewrite_exceptions(logger=log):
                passkey = self.get_helper().authenticate_complete(user=user, state=state, data=self.request.data)
            self.check_device_usable(passkey)
        except exceptions.OTPWebAuthnApiError as exc:
            passkey_refused(actor=user, reason=exc.code)
            raise
        self.request.session.cycle_key()  # a session that gains rights gets a new key
        otp_login(self.request, passkey)
        passkey_verified(actor=user, passkey=passkey)
        return JsonResponse(self.get_success_data(passkey))
