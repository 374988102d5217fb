"""Issue 14: the import's tasks. Each takes the job's id and re-reads the job, so running one twice does the work once;
a task that loses its database connection ends the job "failed" with a message that says so, and the owner retries it
from the page; a worker killed mid-import (SIGKILL) leaves nothing behind, and after `reap_stale` another worker
imports the file, once. The PostgreSQL tests run upstream's real worker in a subprocess (tests/members/slow_worker.py)."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

import members.importing as importing
from config.tasks import reap_stale
from members.importing import jobs
from members.models import ImportJob, Person
from tests.members.test_import_files import fill, huge_rows, member_row

ROOT = Path(__file__).resolve().parents[2]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _upload(client, content: bytes):
    client.post(reverse("imports:start"), {"kind": "branch_members",
                                           "file": SimpleUploadedFile("团员.xlsx", content, content_type=XLSX)})
    return ImportJob.objects.latest("pk")


def _checked_job(tree, rows: int = 3) -> ImportJob:
    job = jobs.start_job(actor=tree["school_admin"], acting_org=tree["school"], kind="branch_members",
                         file_name="团员.xlsx", content=huge_rows(tree, rows))
    job.refresh_from_db()
    assert job.status == "checked" and job.errors == []
    return job


# --- idempotent ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_run_twice_imports_once(tree):
    job = _checked_job(tree)
    before = Person.objects.count()
    jobs.confirm_job(actor=tree["school_admin"], job=job)      # runs import_job (ImmediateBackend)
    jobs.import_job.call(job.pk)                                  # a second run: the job is done, nothing happens
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 3) and Person.objects.count() == before + 3


@pytest.mark.django_db
def test_a_check_run_twice_keeps_one_result_and_a_finished_job_is_left_alone(tree):
    job = _checked_job(tree)
    ImportJob.objects.filter(pk=job.pk).update(status="checking")  # left CHECKING by a killed worker
    jobs.check_job.call(job.pk)
    jobs.check_job.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.errors) == ("checked", 3, [])
    ImportJob.objects.filter(pk=job.pk).update(status="done")
    jobs.check_job.call(job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == "done"


@pytest.mark.django_db
def test_the_marked_file_is_built_by_a_task_and_only_then_offered(client_as, tree):
    admin = client_as(tree["school_admin"], tree["school"])
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        job = _upload(admin, fill([member_row(tree, 身份证号="110101200404040000")]))
        assert job.status == "queued"
        jobs.check_job.call(job.pk)                       # the check queues the marking, which has not run yet
    job.refresh_from_db()
    assert (job.status, job.marked) == ("checked", "building")
    page = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "正在生成标注了问题的表格" in page and 'hx-trigger="every 1s"' in page
    assert admin.get(reverse("imports:marked", args=[job.pk])).status_code == 404
    jobs.mark_job.call(job.pk)
    jobs.mark_job.call(job.pk)                            # twice: built once
    job.refresh_from_db()
    assert job.marked == "ready" and bytes(job.marked_content)[:2] == b"PK"
    page = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert reverse("imports:marked", args=[job.pk]) in page and "hx-trigger" not in page
    assert admin.get(reverse("imports:marked", args=[job.pk])).status_code == 200


# --- the database connection lost -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_that_loses_its_database_connection_fails_with_a_message_and_is_retried(client_as, tree, monkeypatch):
    admin = client_as(tree["school_admin"], tree["school"])
    job = _upload(admin, huge_rows(tree, 3))

    def lost(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(importing, "write_rows", lost)
    monkeypatch.setattr(jobs, "drop_connection", lambda: None)  # the test's own connection stays
    admin.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "failed" and [e[2] for e in job.errors] == ["import_interrupted"]
    assert bytes(job.file_content)                                    # kept for the retry
    page = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "连接中断" in page and reverse("imports:retry", args=[job.pk]) in page

    monkeypatch.undo()
    resp = admin.post(reverse("imports:retry", args=[job.pk]))
    assert resp.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 3)
    again = admin.post(reverse("imports:retry", args=[job.pk]), follow=True)  # a second click changes nothing
    assert "不需要重试" in again.content.decode()


@pytest.mark.django_db
def test_only_the_owner_retries(client_as, tree):
    job = _upload(client_as(tree["school_admin"], tree["school"]), huge_rows(tree, 1))
    ImportJob.objects.filter(pk=job.pk).update(status="failed", errors=[[0, "", "check_interrupted", "x"]])
    other = client_as(tree["b1_admin"], tree["b1"])
    assert other.post(reverse("imports:retry", args=[job.pk])).status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == "failed"


# --- a real worker process on PostgreSQL --------------------------------------------------------------------------


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(tmp_path, seconds: float) -> tuple[subprocess.Popen, Path]:
    flag = tmp_path / f"in-import-{time.monotonic_ns()}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONPATH": str(ROOT), "TASK_BACKEND": "database",
           "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    worker = subprocess.Popen([sys.executable, str(ROOT / "tests" / "members" / "slow_worker.py"), str(flag),
                               str(seconds)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return worker, flag


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _confirmed(tree, rows: int) -> ImportJob:
    job = _checked_job(tree, rows)                      # checked here (ImmediateBackend)
    with override_settings(TASKS=DATABASE_TASKS):
        jobs.confirm_job(actor=tree["school_admin"], job=job)  # the import queued in the database
    assert DBTaskResult.objects.filter(task_path="members.importing.jobs.import_job", status="READY").count() == 1
    return job


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_nothing_and_another_imports_it_once(tree, tmp_path):
    job = _confirmed(tree, 5)
    before = Person.objects.count()
    worker, flag = _start_worker(tmp_path, seconds=120)
    try:
        _wait(flag.exists, 60, "the worker to write the rows")
        assert Person.objects.count() == before          # written, not committed
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    task = DBTaskResult.objects.get(task_path="members.importing.jobs.import_job")
    assert task.status == "RUNNING"                       # upstream never learns of the kill
    assert ImportJob.objects.get(pk=job.pk).status == "importing" and Person.objects.count() == before

    with override_settings(TASKS=DATABASE_TASKS):
        assert reap_stale(stale_after=dt.timedelta(0)) == {"requeued": 1, "failed": 0}
    subprocess.run([sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay",
                    "--worker-id", "second"], cwd=ROOT, check=True, timeout=120, capture_output=True,
                   env={**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.local",
                        "TASK_BACKEND": "database"})
    task.refresh_from_db()
    job.refresh_from_db()
    assert task.status == "SUCCESSFUL" and len(task.worker_ids) == 2 and task.worker_ids[1] == "second"
    assert (job.status, job.created) == ("done", 5) and Person.objects.count() == before + 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_connection_is_terminated_fails_within_a_minute_and_can_be_retried(tree, tmp_path):
    job = _confirmed(tree, 4)
    before = Person.objects.count()
    worker, flag = _start_worker(tmp_path, seconds=2)
    try:
        _wait(flag.exists, 60, "the worker to write the rows")
        with connection.cursor() as cursor:                 # as an operator would: every backend of the worker
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        _wait(lambda: ImportJob.objects.get(pk=job.pk).status == "failed", 60, "the job to fail")
    finally:
        worker.terminate()
        worker.wait(30)
    job.refresh_from_db()
    assert [e[2] for e in job.errors] == ["import_interrupted"] and "连接中断" in job.errors[0][3]
    assert Person.objects.count() == before
    jobs.retry_job(actor=tree["school_admin"], job=job)      # the page's 重试 (the task runs at once here)
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 4) and Person.objects.count() == before + 4
