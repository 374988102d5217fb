"""Notifications of transfers (消息中心): written after commit, by ids (STYLE.md rule 6)."""
from django.db import transaction

from .messages import deliver, deliver_many


def notify_after_commit(event: str, obj_id: int) -> None:
    transaction.on_commit(lambda: deliver(event, obj_id))


def notify_all_after_commit(event: str, obj_ids) -> None:
    """One event for many objects (a batch): delivered together, in a fixed number of queries."""
    events = [(event, pk) for pk in obj_ids]
    transaction.on_commit(lambda: deliver_many(events))
