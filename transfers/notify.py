"""Notifications of transfers (消息中心): written after commit, by ids (STYLE.md rule 6)."""
from django.db import transaction

from .messages import deliver


def notify_after_commit(event: str, obj_id: int) -> None:
    transaction.on_commit(lambda: deliver(event, obj_id))
