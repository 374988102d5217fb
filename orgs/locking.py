"""Holding an organization while something is put into it (issue 15): an entry, a transfer's start, an approval or a
branch assignment reads the organization under a shared row lock, so a merge, dissolution, rebuild or move of it (which
lock the row for update) either finishes first, and the newcomer sees what it left (dissolved: refused; rebuilt: the
new type; moved: the new path), or waits until the newcomer is in, and then sees them. Shared locks do not wait on
each other: entries into one branch stay parallel.

What changes an organization locks it FOR NO KEY UPDATE, never FOR UPDATE: its key never changes (organizations are
dissolved, not deleted), and a FOR UPDATE lock would block the foreign-key checks (FOR KEY SHARE) of rows inserted
under it. A transfer started from a branch while the branch moved deadlocked that way: the start held the member's
membership and waited on the branch for its new step's key check, the move held the branch and waited on the
membership (tests/orgs/test_upkeep_concurrency.py)."""
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from .models import Organization

# Moves of organizations run one at a time (pg_advisory_xact_lock): two moves at once could each see no cycle
# (X under Y and Y under X) or move a subtree under a parent that is itself moving.
MOVES = 7_420_15


def hold(org: Organization) -> Organization:
    """The organization's row as it is now, held FOR SHARE until the transaction ends: `org` is refreshed in place
    (path, type, active), so what is copied from it (a membership's or a step's path) is what the row says.
    Taken before any person's lock (orgs → people, the order of transfers/services/flow.py)."""
    sql = "SELECT path, depth, org_type, is_active FROM orgs_organization WHERE id = %s"
    if connection.vendor == "postgresql":  # SQLite has one writer at a time: nothing to hold
        sql += " FOR SHARE"
    with connection.cursor() as cur:
        cur.execute(sql, [org.pk])
        row = cur.fetchone()
    if row is not None:
        org.path, org.depth, org.org_type, org.is_active = row
    else:
        org.is_active = False
    return org


def hold_active(org: Organization, *, field: str, message: str | None = None) -> Organization:
    """hold(), refused with `target_not_active` when the organization has been dissolved (or is gone)."""
    if not hold(org).is_active:
        raise ValidationError({field: ValidationError(message or _("该组织已撤销，请重新选择。"),
                                                      code="target_not_active")})
    return org


def serialize_moves() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [MOVES])
