"""Second-factor services (R-ACC-5): enrol an authenticator app, verify a code, reset someone's factors (R-AUTH-7).

Each runs in one transaction that first locks the person's row, so one person's attempts are counted one at a
time. A wrong code is an audit event written in that transaction, which commits before the refusal is raised: the
count of wrong codes (OTP_FAILURE_LIMIT in OTP_FAILURE_WINDOW, since the last success) lives in the audit trail,
shared by every worker, as the reset-code guesses do (docs/decisions.md)."""
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from audit.services import record, refusals_audited

from .custody import has_custody
from .factors import (
    TOTP_DIGITS,
    TOTP_STEP,
    clean_code,
    has_second_factor,
    is_backup_code,
    matching_step,
    needs_second_factor,
    new_backup_codes,
)
from .permissions import ensure_acting_as
from .signals import second_factor_changed

FAILED = "account.otp_fail"
THROTTLED = "account.otp_throttled"
VERIFIED = "account.otp_verify"
ENROLLED = "account.otp_enrol"
RESET = "account.otp_reset"


def verify_code(*, actor, code: str):
    """R-ACC-5: a code of the person's authenticator app (6 digits) or one of their backup codes (10 digits, each
    accepted once). Returns the device that accepted it; a wrong code is audited and refused (ValidationError)."""
    code = clean_code(code)
    with transaction.atomic():
        _lock(actor)
        if _throttled(actor):
            record(actor=actor, action=THROTTLED, target=actor, result=AuditEvent.Result.DENIED)
            error = _throttled_error()
        else:
            device = _accepting_device(actor, code)
            if device is not None:
                kind = "backup" if isinstance(device, StaticDevice) else "totp"
                left = device.token_set.count() if kind == "backup" else None
                record(actor=actor, action=VERIFIED, target=actor, kind=kind, backup_codes_left=left)
                return device
            record(actor=actor, action=FAILED, target=actor, result=AuditEvent.Result.DENIED, step="verify")
            error = ValidationError(_("验证码不正确，请重新输入。"), code="otp_invalid")
    raise error


@refusals_audited(ENROLLED)
def enrol_authenticator(*, actor, key: str, code: str, session_verified: bool):
    """R-ACC-5: the authenticator app that shows `code` for `key` becomes the person's second factor, with 10 new
    backup codes (returned once; the old app and codes stop working). Someone who has a factor already must have
    shown it in this session first: a password alone never replaces a factor."""
    if not (needs_second_factor(actor) or has_second_factor(actor)):
        raise PermissionDenied(_("只有团组织管理员需要绑定身份验证器。"))
    if len(key) != 40 or any(c not in "0123456789abcdef" for c in key):
        raise ValidationError(_("绑定已过期，请重新扫描二维码。"), code="otp_key_invalid")
    code = clean_code(code)
    with transaction.atomic():
        _lock(actor)
        replacing = has_second_factor(actor)
        if replacing and not session_verified:
            raise PermissionDenied(_("请先用现有的身份验证器或备用码完成验证，再绑定新的身份验证器。"))
        if _throttled(actor):
            record(actor=actor, action=THROTTLED, target=actor, result=AuditEvent.Result.DENIED)
            error = _throttled_error()
        elif (step := matching_step(key, code)) is None:
            record(actor=actor, action=FAILED, target=actor, result=AuditEvent.Result.DENIED, step="enrol")
            error = ValidationError(_("验证码不正确：请输入身份验证器里“团籍”当前显示的 6 位数字。"), code="otp_invalid")
        else:
            _remove_devices(actor, passkeys=False)  # the old app and its backup codes; passkeys stay
            device = TOTPDevice.objects.create(user=actor, name="authenticator", key=key, step=TOTP_STEP,
                                               digits=TOTP_DIGITS, confirmed=True, last_t=step)
            codes = _new_backup_codes(actor)
            record(actor=actor, action=ENROLLED, target=actor, kind="totp", replaced=replacing)
            _announce(person=actor, actor=actor, acting_org=None, event="enrolled")
            return device, codes
    raise error


@refusals_audited(RESET)
def reset_second_factor(*, actor, acting_org, person) -> None:
    """R-ACC-5, R-AUTH-7: an admin with custody of the person's account removes their authenticator and backup
    codes (a lost phone); the person enrols again before their next admin page and is told in the message center."""
    if actor is not None:
        ensure_acting_as(actor, acting_org)
    if not has_custody(actor, person):
        raise PermissionDenied(_("只有对此人账号有管辖权的管理员可以重置其两步验证（不能重置上级组织管理员的）。"))
    with transaction.atomic():
        _lock(person)
        if not _remove_devices(person):
            raise ValidationError(_("此人还没有绑定身份验证器，无需重置。"), code="otp_no_device")
        record(actor=actor, action=RESET, target=person, acting_org=acting_org)
        _announce(person=person, actor=actor, acting_org=acting_org, event="reset")


def passkey_added(*, actor, passkey) -> list[str]:
    """R-ACC-5: a passkey the person has just registered (django-otp-webauthn checked the ceremony, and that a
    person with a factor already had shown it in this session). Audited and told to the owner; a person who had no
    backup codes gets their 10 now (returned once), so a lost phone never locks them out alone."""
    with transaction.atomic():
        _lock(actor)
        codes = [] if StaticDevice.objects.filter(user=actor).exists() else _new_backup_codes(actor)
        record(actor=actor, action=ENROLLED, target=actor, kind="passkey", passkey=passkey.pk,
               backup_codes_issued=bool(codes))
        _announce(person=actor, actor=actor, acting_org=None, event="enrolled")
    return codes


def passkey_verified(*, actor, passkey) -> None:
    """A passkey answered the session's challenge (django-otp-webauthn verified the signature)."""
    with transaction.atomic():
        record(actor=actor, action=VERIFIED, target=actor, kind="passkey", passkey=passkey.pk)


def passkey_refused(*, actor, reason: str) -> None:
    """A passkey answer that failed verification: audited and counted with the wrong codes."""
    with transaction.atomic():
        record(actor=actor, action=FAILED, target=actor, result=AuditEvent.Result.DENIED, step="verify",
               kind="passkey", reason=reason)


def ensure_may_try(*, actor) -> None:
    """Before a passkey ceremony: refused, and audited, while the person's wrong answers are over the limit."""
    with transaction.atomic():
        _lock(actor)
        if not _throttled(actor):
            return
        record(actor=actor, action=THROTTLED, target=actor, result=AuditEvent.Result.DENIED, kind="passkey")
    raise _throttled_error()


def _new_backup_codes(person) -> list[str]:
    codes = new_backup_codes()
    backup = StaticDevice.objects.create(user=person, name="backup codes", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    return codes


def _lock(person) -> None:
    get_user_model().objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()


def _throttled(person) -> bool:
    """OTP_FAILURE_LIMIT wrong codes in OTP_FAILURE_WINDOW, counted since the person's last success."""
    since = timezone.now() - settings.OTP_FAILURE_WINDOW
    mine = AuditEvent.objects.filter(actor=person, at__gt=since)
    last_ok = mine.filter(action__in=(VERIFIED, ENROLLED), result=AuditEvent.Result.OK).order_by("-at").values_list(
        "at", flat=True).first()
    failures = mine.filter(action=FAILED)
    if last_ok is not None:
        failures = failures.filter(at__gt=last_ok)
    return failures.count() >= settings.OTP_FAILURE_LIMIT


def _throttled_error() -> ValidationError:
    minutes = int(settings.OTP_FAILURE_WINDOW.total_seconds() // 60)
    return ValidationError(_("验证码错误次数过多，请%(minutes)d分钟后再试。") % {"minutes": minutes}, code="otp_throttled")


def _accepting_device(person, code: str):
    if is_backup_code(code):
        model = StaticDevice
    elif len(code) == TOTP_DIGITS and code.isdigit():
        model = TOTPDevice
    else:
        return None
    device = model.objects.devices_for_user(person, confirmed=True).select_for_update().order_by("pk").first()
    return device if device is not None and device.verify_token(code) else None


def _remove_devices(person, *, passkeys: bool = True) -> int:
    """The person's authenticator app and backup codes, and their passkeys unless told otherwise; how many."""
    removed = TOTPDevice.objects.filter(user=person).delete()[1].get(TOTPDevice._meta.label, 0)
    removed += StaticDevice.objects.filter(user=person).delete()[1].get(StaticDevice._meta.label, 0)
    if passkeys:
        removed += WebAuthnCredential.objects.filter(user=person).delete()[1].get(WebAuthnCredential._meta.label, 0)
    return removed


def _announce(*, person, actor, acting_org, event: str) -> None:
    transaction.on_commit(partial(second_factor_changed.send, sender=reset_second_factor, person_id=person.pk,
                                  actor_id=getattr(actor, "pk", None), acting_org_id=getattr(acting_org, "pk", None),
                                  event=event))
