import datetime as dt

from django.utils import timezone

from audit.models import AuditEvent


def years_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=round(365 * n))


def event_at(when: dt.datetime, action: str = "test.event", **fields) -> AuditEvent:
    """An event written as if long ago: an INSERT with its time, which the append-only table allows."""
    return AuditEvent.objects.create(at=when, action=action, **fields)
