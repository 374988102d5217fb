"""Writing audit events (R-TR-16). Every service calls `record` inside its transaction;
`refusals_audited` writes the refusal of a denied call in a transaction of its own (R-AUTH-6); `record_export`
writes what an export took."""
import functools
import json

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

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
    event = unsaved_event(actor=actor, action=action, target=target, acting_org=acting_org, result=result, **detail)
    event.save(force_insert=True)
    return event


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Events built with `unsaved_event`, written in one INSERT inside the caller's transaction (the sweep, R-TR-7)."""
    return AuditEvent.objects.bulk_create(events)


def unsaved_event(*, actor, action: str, target=None, acting_org=None, result=AuditEvent.Result.OK,
                  **detail) -> AuditEvent:
    """The row `record` writes, built but not saved: one recipe for both paths (and `event_values`)."""
    target_type, target_id, label = _target_fields(target)
    return AuditEvent(
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


def event_values(*, actor, action: str, target=None, acting_org=None, result=AuditEvent.Result.OK,
                 **detail) -> dict:
    """The columns of the row `unsaved_event` builds, as a plain dict: thousands of them are cheap to build (the
    sweep, R-TR-7), and `record_values` writes them. Change the two together (tests/transfers/test_sweep_bulk.py
    holds the sweep's events to those `record` writes)."""
    target_type, target_id, label = _target_fields(target)
    return {
        "at": timezone.now(),
        "actor_id": actor.pk if getattr(actor, "pk", None) else None,
        "acting_org_id": getattr(acting_org, "pk", None),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": label,
        "result": result,
        "ip": client_ip.get(),
        "detail": mask_deep(detail),
    }


_COLUMNS = {"at": "timestamptz", "actor_id": "bigint", "acting_org_id": "bigint", "action": "text",
            "target_type": "text", "target_id": "text", "target_label": "text", "result": "text", "ip": "inet",
            "detail": "jsonb"}


def record_values(rows: list[dict]) -> None:
    """Events from `event_values`, in their order, in one INSERT inside the caller's transaction. On PostgreSQL one
    array a column (no model instance a row); elsewhere `record_many`."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        record_many([AuditEvent(**row) for row in rows])
        return
    arrays = [[row[c] for row in rows] for c in _COLUMNS]
    arrays[-1] = [json.dumps(d) for d in arrays[-1]]
    unnest = ", ".join(f"%s::{'text' if t in ('inet', 'jsonb') else t}[]" for t in _COLUMNS.values())
    cast = ", ".join(f"{c}::{t}" if t in ("inet", "jsonb") else c for c, t in _COLUMNS.items())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(_COLUMNS)}) "
                       f"SELECT {cast} FROM unnest({unnest}) WITH ORDINALITY AS e({', '.join(_COLUMNS)}, n) "
                       "ORDER BY n", arrays)


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


def refused(request, *, action: str, acting_org, target, message: str) -> PermissionDenied:
    """A refusal a page makes before it calls the service (it would refuse the same): a posted one is audited as the
    service's would be (R-AUTH-6); a page merely opened is not. Returns the exception for the view to raise."""
    if request.method == "POST":
        with transaction.atomic():
            record(actor=request.user, action=action, target=target, acting_org=acting_org,
                   result=AuditEvent.Result.DENIED, reason=message)
    return PermissionDenied(message)


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

