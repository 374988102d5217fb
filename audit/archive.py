"""Retention of the audit trail (R-TR-16): events older than AUDIT_RETENTION move to a gzip file of JSON lines,
one event a line, and only then leave the table. The one path that deletes audit events.

Order of work: write the whole file under a temporary name, read it back, rename it; then delete, batch by batch,
exactly the events the file holds (by id, and still older than the cut-off). A crash before the rename deletes
nothing; a crash while deleting leaves rows that are both on file and in the table, and the next run writes them
to its own file again (an archive reader keeps the first line of each id).

On PostgreSQL the delete runs inside `pgtrigger.ignore` for the DELETE trigger alone; the UPDATE trigger stays.
That guards against the application's own code, not against a hostile holder of its database role: the role the
application runs as holds no DELETE on the table, and the command runs as a role that does
(docs/user-guide.md 4.9, `tuanji_archiver`)."""
import datetime as dt
import gzip
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pgtrigger
from django.db import connection, models, transaction
from django.utils import timezone

from .logging import mask, mask_deep
from .models import AuditEvent

MINIMUM_RETENTION = dt.timedelta(days=183)  # six months: a shorter setting is refused
DELETE_TRIGGER = "audit.AuditEvent:audit_never_deleted"
BATCH = 2000


@dataclass(frozen=True)
class Archived:
    path: Path | None  # None when nothing was due: no empty file
    rows: int
    deleted: int
    cutoff: dt.datetime


def cutoff_for(retention: dt.timedelta, *, now=None) -> dt.datetime:
    if retention < MINIMUM_RETENTION:
        raise ValueError(f"AUDIT_RETENTION of {retention.days} days is under the minimum of {MINIMUM_RETENTION.days}")
    return (now or timezone.now()) - retention


def default_path(directory: Path, cutoff: dt.datetime) -> Path:
    return Path(directory) / f"audit-before-{cutoff:%Y%m%dT%H%M%SZ}.jsonl.gz"


def line(event: AuditEvent) -> dict:
    """One event as the archive keeps it: the row's own columns, and who and where in words (masked), since the
    people and organizations it names may read differently years later."""
    return {
        "id": event.pk, "at": event.at.isoformat(), "actor_id": event.actor_id,
        "actor": mask(str(event.actor)) if event.actor_id else "",
        "acting_org_id": event.acting_org_id, "acting_org": event.acting_org.full_name if event.acting_org_id else "",
        "action": event.action, "target_type": event.target_type, "target_id": event.target_id,
        "target_label": mask(event.target_label), "result": event.result, "ip": event.ip, "detail": mask_deep(event.detail),
    }


def due(cutoff: dt.datetime):
    return AuditEvent.objects.filter(at__lt=cutoff)


class MayNotDelete(PermissionError):
    """The database role in use holds no DELETE on the audit table (docs/user-guide.md 4.9)."""


def ensure_may_delete() -> None:
    """On PostgreSQL, before a file is written: is this the archiver's role? The application's role is not."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, has_table_privilege(%s, 'DELETE')", [AuditEvent._meta.db_table])
        role, allowed = cursor.fetchone()
    if not allowed:
        raise MayNotDelete(role)


def archive_events(*, cutoff: dt.datetime, path: Path) -> Archived:
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    ensure_may_delete()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    rows = _write(cutoff, partial)
    if not rows:
        partial.unlink()
        return Archived(path=None, rows=0, deleted=0, cutoff=cutoff)
    ids = _read_ids(partial)
    if len(ids) != rows:
        raise OSError(f"{partial} holds {len(ids)} events, {rows} were written")
    os.replace(partial, path)
    deleted = sum(_delete(ids[i:i + BATCH], cutoff) for i in range(0, len(ids), BATCH))
    return Archived(path=path, rows=rows, deleted=deleted, cutoff=cutoff)


def _write(cutoff, partial: Path) -> int:
    rows = 0
    events = due(cutoff).select_related("actor", "acting_org").order_by("pk")
    with open(partial, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb") as gz, io.TextIOWrapper(gz, encoding="utf-8") as out:
            for event in events.iterator(chunk_size=BATCH):
                out.write(json.dumps(line(event), ensure_ascii=False, separators=(",", ":")) + "\n")
                rows += 1
        raw.flush()
        os.fsync(raw.fileno())  # on disk before a single row is deleted
    return rows


def _read_ids(path: Path) -> list[int]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(text)["id"] for text in f]


def _delete(ids: list[int], cutoff) -> int:
    # The model layer refuses QuerySet.delete(); this calls Django's own on purpose, and only here.
    # ignore() outside atomic(): a refused delete rolls back first, so ignore's own clean-up never runs in an
    # aborted transaction (which would hide the refusal behind "current transaction is aborted").
    with pgtrigger.ignore(DELETE_TRIGGER), transaction.atomic():
        deleted, _by_model = models.QuerySet.delete(AuditEvent.objects.filter(pk__in=ids, at__lt=cutoff))
    return deleted
