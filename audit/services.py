"""Writing audit events (R-TR-16). Every service calls `record` inside its transaction;
`refusals_audited` writes the refusal of a denied call in a transaction of its own (R-AUTH-6); `record_export`
writes what an export took."""
import functools

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .actions import EXPORT
from .context import client_ip
from .logging import mask, mask_deep
from .models import AuditEvent


def _target_fields(target):
    if target is None:
        return "", "", ""
    label = mask(str(target))[:200]
    return target._meta.model_name, str(target.pk), label


def record(*, actor, action: str, target=None, acting_org=None, result=AuditEvent.Result.OK,
           **detail) -> AuditEvent:
    target_type, target_id, label = _target_fields(target)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        acting_org=acting_org,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=label,
        result=result,
        ip=client_ip.get(),
        detail=mask_deep(detail),
    )


def refusals_audited(action: str):
    """Wrap a service: a PermissionDenied leaves it after its own transaction has rolled back,
    and the refusal is written then, so the audit row survives the rollback."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except PermissionDenied as exc:
                actor = kwargs.get("actor") or kwargs.get("member")
                with transaction.atomic():
                    record(actor=actor, action=action, acting_org=kwargs.get("acting_org"),
                           result=AuditEvent.Result.DENIED, reason=str(exc))
                raise

        return wrapper

    return decorator


def _filter_value(value):
    if isinstance(value, bool | int | float):
        return value
    return str(value)[:100]


def record_export(*, actor, acting_org, what: str, rows: int, **filters) -> AuditEvent:
    """Every export (R-TR-16): what was exported (`export.<what>`), how many rows, under which filters (the empty
    ones left out; an ID number typed into a filter masked like any detail)."""
    kept = {key: _filter_value(value) for key, value in filters.items() if value not in (None, "", False, [], ())}
    return record(actor=actor, action=f"{EXPORT}.{what}", target=acting_org, acting_org=acting_org, rows=rows,
                  filters=kept)


class Counted:
    """The rows an export writes, counted as it writes them (a streaming export never holds them in a list)."""

    def __init__(self, rows):
        self._rows = iter(rows)
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        row = next(self._rows)
        self.count += 1
        return row

