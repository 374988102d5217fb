"""Large exports as tasks (issue 14): a list longer than EXPORT_IMMEDIATE_ROWS is offered as an export job (GET
never starts one), the button's POST queues it, a task builds the workbook with its progress, and only its owner
downloads it, each download audited. Each view has its allowed case and its refusals: a plain member (403), another
admin, one above included (404), anonymous users (the login page). The task runs at once here (ImmediateBackend);
tests/e2e/test_export_job.py runs it in a real worker."""
import datetime as dt
import io
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from members.exporting import jobs
from members.models import ExportJob
from members.services import enter_member
from tests.factories import make_id_number
from transfers.models import TransferRequest

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAMES = ["甲", "乙", "丙", "丁", "戊"]


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.EXPORT_IMMEDIATE_ROWS = 2


@pytest.fixture
def admin(client_as, tree):
    return client_as(tree["school_admin"], tree["school"])


@pytest.fixture
def people(tree):
    return [enter_member(actor=None, branch=tree["b1"] if i < 4 else tree["b2"],
                         id_number=make_id_number(dt.date(2004, 4, 4)), name=name, joined_on=dt.date(2016, 5, 4),
                         work_unit="=1+1" if i == 0 else "示范大学")
            for i, name in enumerate(NAMES)]


def _rows(content: bytes, header_row: int = 2):
    ws = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[header_row]]
    return [dict(zip(header, (c.value for c in row), strict=False)) for row in ws.iter_rows(min_row=header_row + 1)]


def _export(client, name="imports:export_members", query=""):
    return client.post(reverse(name) + query)


def _job() -> ExportJob:
    return ExportJob.objects.latest("pk")


# --- the offer, the job, the download ------------------------------------------------------------------


def test_a_long_list_is_offered_as_a_job_and_a_get_starts_nothing(admin, people):
    resp = admin.get(reverse("imports:export_members"), {"q": "甲"})
    assert resp["Content-Type"] == XLSX                     # one row: at once, as before
    resp = admin.get(reverse("imports:export_members") + "?incomplete=1")
    html = resp.content.decode()
    assert resp.status_code == 200 and "在后台生成" in html and 'method="post"' in html
    assert 'action="/imports/export/members.xlsx?incomplete=1"' in html   # the button keeps the filters
    assert not ExportJob.objects.exists()
    assert AuditEvent.objects.filter(action="export.members").count() == 1   # the immediate one only


def test_the_job_is_built_and_its_owner_downloads_it_audited(admin, tree, people):
    resp = _export(admin, query=f"?branch={tree['b1'].pk}")
    job = _job()
    assert resp.status_code == 302 and resp.url == reverse("imports:export_job", args=[job.pk])
    assert job.status == "ready" and job.rows_done == job.rows_total == 4
    assert job.filters["branch_id"] == tree["b1"].pk and job.actor == tree["school_admin"]
    page = admin.get(resp.url).content.decode()
    assert reverse("imports:export_download", args=[job.pk]) in page and "hx-trigger" not in page
    assert not AuditEvent.objects.filter(action="export.members").exists()   # built, not yet downloaded
    resp = admin.get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    rows = _rows(resp.content)
    assert sorted(r["姓名"] for r in rows) == sorted(NAMES[:4])
    by_name = {r["姓名"]: r for r in rows}
    for p in people[:4]:
        assert by_name[p.name]["身份证号"] == p.masked_id_number != p.id_number   # R-AUTH-6, as the page export
        assert p.id_number.encode() not in resp.content
    assert by_name["甲"]["学习工作单位"] == "'=1+1"
    event = AuditEvent.objects.get(action="export.members")
    assert event.detail["rows"] == 4 and event.detail["filters"]["job"] == job.pk
    assert event.detail["filters"]["branch_id"] == tree["b1"].pk and event.actor == tree["school_admin"]


@pytest.mark.parametrize("query", ["?q=甲乙", "?incomplete=1", "?unverified=pending", "?dev_issue=1"])
def test_the_job_holds_exactly_the_rows_the_list_page_shows(admin, people, query):
    page = admin.get(reverse("people:members") + query)
    assert page.status_code == 200
    shown = {m.person.name for m in page.context["page"]}
    _export(admin, query=query)
    job = _job()
    got = {r["姓名"] for r in _rows(admin.get(reverse("imports:export_download", args=[job.pk])).content)}
    assert got == shown


def test_the_cadre_and_transfer_exports_go_through_jobs_with_their_filters(admin, client_as, tree, people):
    _export(admin, "imports:export_cadres", "?branches=1")
    job = _job()
    assert job.kind == "cadres" and job.filters["branches"] is True and job.status == "ready"
    orgs = {r["所在组织全称"] for r in _rows(admin.get(reverse("imports:export_download", args=[job.pk])).content)}
    assert tree["b1"].full_name in orgs
    for p in people[:3]:
        TransferRequest.objects.create(member=p, from_branch=tree["b1"], to_org=tree["fb"], reason="other",
                                       note="说明文字足够长的说明", kind="self", initiated_by=p)
    b1 = client_as(tree["b1_admin"], tree["b1"])
    assert b1.get(reverse("transfers:history_export")).status_code == 200   # 3 rows > 2: the offer
    assert not ExportJob.objects.filter(kind="transfers").exists()
    resp = b1.post(reverse("transfers:history_export") + "?status=pending&q=甲")
    job = _job()
    assert resp.url == reverse("imports:export_job", args=[job.pk])
    assert job.kind == "transfers" and job.filters == {"status": "pending", "reason": "", "query": "甲", jobs.LANGUAGE: "zh-hans"}
    rows = _rows(b1.get(reverse("imports:export_download", args=[job.pk])).content, header_row=1)
    assert [r["姓名"] for r in rows] == ["甲"]


# --- refusals -------------------------------------------------------------------------------------------


def test_another_admin_even_one_above_gets_404(admin, client, client_as, tree, people):
    _export(admin)
    job = _job()
    client.logout()
    other = client_as(tree["uni_admin"], tree["uni"])
    assert other.get(reverse("imports:export_job", args=[job.pk])).status_code == 404
    assert other.get(reverse("imports:export_download", args=[job.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="export.members").exists()


def test_a_plain_member_gets_403_and_starts_nothing(client_as, tree, people, member):
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members")
    client = client_as(member)
    assert client.post(reverse("imports:export_members")).status_code == 403
    assert client.post(reverse("transfers:history_export")).status_code == 403
    assert client.get(reverse("imports:export_job", args=[job.pk])).status_code == 403
    assert client.get(reverse("imports:export_download", args=[job.pk])).status_code == 403
    assert ExportJob.objects.count() == 1


def test_anonymous_users_are_sent_to_login(client, tree):
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members")
    for url in (reverse("imports:export_job", args=[job.pk]), reverse("imports:export_download", args=[job.pk])):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("login"))
    resp = client.post(reverse("imports:export_members"))
    assert resp.status_code == 302 and ExportJob.objects.count() == 1


def test_a_file_not_ready_is_not_downloaded(admin, tree):
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members")
    resp = admin.get(reverse("imports:export_download", args=[job.pk]))
    assert resp.status_code == 302 and resp.url == reverse("imports:export_job", args=[job.pk])
    assert not AuditEvent.objects.filter(action="export.members").exists()


def test_the_build_is_refused_when_the_owner_is_no_longer_admin(tree, people, monkeypatch):
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["b2"], kind="members")
    jobs.build_export_job.call(job.pk)   # school_admin holds no admin post at b2
    job.refresh_from_db()
    assert job.status == "failed" and job.error and bytes(job.content) == b""


# --- the task: progress, idempotence -------------------------------------------------------------------


def test_the_task_writes_its_progress_and_the_page_polls_it(admin, tree, people, monkeypatch):
    seen = []
    real = jobs.build_export

    def spying(**kwargs):
        report = kwargs["progress"]

        def progress(done):
            report(done)
            job = ExportJob.objects.get(pk=job_id)
            seen.append((job.status, job.rows_done, job.rows_total))
        return real(**{**kwargs, "progress": progress})

    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(jobs, "build_export", spying)
    job_id = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members").pk
    jobs.build_export_job.call(job_id)
    assert seen == [("building", 2, 5), ("building", 4, 5)]
    ExportJob.objects.filter(pk=job_id).update(status="building", rows_done=2, rows_total=5, updated_at=timezone.now())
    html = admin.get(reverse("imports:export_job", args=[job_id]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html and "已写入 2 / 5 行" in html and "<html" not in html


def test_a_task_run_twice_builds_once(tree, people, monkeypatch):
    built = []
    real = jobs.build_export
    monkeypatch.setattr(jobs, "build_export", lambda **kw: built.append(1) or real(**kw))
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members")
    jobs.build_export_job.call(job.pk)
    jobs.build_export_job.call(job.pk)                     # after it ended: nothing
    assert len(built) == 1 and ExportJob.objects.get(pk=job.pk).status == "ready"
    ExportJob.objects.filter(pk=job.pk).update(status="building", updated_at=timezone.now())
    jobs.build_export_job.call(job.pk)                     # while another run holds it (a fresh heartbeat)
    assert len(built) == 1


def test_a_build_whose_worker_died_is_built_by_the_task_returned_to_the_queue(admin, tree, people):
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members",
                                   status="building", updated_at=timezone.now() - jobs.STALE_AFTER * 2)
    html = admin.get(reverse("imports:export_job", args=[job.pk])).content.decode()
    assert "生成被中断" in html and "hx-trigger" not in html
    jobs.build_export_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == "ready" and job.rows_done == 5


def test_the_export_page_lists_my_jobs_only(admin, client, client_as, tree, people):
    _export(admin)
    assert reverse("imports:export_job", args=[_job().pk]) in admin.get(reverse("imports:export")).content.decode()
    client.logout()
    other = client_as(tree["uni_admin"], tree["uni"])
    assert reverse("imports:export_job", args=[_job().pk]) not in other.get(reverse("imports:export")).content.decode()


# --- the page's language (issue 15 item 12) ---------------------------------------------------------------------

def _in_english(client):
    client.cookies["django_language"] = "en"
    return client


def _file_name(resp) -> str:
    return unquote(resp["Content-Disposition"].split("filename*=UTF-8''")[1])


def test_a_job_asked_for_in_english_is_titled_sheeted_and_named_in_english(admin, tree, people):
    _export(_in_english(admin), query=f"?branch={tree['b1'].pk}")
    job = _job()
    assert job.filters[jobs.LANGUAGE] == "en"  # kept with the job: the task has no request
    resp = admin.get(reverse("imports:export_download", args=[job.pk]))
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["League members"]
    title = wb.active["A1"].value
    assert title.startswith("League members · ") and not re.search(r"[导出于]", title)
    assert _file_name(resp).startswith("League members-")
    event = AuditEvent.objects.get(action="export.members")
    assert jobs.LANGUAGE not in event.detail["filters"]  # a language is not a filter of the rows


def test_a_job_keeps_the_language_it_was_asked_in_when_downloaded_in_another(admin, tree, people):
    _export(admin, query=f"?branch={tree['b1'].pk}")  # Chinese
    job = _job()
    resp = _in_english(admin).get(reverse("imports:export_download", args=[job.pk]))
    assert load_workbook(io.BytesIO(resp.content)).sheetnames == ["团员名单"]
    assert _file_name(resp).startswith("团员名单-")


def test_a_job_from_before_the_language_was_kept_is_built_in_chinese(tree, people):
    job = ExportJob.objects.create(actor=tree["school_admin"], acting_org=tree["school"], kind="members",
                                   filters={"branch_id": tree["b1"].pk})
    jobs.build_export_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == "ready"
    assert load_workbook(io.BytesIO(bytes(job.content))).sheetnames == ["团员名单"]


def test_a_short_english_export_is_named_in_english_at_once(admin, people):
    resp = _in_english(admin).get(reverse("imports:export_members"), {"q": "甲"})
    assert resp["Content-Type"] == XLSX and _file_name(resp).startswith("League members-")
    assert load_workbook(io.BytesIO(resp.content)).sheetnames == ["League members"]
