"""Reset codes (R-ACC-2): issued by the person's admins, single use, 24 hours, stored hashed."""
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited

from ..idnumber import normalize_id_number
from ..models import Person, ResetCode
from ..permissions import ensure_may_change_person

# No 0/O, 1/I/L: the code is read aloud or copied from a chat message.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_ATTEMPTS = 5


@refusals_audited("account.reset_code")
def issue_reset_code(*, actor, person: Person) -> str:
    ensure_may_change_person(actor, person)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        # One live code per person: a new one replaces the old (a database constraint too).
        ResetCode.objects.select_for_update().filter(person=person, closed_at__isnull=True).update(closed_at=now)
        ResetCode.objects.create(person=person, code_hash=make_password(code), issued_by=actor,
                                 created_at=now, expires_at=now + settings.RESET_CODE_TTL)
        record(actor=actor, action="account.reset_code", target=person)
    return code


def _invalid() -> ValidationError:
    return ValidationError({"code": ValidationError(
        _("重置码不正确、已使用或已过期，请向管理员重新申请。"), code="reset_code_invalid")})


def reset_password(*, id_number, code, new_password) -> None:
    person = Person.objects.filter(id_number=normalize_id_number(id_number)).first()
    live = (ResetCode.objects.filter(person=person, closed_at__isnull=True, expires_at__gt=timezone.now()).first()
            if person else None)
    code = (code or "").strip().upper()
    if live is None:
        raise _invalid()
    if not check_password(code, live.code_hash):
        # Count the miss in its own transaction; five misses close the code, so it cannot be guessed.
        with transaction.atomic():
            live.failed_attempts += 1
            fields = ["failed_attempts"]
            if live.failed_attempts >= MAX_ATTEMPTS:
                live.closed_at = timezone.now()
                fields.append("closed_at")
            live.save(update_fields=fields)
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


def _unlock(person: Person) -> None:
    from axes.utils import reset

    reset(username=person.id_number)
