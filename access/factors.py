"""Second factors (R-ACC-5): who needs one, which a person has, and whether this session has shown one.

django-otp keeps the devices: a TOTP device is an authenticator app's secret, a WebAuthn credential is a passkey
(django-otp-webauthn), a static device holds the person's single-use backup codes (never a factor on its own). A
session is verified once `django_otp.login` has put a device in it; OTPMiddleware reads it back on every request
(`request.user.is_verified()`) and drops it when the device is gone (a reset)."""
import secrets
import unicodedata
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .models import CadrePost

BACKUP_CODE_COUNT = 10
BACKUP_CODE_DIGITS = 10  # digits only: one numeric keypad on a phone for both kinds of code
TOTP_DIGITS = 6
TOTP_STEP = 30


def needs_second_factor(person) -> bool:
    """R-ACC-5: whoever holds a confirmed admin post (R-ENT-9: a pending post grants nothing, so asks nothing)."""
    return CadrePost.objects.held().filter(person=person, is_admin=True, org__is_active=True).exists()


def session_verified(request) -> bool:
    """The session's person has shown a second factor (OTPMiddleware installs `is_verified`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def authenticator_of(person) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(person, confirmed=True).order_by("pk").first()


def passkeys_of(person):
    return WebAuthnCredential.objects.devices_for_user(person, confirmed=True)


def has_second_factor(person) -> bool:
    """An authenticator app or a passkey (backup codes stand in for them, never alone)."""
    return (TOTPDevice.objects.devices_for_user(person, confirmed=True).exists()
            or passkeys_of(person).exists())


def backup_codes_left(person) -> int:
    return StaticToken.objects.filter(device__user=person, device__confirmed=True).count()


def new_key() -> str:
    """A TOTP secret: 20 random bytes, hex as django-otp stores it (RFC 4226 recommends 160 bits)."""
    return secrets.token_hex(20)


def new_backup_codes() -> list[str]:
    return [f"{secrets.randbelow(10 ** BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}" for _ in range(BACKUP_CODE_COUNT)]


def secret_text(key_hex: str) -> str:
    """The secret as an authenticator app asks for it by hand: base32, in groups of four."""
    b32 = b32encode(unhexlify(key_hex)).decode().rstrip("=")
    return " ".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def otpauth_uri(*, key_hex: str, account: str) -> str:
    """The key URI an authenticator app scans. The account label is the person's name, never the ID number
    (django-otp's own `config_url` would put the sign-in name, the whole ID number, in every phone; R-AUTH-6)."""
    issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
    params = urlencode({"secret": secret_text(key_hex).replace(" ", ""), "algorithm": "SHA1",
                        "digits": TOTP_DIGITS, "period": TOTP_STEP})
    return f"otpauth://totp/{quote(f'{issuer}:{account}')}?{params}&issuer={quote(issuer)}"


def matching_step(key_hex: str, code: str, *, tolerance: int = 1) -> int | None:
    """The time step at which `code` is the key's TOTP code (one step of clock skew either way), or None."""
    if not (len(code) == TOTP_DIGITS and code.isdigit()):
        return None
    totp = TOTP(unhexlify(key_hex), step=TOTP_STEP, digits=TOTP_DIGITS)
    if totp.verify(int(code), tolerance=tolerance):
        return totp.t()
    return None


def clean_code(raw: str) -> str:
    """What a person types: spaces and dashes dropped, full-width digits as ASCII (NFKC)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", raw or "") if ch not in " -\u3000\t").lower()


def is_backup_code(code: str) -> bool:
    return len(code) == BACKUP_CODE_DIGITS and code.isdigit()


def static_device_of(person) -> StaticDevice | None:
    return StaticDevice.objects.devices_for_user(person, confirmed=True).order_by("pk").first()
