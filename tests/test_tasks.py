"""Issue 14: config/tasks.py — retries with backoff, the return of a killed worker's tasks, the queue's health, the log
line per task — and /healthz, /readyz. The database backend runs for real here (enqueue, then upstream's worker loop
in this process, `--batch`), beside the test settings' ImmediateBackend."""
import datetime as dt
import logging
import smtplib

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from audit.logging import MaskIdNumbersFilter
from config import health
from config import tasks as config_tasks
from config.tasks import queue_health, reap_stale, retrying
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CALLS: list = []


@task()
@retrying
def flaky(fail_times: int, error: str = "db") -> int:
    """Fails `fail_times` times with a transient error, then succeeds: returns the try it succeeded on."""
    CALLS.append(1)
    if len(CALLS) <= fail_times:
        raise OperationalError("server closed the connection") if error == "db" else smtplib.SMTPServerDisconnected()
    return len(CALLS)


@task()
def broken(id_number: str) -> None:
    raise ValueError(f"bad row {id_number}")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


@pytest.fixture
def database_backend(monkeypatch):
    """The database backend for real; upstream's worker run in this process, once through the queue (`--batch`).
    Its close_old_connections would close the test's transaction: a no-op here (the worker's own run does it)."""
    with override_settings(TASKS=DATABASE_TASKS):  # django_tasks forgets its backends on setting_changed
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        yield


def run_worker_once():
    db_worker.Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                     max_tasks=None, worker_id="test-worker", excluded_queue_names=[]).run()


# --- retrying ------------------------------------------------------------------------------------------------


def test_it_retries_a_transient_database_error_with_backoff(monkeypatch, settings):
    settings.TASK_RETRY_DELAYS = [2, 10, 60]
    waits = []
    monkeypatch.setattr(config_tasks.time, "sleep", waits.append)
    assert flaky.call(2) == 3
    assert waits == [2, 10]  # backoff: the second wait is longer


def test_it_retries_a_mail_server_that_hung_up(monkeypatch):
    monkeypatch.setattr(config_tasks.time, "sleep", lambda s: None)
    assert flaky.call(1, error="smtp") == 2


def test_it_gives_up_after_the_last_try(settings):
    settings.TASK_RETRY_DELAYS = [0, 0]
    with pytest.raises(OperationalError):
        flaky.call(5)
    assert len(CALLS) == 3


def test_it_does_not_retry_a_programming_error():
    @retrying
    def wrong():
        CALLS.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        wrong()
    assert len(CALLS) == 1


# --- the database backend, reap_stale, queue_health ------------------------------------------------------------


def test_the_database_backend_queues_and_the_worker_runs_it(database_backend):
    result = flaky.enqueue(0)
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    run_worker_once()
    row = DBTaskResult.objects.get(pk=result.id)
    assert (row.status, row.return_value, row.worker_ids) == ("SUCCESSFUL", 1, ["test-worker"])


def _claimed(result_id, *, minutes_ago: int, claims: int = 1):
    DBTaskResult.objects.filter(pk=result_id).update(
        status="RUNNING", started_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        worker_ids=[f"killed-{i}" for i in range(claims)])


def test_a_task_left_running_by_a_killed_worker_goes_back_to_the_queue_and_runs(database_backend):
    result = flaky.enqueue(0)
    _claimed(result.id, minutes_ago=11)
    assert reap_stale() == {"requeued": 1, "failed": 0}
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    assert reap_stale() == {"requeued": 0, "failed": 0}  # once
    run_worker_once()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["killed-0", "test-worker"]


def test_a_task_claimed_too_often_fails_instead(database_backend, settings):
    result = flaky.enqueue(0)
    _claimed(result.id, minutes_ago=11, claims=settings.TASK_MAX_ATTEMPTS)
    assert reap_stale() == {"requeued": 0, "failed": 1}
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "FAILED" and row.exception_class_path == "config.tasks.WorkerLost"


def test_a_task_running_for_less_than_the_limit_is_left_alone(database_backend):
    result = flaky.enqueue(0)
    _claimed(result.id, minutes_ago=2)
    assert reap_stale() == {"requeued": 0, "failed": 0}
    assert DBTaskResult.objects.get(pk=result.id).status == "RUNNING"


def test_the_queue_is_healthy_when_empty_or_young_and_unready_when_old(database_backend, settings):
    assert queue_health() == {"reachable": True, "oldest_queued_seconds": None, "ready": True}
    result = flaky.enqueue(0)
    assert queue_health()["ready"] is True
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - dt.timedelta(minutes=6))
    health = queue_health()
    assert health["reachable"] and not health["ready"] and health["oldest_queued_seconds"] > 300


# --- /healthz and /readyz --------------------------------------------------------------------------------------


def test_healthz_answers_without_sign_in_host_or_database(client, monkeypatch):
    monkeypatch.setattr(health, "connection", None)  # any use of the database would raise
    resp = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a probe by address: not in ALLOWED_HOSTS
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert "Set-Cookie" not in resp.headers


def test_readyz_is_ready_with_the_database_and_the_queue(client, database_backend):
    resp = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ready", "database": True, "task_queue": True, "oldest_queued_seconds": None}


def test_readyz_is_unready_when_the_oldest_task_waits_too_long(client, database_backend):
    result = flaky.enqueue(0)
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - dt.timedelta(hours=1))
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["status"] == "unready"
    assert resp.json()["task_queue"] is True and resp.json()["oldest_queued_seconds"] >= 3600


def test_readyz_is_unready_without_the_database(client, monkeypatch):
    monkeypatch.setattr(health, "_database_ok", lambda: False)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["database"] is False and resp.json()["task_queue"] is False


def test_readyz_is_unready_when_the_queue_cannot_be_asked(client, database_backend, monkeypatch):
    def unreachable():
        raise OperationalError("no such table")

    monkeypatch.setattr(config_tasks, "_db_results", unreachable)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["database"] is True and resp.json()["task_queue"] is False


def test_the_probes_take_no_post_and_other_pages_still_need_sign_in(client):
    assert client.post("/healthz").status_code in (302, 403, 404, 405)
    assert client.get("/").status_code == 302


# --- one log line per task ------------------------------------------------------------------------------------


def test_each_task_run_logs_one_structured_line(caplog):
    with caplog.at_level(logging.INFO, logger="tuanji.tasks"):
        result = flaky.enqueue(0)
    lines = [r for r in caplog.records if r.name == "tuanji.tasks"]
    assert len(lines) == 1
    line = lines[0]
    assert line.getMessage().startswith(f"task=flaky id={result.id} duration_ms=")
    assert line.getMessage().endswith("outcome=SUCCESSFUL")
    assert (line.task, line.task_id, line.outcome) == ("flaky", str(result.id), "SUCCESSFUL")


def test_a_failed_task_logs_its_error_class_and_never_an_id_number(caplog):
    id_number = make_id_number(dt.date(2004, 4, 4))
    with caplog.at_level(logging.INFO, logger="tuanji.tasks"):
        broken.enqueue(id_number)
    (line,) = [r for r in caplog.records if r.name == "tuanji.tasks"]
    assert "outcome=FAILED error=builtins.ValueError" in line.getMessage()
    assert id_number not in line.getMessage()
    assert MaskIdNumbersFilter().filter(line) and id_number not in line.getMessage()
