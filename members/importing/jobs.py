"""Import jobs (issue 5, issue 14): the only writer of ImportJob. An upload becomes a job and a task checks it
(`check_job`); the owner confirms and a task imports it (`import_job`); a check with problems has a task mark them
on the file (`mark_job`). The tasks take the job's id and re-read its state (STYLE rule 12), so a task run twice
(a worker killed and its task returned to the queue, config/tasks.py `reap_stale`; a retry from the page) does the
work once. `import_workbook` checks permission and every R-ENT rule itself; this module only keeps state."""
import datetime as dt
import io
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from access.permissions import ensure_acting_as
from audit.services import record
from config.tasks import drop_connection, retrying

from ..models import ImportJob
from . import KINDS, import_workbook
from .marking import mark_workbook

log = logging.getLogger(__name__)
Status = ImportJob.Status
Marked = ImportJob.Marked
RUNNING = (Status.QUEUED, Status.CHECKING, Status.IMPORTING)
PROGRESS_EVERY = 200            # rows between two progress writes (check_workbook reports every 200)
STALE_AFTER = dt.timedelta(minutes=10)  # a running job without a heartbeat this long was interrupted
# A job whose task lost its database connection (a fail-over, an operator's pg_terminate_backend): failed, the file
# kept, and the page offers to run it again (`retry_job`). Nothing was imported: an import is one transaction.
INTERRUPTED = {"check_interrupted": Status.QUEUED, "import_interrupted": Status.IMPORTING}


def _interrupted_message() -> str:
    return _("处理时与数据库的连接中断了，没有导入任何数据。文件还在，请点击“重试”再处理一次。")


def start_job(*, actor, acting_org, kind: str, file_name: str, content: bytes) -> ImportJob:
    """Keep an upload and queue its check. The rules run in the task, not here."""
    if kind not in KINDS:
        raise ValidationError(_("请选择模板类型。"), code="template_mismatch")
    ensure_acting_as(actor, acting_org)  # R-AUTH-1
    with transaction.atomic():
        job = ImportJob.objects.create(actor=actor, acting_org=acting_org, kind=kind, file_name=file_name[:200],
                                       file_content=content)
        record(actor=actor, action="import.upload", target=job, acting_org=acting_org, kind=kind,
               size=len(content))
    check_job.enqueue(job.pk)
    return job


def _progress(job_id: int):
    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(rows_checked=done, rows_total=total, updated_at=timezone.now())
    return report


def _file_error(exc: Exception) -> list:
    if isinstance(exc, PermissionDenied):
        return [[0, "", "permission_denied", str(exc) or _("您没有权限导入到该组织。")]]
    items = exc.error_list if hasattr(exc, "error_list") else [e for es in exc.error_dict.values() for e in es]
    return [[0, "", e.code or "file_invalid", message] for e in items for message in e.messages]


def _internal_error() -> list:
    return [[0, "", "internal_error", _("处理文件时出错，未导入任何数据。请重新上传；如果再次出错，请联系上级组织。")]]


def _finish(job_id: int, *, expect: str, **fields) -> int:
    """Write the job's outcome if it is still in the state the task found it in: a duplicate run never overwrites
    what the first one (or the owner) did since."""
    return ImportJob.objects.filter(pk=job_id, status=expect).update(updated_at=timezone.now(), **fields)


def _failed(**fields) -> dict:
    return {"status": Status.FAILED, "file_content": b"", "marked_content": b"", "finished_at": timezone.now(),
            **fields}


@retrying
def _end_interrupted(job_id: int, *, expect: str, code: str) -> None:
    """The task lost its database connection: a fresh one says so on the job (retried while the database is away)."""
    _finish(job_id, expect=expect, status=Status.FAILED, errors=[[0, "", code, _interrupted_message()]])


@task()
def check_job(job_id: int) -> None:
    """Check every row (import_workbook with dry_run) and keep the problems found. A job checked, imported or
    failed meanwhile is left alone; one left CHECKING by a killed worker is checked again (checking writes nothing
    but the job)."""
    if not ImportJob.objects.filter(pk=job_id, status__in=[Status.QUEUED, Status.CHECKING]).update(
            status=Status.CHECKING, updated_at=timezone.now()):
        return
    job = ImportJob.objects.select_related("actor", "acting_org").get(pk=job_id)
    try:
        result = import_workbook(actor=job.actor, acting_org=job.acting_org, kind=job.kind,
                                 file=io.BytesIO(bytes(job.file_content)), dry_run=True, progress=_progress(job_id))
    except (ValidationError, PermissionDenied) as exc:
        # The whole file is refused (not an .xlsx, too big, the other template, ...): nothing to keep.
        _finish(job_id, expect=Status.CHECKING, **_failed(errors=_file_error(exc)))
        return
    except DatabaseError:
        log.warning("import job %s: database connection lost while checking", job_id, exc_info=True)
        drop_connection()
        _end_interrupted(job_id, expect=Status.CHECKING, code="check_interrupted")
        return
    except Exception:  # noqa: BLE001 — a task must leave the job in a state the page can show
        log.exception("import job %s failed", job_id)
        _finish(job_id, expect=Status.CHECKING, **_failed(errors=_internal_error()))
        return
    errors = [list(e) for e in result.errors]
    marked = Marked.BUILDING if errors else Marked.NONE
    if _finish(job_id, expect=Status.CHECKING, status=Status.CHECKED, rows_total=result.rows,
               rows_checked=result.rows, errors=errors, marked=marked, marked_content=b"") and errors:
        mark_job.enqueue(job_id)


def confirm_job(*, actor, job: ImportJob) -> ImportJob:
    """The owner confirms a checked file without errors; `import_job` imports it."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.actor_id != actor.pk:
            raise PermissionDenied(_("只能确认自己上传的文件。"))
        if job.status != Status.CHECKED or job.errors:  # re-read after locking: a second click changes nothing
            raise ValidationError(_("这个文件不能导入：它还有错误，或已经导入过。"), code="job_not_ready")
        job.status, job.rows_checked, job.updated_at = Status.IMPORTING, 0, timezone.now()
        job.save(update_fields=["status", "rows_checked", "updated_at"])
    import_job.enqueue(job.pk)
    return job


@task()
def import_job(job_id: int) -> None:
    """Import every row (import_workbook checks them all again first) and end the job, in one transaction that
    holds the job's row: a second run waits for the first, then finds the job done and does nothing."""
    try:
        with transaction.atomic():
            job = (ImportJob.objects.select_for_update().select_related("actor", "acting_org")
                   .filter(pk=job_id).first())
            if job is None or job.status != Status.IMPORTING:
                return
            _import(job)
    except DatabaseError:
        log.warning("import job %s: database connection lost while importing", job_id, exc_info=True)
        drop_connection()
        _end_interrupted(job_id, expect=Status.IMPORTING, code="import_interrupted")
    except Exception:  # noqa: BLE001 — a task must leave the job in a state the page can show
        log.exception("import job %s failed", job_id)
        _finish(job_id, expect=Status.IMPORTING, **_failed(errors=_internal_error()))


def _import(job: ImportJob) -> None:
    try:
        result = import_workbook(actor=job.actor, acting_org=job.acting_org, kind=job.kind,
                                 file=io.BytesIO(bytes(job.file_content)))
    except (ValidationError, PermissionDenied) as exc:
        # Refused whole (the admin's post ended meanwhile, R-AUTH-1): the refusal was audited; end the job with it.
        _finish(job.pk, expect=Status.IMPORTING, **_failed(errors=_file_error(exc)))
        return
    errors = [list(e) for e in result.errors]
    if errors:
        # Someone changed the register since the check: show the problems, import nothing.
        _finish(job.pk, expect=Status.IMPORTING, status=Status.CHECKED, rows_total=result.rows,
                rows_checked=result.rows, errors=errors)
    else:
        _finish(job.pk, expect=Status.IMPORTING, status=Status.DONE, rows_total=result.rows, rows_checked=result.rows,
                created=result.created, errors=[], file_content=b"", finished_at=timezone.now())


@task()
@retrying
def mark_job(job_id: int) -> None:
    """The uploaded file with its bad cells marked, kept on the job for download (built here, never in a request:
    a large file takes seconds and hundreds of megabytes)."""
    job = ImportJob.objects.filter(pk=job_id, status=Status.CHECKED, marked=Marked.BUILDING).first()
    if job is None:
        return
    try:
        content = mark_workbook(bytes(job.file_content), job.errors)
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 — a file openpyxl cannot reopen still has its list of problems on the page
        log.warning("import job %s: the marked file could not be built", job_id, exc_info=True)
        ImportJob.objects.filter(pk=job_id, marked=Marked.BUILDING).update(marked=Marked.FAILED)
        return
    ImportJob.objects.filter(pk=job_id, status=Status.CHECKED, marked=Marked.BUILDING).update(
        marked=Marked.READY, marked_content=content)


def retry_job(*, actor, job: ImportJob) -> ImportJob:
    """Run an interrupted job again: one whose task lost its database connection, or one left running long after
    its last heartbeat (a worker killed). The owner only; a second click finds it running and changes nothing."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.actor_id != actor.pk:
            raise PermissionDenied(_("只能重试自己上传的文件。"))
        code = job.errors[0][2] if job.status == Status.FAILED and len(job.errors) == 1 else ""
        if code in INTERRUPTED:
            job.status, job.errors = INTERRUPTED[code], []
        elif not is_stale(job):
            raise ValidationError(_("这个文件正在处理或已经处理完，不需要重试。"), code="job_not_interrupted")
        job.updated_at = timezone.now()
        job.save(update_fields=["status", "errors", "updated_at"])
        record(actor=actor, action="import.retry", target=job, acting_org=job.acting_org, status=job.status)
    (import_job if job.status == Status.IMPORTING else check_job).enqueue(job.pk)
    return job


def is_stale(job: ImportJob, *, now=None) -> bool:
    """A job still 'running' long after its last heartbeat was cut off (a restart): nothing was imported,
    since an import is one transaction."""
    return job.status in RUNNING and (now or timezone.now()) - job.updated_at > STALE_AFTER
