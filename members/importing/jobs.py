"""Import jobs (issue 5): the only writer of ImportJob. An upload becomes a job; a worker checks it
(`run_check`), the owner confirms, a worker imports it (`run_import`). Both workers call
`import_workbook`, which checks permission and every R-ENT rule itself; this module only keeps state."""
import datetime as dt
import io
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as
from audit.services import record

from ..models import ImportJob
from . import KINDS, import_workbook

log = logging.getLogger(__name__)
Status = ImportJob.Status
RUNNING = (Status.QUEUED, Status.CHECKING, Status.IMPORTING)
PROGRESS_EVERY = 200            # rows between two progress writes (check_workbook reports every 200)
STALE_AFTER = dt.timedelta(minutes=10)  # a running job without a heartbeat this long was interrupted


def start_job(*, actor, acting_org, kind: str, file_name: str, content: bytes) -> ImportJob:
    """Keep an upload for checking. The rules run in the worker, not here."""
    if kind not in KINDS:
        raise ValidationError(_("请选择模板类型。"), code="template_mismatch")
    ensure_acting_as(actor, acting_org)  # R-AUTH-1
    with transaction.atomic():
        job = ImportJob.objects.create(actor=actor, acting_org=acting_org, kind=kind, file_name=file_name[:200],
                                       file_content=content)
        record(actor=actor, action="import.upload", target=job, acting_org=acting_org, kind=kind,
               size=len(content))
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


def _finish(job_id: int, **fields) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(updated_at=now, **fields)


def _run(job_id: int, *, dry_run: bool) -> None:
    job = ImportJob.objects.select_related("actor", "acting_org").get(pk=job_id)
    try:
        result = import_workbook(actor=job.actor, acting_org=job.acting_org, kind=job.kind,
                                 file=io.BytesIO(bytes(job.file_content)), dry_run=dry_run,
                                 progress=_progress(job_id))
    except (ValidationError, PermissionDenied) as exc:
        # The whole file is refused (not an .xlsx, too big, the other template, ...): nothing to keep.
        _finish(job_id, status=Status.FAILED, errors=_file_error(exc), file_content=b"", finished_at=timezone.now())
        return
    except Exception:  # noqa: BLE001 — a worker must leave the job in a state the page can show
        log.exception("import job %s failed", job_id)
        _finish(job_id, status=Status.FAILED, file_content=b"", finished_at=timezone.now(),
                errors=[[0, "", "internal_error", _("处理文件时出错，未导入任何数据。请重新上传；如果再次出错，请联系上级组织。")]])
        return
    errors = [list(e) for e in result.errors]
    if dry_run or errors:
        # Checked (or, on confirm, someone changed the register meanwhile): show the problems, import nothing.
        _finish(job_id, status=Status.CHECKED, rows_total=result.rows, rows_checked=result.rows, errors=errors)
    else:
        _finish(job_id, status=Status.DONE, rows_total=result.rows, rows_checked=result.rows, created=result.created,
                errors=[], file_content=b"", finished_at=timezone.now())


def run_check(job_id: int) -> None:
    """Worker: check every row (import_workbook with dry_run), keep the problems found."""
    if ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(status=Status.CHECKING,
                                                                         updated_at=timezone.now()):
        _run(job_id, dry_run=True)


def confirm_job(*, actor, job: ImportJob) -> ImportJob:
    """The owner confirms a checked file without errors; the import itself runs in `run_import`."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.actor_id != actor.pk:
            raise PermissionDenied(_("只能确认自己上传的文件。"))
        if job.status != Status.CHECKED or job.errors:  # re-read after locking: a second click changes nothing
            raise ValidationError(_("这个文件不能导入：它还有错误，或已经导入过。"), code="job_not_ready")
        job.status, job.rows_checked, job.updated_at = Status.IMPORTING, 0, timezone.now()
        job.save(update_fields=["status", "rows_checked", "updated_at"])
    return job


def run_import(job_id: int) -> None:
    """Worker: import every row in one transaction (import_workbook checks them all again first)."""
    if ImportJob.objects.filter(pk=job_id, status=Status.IMPORTING).exists():
        _run(job_id, dry_run=False)


def is_stale(job: ImportJob, *, now=None) -> bool:
    """A job still 'running' long after its last heartbeat was cut off (a restart): nothing was imported,
    since an import is one transaction."""
    return job.status in RUNNING and (now or timezone.now()) - job.updated_at > STALE_AFTER
