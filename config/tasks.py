"""Background work (issue 14, STYLE rule 12): what Django's task framework (the django-tasks backport) does not do
itself. Imports no app: every app may use it (tests/test_layers.py).

- `retrying`: a task retried in place, with backoff, on a transient error (the database connection dropped, the
  mail server down); the dead connection is closed first, so the next try connects afresh.
- `reap_stale`: a task left RUNNING by a worker that was killed (SIGKILL, a lost machine: upstream's worker never
  marks it) goes back to the queue, or ends FAILED once it has been claimed TASK_MAX_ATTEMPTS times. Tasks are
  idempotent, so a task wrongly taken for dead costs work, never a second effect.
- `queue_health`: can the queue be reached, and how long has its oldest waiting task waited (/readyz).
- `log_task`: one line per task a worker ran (task, id, duration, outcome), through the masking log filter."""
import datetime as dt
import functools
import logging
import smtplib
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus

log = logging.getLogger("tuanji.tasks")

TRANSIENT = (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError)


def drop_connection() -> None:
    """After a database error: close the connection (a dead one cannot even roll back), unless a transaction of the
    caller's is open (then it is the caller's to end)."""
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except Exception:  # noqa: BLE001 — closing a dead connection may raise; it is closed all the same
        log.debug("closing a dead connection", exc_info=True)


def retrying(func=None, *, transient=TRANSIENT, delays=None):
    """Run func again after a transient error, waiting settings.TASK_RETRY_DELAYS (or `delays`) seconds between the
    tries; the last error is raised. Put it under @task: `@task() @retrying def send(...)`."""
    if func is None:
        return functools.partial(retrying, transient=transient, delays=delays)

    @functools.wraps(func)
    def run(*args, **kwargs):
        waits = list(settings.TASK_RETRY_DELAYS if delays is None else delays)
        for attempt in range(len(waits) + 1):
            try:
                return func(*args, **kwargs)
            except transient as exc:
                if isinstance(exc, OperationalError | InterfaceError):
                    drop_connection()
                if attempt == len(waits):
                    raise
                log.warning("task=%s attempt=%d error=%s retry_in=%ss", func.__name__, attempt + 1,
                            type(exc).__name__, waits[attempt])
                time.sleep(waits[attempt])
                close_old_connections()
    return run


def _db_results():
    from django_tasks_db.models import DBTaskResult  # the backend's model: loaded with the apps, not before

    return DBTaskResult


def _is_database_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def reap_stale(*, now=None, stale_after: dt.timedelta | None = None, max_attempts: int | None = None) -> dict:
    """RUNNING tasks claimed longer ago than `stale_after`: back to READY (to run at once), or FAILED once claimed
    `max_attempts` times (each claim adds a worker id). Each row is locked (SKIP LOCKED) and re-read first, so two
    sweepers never return one task twice. Returns {"requeued": n, "failed": n}. The database backend only: RQ
    has its own (its workers' heartbeats and failed-job registry)."""
    if not _is_database_backend():
        return {"requeued": 0, "failed": 0}
    results = _db_results()
    now = now or timezone.now()
    stale_after = settings.TASK_STALE_AFTER if stale_after is None else stale_after
    max_attempts = max_attempts or settings.TASK_MAX_ATTEMPTS
    counts = {"requeued": 0, "failed": 0}
    for pk in list(results.objects.running().filter(started_at__lt=now - stale_after).values_list("pk", flat=True)):
        with transaction.atomic():
            row = (results.objects.select_for_update(skip_locked=True)
                   .filter(pk=pk, status=TaskResultStatus.RUNNING, started_at__lt=now - stale_after).first())
            if row is None:  # finished meanwhile, or another sweeper has it
                continue
            if len(row.worker_ids) >= max_attempts:
                row.status, row.finished_at = TaskResultStatus.FAILED, now
                row.exception_class_path = "config.tasks.WorkerLost"
                row.traceback = f"claimed {len(row.worker_ids)} times, never finished"
                row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                counts["failed"] += 1
                outcome = "FAILED"
            else:
                row.status, row.run_after = TaskResultStatus.READY, now
                row.save(update_fields=["status", "run_after"])
                counts["requeued"] += 1
                outcome = "READY"
        log.warning("task=%s id=%s outcome=REAPED status=%s attempts=%d", row.task_path.rsplit(".", 1)[-1], row.pk,
                    outcome, len(row.worker_ids))
    return counts


def queue_health(*, now=None) -> dict:
    """{"reachable": bool, "oldest_queued_seconds": float | None, "ready": bool} for /readyz: the queue answers, and
    its oldest task waiting to run has waited at most TASK_QUEUE_MAX_AGE (else no worker is taking them)."""
    now = now or timezone.now()
    try:
        if _is_database_backend():
            enqueued = (_db_results().objects.ready().order_by("enqueued_at")
                        .values_list("enqueued_at", flat=True).first())
            oldest = (now - enqueued).total_seconds() if enqueued else None
        else:
            oldest = _rq_oldest_seconds(now)
    except Exception as exc:  # noqa: BLE001 — any failure to ask is "unreachable", said in the answer
        log.warning("task queue unreachable: %s", type(exc).__name__)
        return {"reachable": False, "oldest_queued_seconds": None, "ready": False}
    limit = settings.TASK_QUEUE_MAX_AGE.total_seconds()
    return {"reachable": True, "oldest_queued_seconds": oldest, "ready": oldest is None or oldest <= limit}


def _rq_oldest_seconds(now) -> float | None:
    import django_rq  # the optional extra (pip install .[rq]): imported only when TASK_BACKEND is "rq"

    queue = django_rq.get_queue("default")
    ids = queue.get_job_ids(0, 0)
    if not ids:
        return None
    job = queue.fetch_job(ids[0])
    enqueued = job.enqueued_at if job else None
    if enqueued is None:
        return None
    if timezone.is_naive(enqueued):
        enqueued = timezone.make_aware(enqueued, dt.UTC)
    return (now - enqueued).total_seconds()


def log_task(sender, *, task_result, **kwargs) -> None:
    """task_finished: one structured line per task run (task, id, duration, outcome). The arguments are ids, never
    logged; an error's class is named, its message is not (it may quote a row: the filter masks ID numbers anyway)."""
    started, finished = task_result.started_at, task_result.finished_at
    duration = (finished - started).total_seconds() * 1000 if started and finished else 0.0
    error = task_result.errors[-1].exception_class_path if task_result.errors else ""
    log.info("task=%s id=%s duration_ms=%.0f outcome=%s%s", task_result.task.name, task_result.id, duration,
             task_result.status, f" error={error}" if error else "",
             extra={"task": task_result.task.name, "task_id": str(task_result.id), "duration_ms": round(duration),
                    "outcome": str(task_result.status)})
