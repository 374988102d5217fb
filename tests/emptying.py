"""What a transactional test leaves behind, emptied on PostgreSQL by DELETE with triggers off instead of Django's
flush (one TRUNCATE of every table, then post_migrate writing the content types and permissions again).

TRUNCATE makes new files for each of ~40 tables and their indexes: ~1 s a transactional test on this machine, the
most of their teardown. DELETE of the few rows such a test wrote takes milliseconds. Triggers are off while it runs
(session_replication_role = replica, as for a restore): the audit table's append-only triggers would refuse it,
and the figures' and graduation counts' triggers would recount what is being emptied anyway. Every table is
emptied, the ones no model describes (kept by those triggers) included, but the migrations' record and the content
types and permissions, which the flush would have written again as they were. Django's flush still runs where
this cannot: another database, no superuser (replica needs one), or a test asking for available_apps or a
serialized rollback."""
from django.db import connections, transaction
from django.test import TransactionTestCase

KEPT = {"django_migrations", "django_content_type", "auth_permission"}

_flush = TransactionTestCase._fixture_teardown


def empty_tables(connection) -> bool:
    """Empty every table but KEPT; False, having changed nothing, when this connection cannot."""
    if connection.vendor != "postgresql":
        return False
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        if cursor.fetchone()[0] != "on":
            return False
        tables = sorted(set(connection.introspection.table_names(cursor)) - KEPT)
        cursor.execute("SET LOCAL session_replication_role = replica; "
                       + "; ".join(f"DELETE FROM {connection.ops.quote_name(t)}" for t in tables))
    return True


def _fixture_teardown(self):
    if (self.available_apps is None and not self.serialized_rollback
            and self._databases_names(include_mirrors=False) == ["default"]
            and empty_tables(connections["default"])):
        return
    _flush(self)


def install() -> None:
    TransactionTestCase._fixture_teardown = _fixture_teardown
