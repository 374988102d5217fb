"""Holding an organization while something is put into it (issue 15): an entry, a transfer's start or a branch
assignment reads the organization active under a shared row lock, so a merge, dissolution or rebuild of it (which
lock the row for update) either finishes first, and the newcomer is refused, or waits until the newcomer is in, and
then sees them. Shared locks do not wait on each other: entries into one branch stay parallel."""
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from .models import Organization


def hold_active(org: Organization, *, field: str, message: str | None = None) -> Organization:
    """The organization's row as it is now, held FOR SHARE until the transaction ends; refused with
    `target_not_active` when it has been dissolved. Taken before any person's lock (orgs → people, the order of
    transfers/services/flow.py)."""
    sql = "SELECT is_active FROM orgs_organization WHERE id = %s"
    if connection.vendor == "postgresql":  # SQLite has one writer at a time: nothing to hold
        sql += " FOR SHARE"
    with connection.cursor() as cur:
        cur.execute(sql, [org.pk])
        row = cur.fetchone()
    if row is None or not row[0]:
        raise ValidationError({field: ValidationError(message or _("该组织已撤销，请重新选择。"),
                                                      code="target_not_active")})
    return org
