"""Reset codes (R-ACC-2): issued by the person's admins, single use, 24 hours, stored hashed."""
import functools
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from access.custody import ensure_custody
from audit.context import client_ip
from audit.models import AuditEvent
from audit.services import record, refusals_audited

from ..idnumber import normalize_id_number
from ..models import Person, ResetCode

# No 0/O, 1/I/L: the code is read aloud or copied from a chat message.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MISS = "account.reset_code_miss"
MAX_COUNTED = 32_000  # failed_attempts is a small integer: counting stops short of its limit


@refusals_audited("account.reset_code")
def issue_reset_code(*, actor, person: Person, acting_org=None) -> str:
    ensure_custody(actor, person)  # R-AUTH-7: confirmed organizations only, never an admin above the actor
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        # One live code per person: a new one replaces the old (a database constraint too).
        ResetCode.objects.select_for_update().filter(person=person, closed_at__isnull=True).update(closed_at=now)
        ResetCode.objects.create(person=person, code_hash=make_password(code), issued_by=actor,
                                 created_at=now, expires_at=now + settings.RESET_CODE_TTL)
        # acting_org: the audit page shows the event to the admins of that subtree (R-AUTH-1).
        record(actor=actor, action="account.reset_code", target=person, acting_org=acting_org)
    return code


def _invalid() -> ValidationError:
    return ValidationError({"code": ValidationError(
        _("重置码不正确、已使用或已过期，请向管理员重新申请。"), code="reset_code_invalid")})


def _throttled() -> ValidationError:
    minutes = int(settings.RESET_CODE_GUESS_WINDOW.total_seconds() // 60)
    return ValidationError({"code": ValidationError(
        _("尝试次数过多，请%(minutes)d分钟后再试。") % {"minutes": minutes}, code="reset_code_throttled")})


@functools.cache
def _stand_in_hash(algorithm: str, iterations) -> str:
    """A hash of a random code, made once per process and hasher: checked when there is no live code, so that
    every path costs one hash check (R-ACC-2: no timing oracle on who has a live code)."""
    return make_password(secrets.token_urlsafe(16), hasher=algorithm)


def _misses_from(address: str | None):
    return AuditEvent.objects.filter(action=MISS, ip=address)


def reset_password(*, id_number, code, new_password) -> None:
    """R-ACC-2. Guesses are paid for by the client address (the audit trail's, behind the configured proxies):
    past RESET_CODE_GUESS_LIMIT misses in RESET_CODE_GUESS_WINDOW it is refused before anything is looked up,
    so a stranger cannot burn a person's code. A code closes on misses only when they come from
    RESET_CODE_CLOSE_AFTER_ADDRESSES different addresses (a guessing campaign); see docs/decisions.md."""
    now = timezone.now()
    address = client_ip.get()
    if _misses_from(address).filter(at__gt=now - settings.RESET_CODE_GUESS_WINDOW).count() >= settings.RESET_CODE_GUESS_LIMIT:
        raise _throttled()
    person = Person.objects.filter(id_number=normalize_id_number(id_number)).first()
    live = (ResetCode.objects.filter(person=person, closed_at__isnull=True, expires_at__gt=now).first()
            if person else None)
    code = (code or "").strip().upper()
    hasher = get_hasher()
    # One hash check on every path, a live code or not (R-ACC-2).
    matched = check_password(code, live.code_hash if live else _stand_in_hash(hasher.algorithm,
                                                                               getattr(hasher, "iterations", None)))
    if live is None or not matched:
        _count_miss(person, live, address)
        raise _invalid()
    try:
        validate_password(new_password, user=person)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from None
    with transaction.atomic():
        updated = ResetCode.objects.filter(pk=live.pk, closed_at__isnull=True).update(closed_at=timezone.now())
        if not updated:  # used by a concurrent request
            raise _invalid()
        person.set_password(new_password)
        person.save(update_fields=["password", "password_set"])
        record(actor=person, action="account.reset_password", target=person)
    _unlock(person)


def _count_miss(person: Person | None, live: ResetCode | None, address: str | None) -> None:
    """A miss is an audit row (what the address limit counts) in its own transaction. The live code only
    counts it, and closes when misses since it was issued come from enough different addresses."""
    with transaction.atomic():
        record(actor=None, action=MISS, target=person, result=AuditEvent.Result.DENIED)
        if live is None:
            return
        ResetCode.objects.filter(pk=live.pk, failed_attempts__lt=MAX_COUNTED).update(
            failed_attempts=F("failed_attempts") + 1)
        addresses = (AuditEvent.objects.filter(action=MISS, target_type="person", target_id=str(person.pk),
                                               at__gte=live.created_at).values("ip").distinct().count())
        if addresses >= settings.RESET_CODE_CLOSE_AFTER_ADDRESSES:
            ResetCode.objects.filter(pk=live.pk, closed_at__isnull=True).update(closed_at=timezone.now())


def _unlock(person: Person) -> None:
    from axes.utils import reset

    reset(username=person.id_number)
