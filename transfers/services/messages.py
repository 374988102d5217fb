"""The reader's side of the message center."""
from django.utils import timezone

from ..models import Message


def mark_messages_read(*, actor) -> int:
    """Opening the message center reads everything in it (one UPDATE of the reader's own rows). Messages
    are notifications, not domain records: reading them is not audited."""
    return Message.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
