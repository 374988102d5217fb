"""R-TR-16: audit events are never edited or deleted. On PostgreSQL the database refuses UPDATE and DELETE on
audit_auditevent whoever sends them (two django-pgtrigger triggers, installed by a migration); on SQLite the model
layer refuses (tests/test_audit.py: save, delete, bulk update and bulk delete raise). TRUNCATE, which Django's
flush between transactional tests uses, fires neither trigger. The role design of docs/user-guide.md 4.9 keeps
deletes from the application's own role; the archiver's role may. Between this suite's transactional tests
tests/emptying.py empties the tables by DELETE with triggers off instead: that empties the table too."""
import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.archive import DELETE_TRIGGER, archive_events
from audit.models import AuditEvent
from audit.services import record
from tests import emptying

from .support import event_at, years_ago

pytestmark = pytest.mark.postgres


def _sql(statement, *params):
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: the test's transaction goes on
        cursor.execute(statement, params)


@pytest.fixture
def event(db):
    return record(actor=None, action="test.event", note="原始内容")


@pytest.mark.django_db
def test_raw_sql_update_of_an_audit_event_is_refused(event):
    with pytest.raises(DatabaseError, match="Cannot update rows from audit_auditevent"):
        _sql("UPDATE audit_auditevent SET action = 'test.edited' WHERE id = %s", event.pk)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.django_db
def test_raw_sql_delete_of_an_audit_event_is_refused(event):
    with pytest.raises(DatabaseError, match="Cannot delete rows from audit_auditevent"):
        _sql("DELETE FROM audit_auditevent WHERE id = %s", event.pk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_lifting_the_delete_trigger_never_lifts_the_update_trigger(event):
    """The archive ignores the DELETE trigger only (audit/archive.py); an UPDATE in the same block is refused."""
    with pgtrigger.ignore(DELETE_TRIGGER), pytest.raises(DatabaseError, match="Cannot update"):
        _sql("UPDATE audit_auditevent SET action = 'test.edited' WHERE id = %s", event.pk)


@pytest.mark.django_db
def test_both_triggers_are_installed_by_the_migrations(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert any(n.startswith("pgtrigger_audit_never_updated") for n in names)
    assert any(n.startswith("pgtrigger_audit_never_deleted") for n in names)


@pytest.mark.django_db(transaction=True)
def test_a_flush_between_transactional_tests_still_empties_the_table():
    """pytest-django's flush is TRUNCATE on PostgreSQL: row triggers do not fire, the table empties."""
    record(actor=None, action="test.flushed")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_suites_emptying_between_transactional_tests_empties_the_table_and_leaves_the_triggers_on():
    """tests/emptying.py: a DELETE with the triggers off for its own transaction only."""
    record(actor=None, action="test.emptied")
    assert emptying.empty_tables(connection)
    assert not AuditEvent.objects.exists()
    event = record(actor=None, action="test.after")
    with pytest.raises(DatabaseError, match="Cannot delete rows from audit_auditevent"):
        _sql("DELETE FROM audit_auditevent WHERE id = %s", event.pk)


# the roles of docs/user-guide.md 4.9, created inside the test's transaction and gone with its rollback ------------

APP, ARCHIVER = "tuanji_test_app", "tuanji_test_archiver"
ROLES_SQL = [
    f"CREATE ROLE {APP} NOLOGIN",
    f"CREATE ROLE {ARCHIVER} NOLOGIN",
    f"GRANT USAGE ON SCHEMA public TO {APP}, {ARCHIVER}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP}",
    f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM {APP}",
    f"GRANT SELECT, DELETE ON audit_auditevent TO {ARCHIVER}",
    f"GRANT SELECT ON members_person, orgs_organization TO {ARCHIVER}",
]


@pytest.fixture
def roles(db):
    with connection.cursor() as cursor:
        for statement in ROLES_SQL:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def _as(role):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")


@pytest.mark.parametrize("statement", ["DELETE FROM audit_auditevent WHERE id = %s",
                                       "UPDATE audit_auditevent SET action = 'x' WHERE id = %s"])
def test_the_application_role_may_not_delete_or_update_even_with_the_trigger_lifted(roles, event, statement):
    _as(APP)
    with pgtrigger.ignore(DELETE_TRIGGER), pytest.raises(DatabaseError, match="permission denied"):
        _sql(statement, event.pk)
    record(actor=None, action="test.still_writes")  # it still appends
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_archiver_role_archives_and_deletes(roles, tmp_path):
    old = event_at(years_ago(4), "test.old")
    recent = record(actor=None, action="test.recent")
    _as(ARCHIVER)
    done = archive_events(cutoff=years_ago(3), path=tmp_path / "a.jsonl.gz")
    assert (done.rows, done.deleted) == (1, 1)
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert recent.pk in remaining and old.pk not in remaining


def test_the_command_refuses_the_application_role_before_writing_a_file(roles, tmp_path):
    old = event_at(years_ago(4), "test.old")
    _as(APP)
    with pytest.raises(CommandError, match="无权删除审计记录"):
        call_command("archive_audit", output=str(tmp_path / "a.jsonl.gz"), verbosity=0)
    assert not (tmp_path / "a.jsonl.gz").exists()
    assert AuditEvent.objects.filter(pk=old.pk).exists()
