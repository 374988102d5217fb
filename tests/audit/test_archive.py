"""R-TR-16: `manage.py archive_audit` moves events older than AUDIT_RETENTION to a gzip file of JSON lines, then
deletes exactly those (the only path that deletes audit events); a retention under 6 months is refused. Runs on
SQLite and on PostgreSQL, where the DELETE trigger is lifted for the archive alone."""
import datetime as dt
import gzip
import json
import re

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.services import record
from tests.factories import make_id_number

from .support import event_at, years_ago

pytestmark = pytest.mark.django_db

WHOLE_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def _lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(text) for text in f]


@pytest.fixture
def trail(tree):
    """Old events (4 and 3.5 years) with an actor and an organization, and recent ones (2 years, today)."""
    old = [event_at(years_ago(4), "test.old", actor=tree["b1_admin"], acting_org=tree["b1"], target_label="张三",
                    detail={"rows": 3}),
           event_at(years_ago(3.5), "test.old")]
    recent = [event_at(years_ago(2), "test.recent"), record(actor=None, action="test.recent")]
    return old, recent


def test_it_writes_every_old_event_to_the_file_and_deletes_exactly_those(trail, tmp_path):
    old, recent = trail
    path = tmp_path / "audit.jsonl.gz"
    call_command("archive_audit", output=str(path), verbosity=0)
    lines = _lines(path)
    assert [line["id"] for line in lines] == [e.pk for e in old]
    first = lines[0]
    assert first["action"] == "test.old" and first["acting_org"] == "信息学院1班团支部"
    assert first["actor_id"] == old[0].actor_id and first["actor"].startswith("管理员b1")
    assert first["detail"] == {"rows": 3} and first["target_label"] == "张三"
    assert dt.datetime.fromisoformat(first["at"]) == old[0].at
    assert set(AuditEvent.objects.values_list("pk", flat=True)) >= {e.pk for e in recent}
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()


def test_the_file_holds_no_whole_id_number(tree, tmp_path):
    event_at(years_ago(4), "test.old", actor=tree["b1_admin"], target_label=f"某人 {make_id_number()}",
             detail={"q": make_id_number()})
    path = tmp_path / "audit.jsonl.gz"
    call_command("archive_audit", output=str(path), verbosity=0)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        assert not WHOLE_ID.search(f.read())


def test_without_output_it_writes_into_the_archive_directory(trail, tmp_path, settings):
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "archive"
    call_command("archive_audit", verbosity=0)
    [path] = (tmp_path / "archive").glob("audit-before-*.jsonl.gz")
    assert len(_lines(path)) == 2


def test_a_shorter_retention_setting_archives_more(trail, tmp_path, settings):
    settings.AUDIT_RETENTION = dt.timedelta(days=365)
    call_command("archive_audit", output=str(tmp_path / "a.jsonl.gz"), verbosity=0)
    assert len(_lines(tmp_path / "a.jsonl.gz")) == 3
    assert AuditEvent.objects.filter(action="test.recent").count() == 1


def test_it_refuses_a_retention_under_six_months(trail, tmp_path, settings):
    settings.AUDIT_RETENTION = dt.timedelta(days=150)
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="6个月"):
        call_command("archive_audit", output=str(tmp_path / "a.jsonl.gz"), verbosity=0)
    assert AuditEvent.objects.count() == before and not (tmp_path / "a.jsonl.gz").exists()


def test_it_never_overwrites_an_archive(trail, tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(b"earlier archive")
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="已存在"):
        call_command("archive_audit", output=str(path), verbosity=0)
    assert path.read_bytes() == b"earlier archive" and AuditEvent.objects.count() == before


def test_a_dry_run_writes_and_deletes_nothing(trail, tmp_path, capsys):
    before = AuditEvent.objects.count()
    call_command("archive_audit", output=str(tmp_path / "a.jsonl.gz"), dry_run=True)
    assert "2 条" in capsys.readouterr().out
    assert AuditEvent.objects.count() == before and not (tmp_path / "a.jsonl.gz").exists()


def test_nothing_due_writes_no_file(db, tmp_path):
    record(actor=None, action="test.recent")
    call_command("archive_audit", output=str(tmp_path / "a.jsonl.gz"), verbosity=0)
    assert not (tmp_path / "a.jsonl.gz").exists() and AuditEvent.objects.count() == 1


def test_the_model_layer_still_refuses_a_delete_outside_the_archive(trail):
    old, _recent = trail
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=old[0].pk).delete()
    assert AuditEvent.objects.filter(pk=old[0].pk).exists()
