"""Helpers of the service-level tests of people (entry, accounts): plain functions, no fixtures."""
import itertools

from django.core.exceptions import ValidationError

from audit.models import AuditEvent

_numbers = itertools.count(1)


def codes(exc: ValidationError) -> set[str]:
    """Every error code a ValidationError carries, whatever its form (CONTRACT.md "Errors")."""
    if hasattr(exc, "error_dict"):
        return {e.code for errs in exc.error_dict.values() for e in errs}
    return {e.code for e in exc.error_list}


def dev_number(year: int, serial: int | None = None) -> str:
    """A 12-digit development number of `year` (R-ENT-4), fresh unless `serial` is given."""
    return f"{year:04d}{next(_numbers) if serial is None else serial:08d}"


def denied(actor, action: str) -> bool:
    """Whether the refusal of `action` to `actor` left its audit row (R-AUTH-6)."""
    return AuditEvent.objects.filter(actor=actor, action=action, result=AuditEvent.Result.DENIED).exists()
