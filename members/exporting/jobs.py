"""Export jobs (issue 14): the only writer of ExportJob. A list too long to build in a request becomes a job
(`start_export`) and a task builds its workbook (`build_export_job`), streaming the rows (`.iterator`) into a
write-only workbook and writing its progress every PROGRESS_EVERY rows. The task takes the job's id and claims it
under a row lock (STYLE rule 12): a second run, or a run of a task returned to the queue by `reap_stale`, finds it
taken and does nothing, unless the first run's heartbeat stopped (a killed worker), in which case it builds it."""
import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from access.permissions import ensure_acting_as
from audit.services import record_export
from config.tasks import drop_connection

from ..models import ExportJob
from .kinds import KINDS
from .workbook import build_export

log = logging.getLogger(__name__)
Status = ExportJob.Status
RUNNING = (Status.QUEUED, Status.BUILDING)
PROGRESS_EVERY = 2000                    # rows between two progress writes; the iterator's chunk too
STALE_AFTER = dt.timedelta(minutes=2)    # a build without a heartbeat this long was interrupted
# Issue 15: the language of the page the export was asked from, kept beside the filters (a task has no request):
# the workbook's title and sheet names and the file's name are in it. Never a filter of the rows.
LANGUAGE = "_language"


def _filters_and_language(job: ExportJob) -> tuple[dict, str]:
    filters = dict(job.filters)
    return filters, filters.pop(LANGUAGE, None) or settings.LANGUAGE_CODE


def start_export(*, actor, acting_org, kind: str, filters: dict) -> ExportJob:
    """Keep what to export (the page's filters, already cleaned) and queue its build."""
    if kind not in KINDS:
        raise ValidationError(_("没有这种导出。"), code="export_kind")
    ensure_acting_as(actor, acting_org)  # R-AUTH-1
    job = ExportJob.objects.create(actor=actor, acting_org=acting_org, kind=kind,
                                   filters={**filters, LANGUAGE: translation.get_language() or settings.LANGUAGE_CODE})
    build_export_job.enqueue(job.pk)
    return job


def is_stale(job: ExportJob, *, now=None) -> bool:
    return job.status in RUNNING and job.updated_at < (now or timezone.now()) - STALE_AFTER


def _claim(job_id: int) -> bool:
    """QUEUED (or BUILDING without a heartbeat) → BUILDING, under the job's lock: one run builds."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).only("status", "updated_at").first()
        if job is None or not (job.status == Status.QUEUED or (job.status == Status.BUILDING and is_stale(job))):
            return False
        job.status, job.updated_at, job.rows_done = Status.BUILDING, timezone.now(), 0
        job.save(update_fields=["status", "updated_at", "rows_done"])
    return True


def _finish(job_id: int, **fields) -> int:
    return ExportJob.objects.filter(pk=job_id, status=Status.BUILDING).update(updated_at=timezone.now(), **fields)


def _failed(job_id: int, message: str) -> None:
    _finish(job_id, status=Status.FAILED, error=message, content=b"", finished_at=timezone.now())


@task()
def build_export_job(job_id: int) -> None:
    """Build the job's workbook: count the rows, stream them into the file with progress, keep the file."""
    if not _claim(job_id):
        return
    job = ExportJob.objects.select_related("actor", "acting_org").defer("content").get(pk=job_id)
    kind = KINDS[job.kind]

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(rows_done=done, updated_at=timezone.now())

    filters, language = _filters_and_language(job)
    try:
        ensure_acting_as(job.actor, job.acting_org)  # the owner's admin post may have ended since
        rows = kind.rows(job.acting_org, filters)
        ExportJob.objects.filter(pk=job_id).update(rows_total=rows.count(), updated_at=timezone.now())
        with translation.override(language):
            content, done = build_export(**kind.workbook(job.acting_org, filters),
                                         rows=rows.iterator(chunk_size=PROGRESS_EVERY), progress=progress,
                                         every=PROGRESS_EVERY)
    except PermissionDenied as exc:
        _failed(job_id, str(exc))
        return
    except DatabaseError:
        log.warning("export job %s: database connection lost", job_id, exc_info=True)
        drop_connection()
        _failed_after_reconnect(job_id)
        return
    except Exception:  # noqa: BLE001 — a task must leave the job in a state the page can show
        log.exception("export job %s failed", job_id)
        _failed(job_id, _("生成文件时出错。请重新导出；如果再次出错，请联系上级组织。"))
        return
    _finish(job_id, status=Status.READY, content=content, rows_done=done, rows_total=done,
            finished_at=timezone.now())


def _failed_after_reconnect(job_id: int) -> None:
    try:
        _failed(job_id, _("生成文件时与数据库的连接中断了。请重新导出。"))
    except DatabaseError:  # still away: the job's heartbeat stops, and the page offers to export again
        drop_connection()


def download(*, actor, job: ExportJob) -> tuple[bytes, str, str]:
    """The owner's file, its names; each download audited (R-TR-16) with its rows and the filters that chose them."""
    if job.actor_id != actor.pk:
        raise PermissionDenied(_("只能下载自己导出的文件。"))
    if job.status != Status.READY:
        raise ValidationError(_("文件还没有生成。"), code="export_not_ready")
    ensure_acting_as(actor, job.acting_org)  # R-AUTH-1: not after the admin post ended
    kind = KINDS[job.kind]
    filters, language = _filters_and_language(job)
    record_export(actor=actor, acting_org=job.acting_org, what=job.kind, rows=job.rows_done, job=job.pk, **filters)
    with translation.override(language):  # named as its title and sheets are
        return bytes(job.content), *kind.file_names(job.acting_org)
