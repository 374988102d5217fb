"""Writing audit events (R-TR-16). Every service calls `record` inside its transaction;
`refusals_audited` writes the refusal of a denied call in a transaction of its own (R-AUTH-6)."""
import functools

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .context import client_ip
from .logging import mask
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
        detail=_masked(detail),
    )


def _masked(value):
    """Every string of the detail masked, however deep it sits (lists, dicts)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


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
