"""Journey g (issue 14): the background work seen from the browser, with a real task worker started as bin/run
starts it (`manage.py db_worker --no-reload --interval 1`, its own process, on the live server's database). An admin
uploads a workbook: the page shows it queued until a worker takes it, then checked; confirms, and sees it imported.
Then exports a member list longer than EXPORT_IMMEDIATE_ROWS: the button queues a job, the page shows it waiting,
a worker builds it, the download button appears and the file holds the rows, ID numbers masked.

PostgreSQL only, like every journey (tests/e2e/conftest.py): the worker and the live server share the test database."""
import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from django.db import connection
from openpyxl import load_workbook
from playwright.sync_api import expect

from members.importing import build_template
from members.importing.columns import BRANCH_MEMBERS, KINDS
from members.models import ExportJob, ImportJob, Person
from tests.factories import make_id_number

from .journey import ROOT
from .world import PASSWORD, league

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER_MS = 30_000  # a worker process starts (Django's set-up) and polls every second
SHEET = KINDS[BRANCH_MEMBERS]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
NAMES = ["孙浩然", "周雨桐", "吴子轩"]


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker() -> subprocess.Popen:
    """A worker as bin/run starts one, against the test database."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "TASK_BACKEND": "database"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen([sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "1"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(5)


def _workbook(branch) -> bytes:
    wb = load_workbook(io.BytesIO(build_template(BRANCH_MEMBERS)))
    ws = wb[SHEET]
    column = {cell.value: cell.column for cell in ws[1] if cell.value}
    for row, name in enumerate(NAMES, start=2):
        for header, value in (("姓名", name), ("身份证号", make_id_number(dt.date(2001, 7, 7))),
                              ("入团时间", dt.date(2016, 5, 4)), ("手机号码", f"1380000000{row}"),
                              ("所在团支部全称", branch.full_name)):
            ws.cell(row=row, column=column[header], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_g_a_worker_checks_and_imports_an_upload_then_builds_an_export(ui, settings, tmp_path):
    ui.journey = "worker"
    settings.TASKS = DATABASE_TASKS           # the live server queues in the database, as bin/run does
    settings.EXPORT_IMMEDIATE_ROWS = 2
    w = league()
    upload = tmp_path / "新团员.xlsx"
    upload.write_bytes(_workbook(w.sales))
    workers = []
    try:
        page = ui.open()
        ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
        nav = page.get_by_role("navigation", name="主导航")
        nav.locator("summary", has_text="人员").click()
        nav.get_by_role("link", name="Excel 批量导入").click()
        ui.check(page)
        page.get_by_label(SHEET).check()
        page.get_by_label("填好的表格（.xlsx）").set_input_files(upload)
        page.get_by_role("button", name="上传并检查").click()
        expect(page.get_by_role("status")).to_contain_text("排队中")          # no worker yet: it waits, polled
        ui.see(page, "1-import-queued")

        workers.append(_worker())
        expect(page.get_by_role("status")).to_contain_text("检查通过：共 3 行", timeout=WORKER_MS)
        ui.see(page, "2-import-checked")
        page.get_by_role("button", name="确认导入 3 行").click()
        expect(page.get_by_role("status")).to_contain_text("已导入 3 行。", timeout=WORKER_MS)
        ui.see(page, "3-import-done")
        assert ImportJob.objects.get().status == "done"
        assert set(Person.objects.filter(memberships__branch=w.sales).values_list("name", flat=True)) == set(NAMES)
        _stop(workers.pop())

        nav.locator("summary", has_text="人员").click()
        nav.get_by_role("link", name="导出名单").click()
        ui.check(page)
        page.get_by_role("button", name="导出团员名单").click()
        expect(page.get_by_role("heading", level=2)).to_contain_text("将在后台生成")
        ui.see(page, "4-export-offer")
        page.get_by_role("button", name="开始生成").click()
        expect(page.get_by_role("status")).to_contain_text("排队中")
        ui.see(page, "5-export-queued")

        workers.append(_worker())
        expect(page.get_by_role("status")).to_contain_text("文件已生成：共 3 行。", timeout=WORKER_MS)
        ui.see(page, "6-export-ready")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 Excel 文件").click()
        saved = tmp_path / "export.xlsx"
        download.value.save_as(saved)
    finally:
        for worker in workers:
            _stop(worker)
    ws = load_workbook(saved).active
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, (c.value for c in row), strict=False)) for row in ws.iter_rows(min_row=3)]
    assert sorted(r["姓名"] for r in rows) == sorted(NAMES)
    people = {p.name: p for p in Person.objects.filter(name__in=NAMES)}
    assert all(r["身份证号"] == people[r["姓名"]].masked_id_number for r in rows)
    job = ExportJob.objects.get()
    assert (job.status, job.rows_done, job.actor_id) == ("ready", 3, w.firm_admin.pk)
