"""Import and export pages (issue 5): upload → check → preview → confirm, progress, the marked workbook,
export with masked ID numbers and escaped formulas. Each view has its allowed case and its refusals:
a plain member (403), another admin (404 for someone else's job), anonymous users (the login page).

The tasks run in the request here (the test settings' ImmediateBackend): SQLite in memory is one connection.
tests/members/test_import_tasks.py runs them through the database backend and a real worker."""
import datetime as dt
import io
import re
import zipfile
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks.signals import task_started
from openpyxl import load_workbook

from members.importing import MISMATCH_MESSAGE
from members.importing import jobs as import_jobs
from members.importing import reader as reader_module
from members.models import CadrePost, ImportJob, Person
from members.services import enter_cadre, enter_member
from tests.factories import MembershipFactory, make_id_number
from tests.members.test_import_files import (
    BRANCH_SHEET,
    corrupt_zip,
    fill,
    huge_rows,
    member_row,
    text_file,
    with_entities,
    zip_bomb,
)

pytestmark = pytest.mark.django_db

START = reverse("imports:start")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def tasks_run():
    """The names of the tasks run, in order (they run at once in tests)."""
    calls = []

    def started(sender, *, task_result, **kwargs):
        calls.append(task_result.task.name)

    task_started.connect(started)
    yield calls
    task_started.disconnect(started)


@pytest.fixture
def admin(client_as, tree):
    return client_as(tree["school_admin"], tree["school"])


def upload(client, content: bytes, kind: str = "branch_members", name: str = "团员.xlsx"):
    return client.post(START, {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=XLSX)})


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("pk")


# --- refusals -------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, tree):
    for url in (START, reverse("imports:template", args=["own_cadres"]), reverse("imports:export_members")):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("login"))


def test_it_refuses_a_plain_member(client_as, tree, member):
    client = client_as(member)
    for url in (START, reverse("imports:template", args=["own_cadres"]), reverse("imports:export"),
                reverse("imports:export_members"), reverse("imports:export_cadres")):
        assert client.get(url).status_code == 403
    assert upload(client, fill([member_row(tree)])).status_code == 403
    assert not ImportJob.objects.exists()


def test_another_admin_cannot_see_or_confirm_someone_elses_job(client, client_as, tree):
    upload(client_as(tree["school_admin"], tree["school"]), fill([member_row(tree)]))
    job = latest_job()
    client.logout()
    other = client_as(tree["uni_admin"], tree["uni"])   # even an admin above the job's organization
    assert other.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert other.get(reverse("imports:marked", args=[job.pk])).status_code == 404
    assert other.post(reverse("imports:confirm", args=[job.pk])).status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == "checked" and not Person.objects.filter(name="赵一").exists()


def test_confirm_is_post_only(admin, tree):
    upload(admin, fill([member_row(tree)]))
    assert admin.get(reverse("imports:confirm", args=[latest_job().pk])).status_code == 405


# --- templates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "sheet"), [("own_cadres", "导入本级团干部"), ("branch_members", "导入下级团支部团员团干部")])
def test_it_downloads_each_template_with_its_chinese_name(admin, kind, sheet):
    resp = admin.get(reverse("imports:template", args=[kind]))
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    disposition = resp["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(sheet + '模板.xlsx')}" in disposition
    assert 'filename="tuanji-' in disposition          # an ASCII name for clients without RFC 6266
    assert sheet in load_workbook(io.BytesIO(resp.content)).sheetnames


def test_a_template_from_the_english_page_explains_itself_in_english_and_still_imports(admin, tree):
    # Issue 15 item 12: the instruction sheet and the file's name follow the page; the column names are the import's
    # keys and stay Chinese, which the English instructions say.
    admin.cookies["django_language"] = "en"
    resp = admin.get(reverse("imports:template", args=["own_cadres"]))
    assert f"filename*=UTF-8''{quote('Import own cadres template.xlsx')}" in resp["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames[:2] == ["Instructions", "导入本级团干部"]
    guide = [row[0] for row in wb["Instructions"].iter_rows(values_only=True) if row[0]]
    assert guide[0] == "Import own cadres template (Tuanji)"
    assert any("stay in Chinese" in line for line in guide)
    assert not any(re.search(r"[\u4e00-\u9fff]", line.replace("导入本级团干部", "").replace("张小明", ""))
                   for line in guide)
    admin.cookies["django_language"] = "zh-hans"
    chinese = load_workbook(io.BytesIO(admin.get(reverse("imports:template", args=["own_cadres"])).content))
    assert chinese.sheetnames[0] == "填写说明"
    assert not any("保持中文" in (row[0] or "") for row in chinese["填写说明"].iter_rows(values_only=True))


def test_an_unknown_template_is_404(admin):
    assert admin.get(reverse("imports:template", args=["everyone"])).status_code == 404


def test_the_start_page_states_the_limits_and_offers_both_templates(admin):
    html = admin.get(START).content.decode()
    assert "10 MB" in html and "20000 行" in html and ".xlsx" in html
    assert reverse("imports:template", args=["own_cadres"]) in html
    assert reverse("imports:template", args=["branch_members"]) in html


# --- upload → check → preview → marked file → fixed upload → confirm -------------------------------------


def test_the_whole_flow_from_errors_to_import(admin, tree, tasks_run):
    good = member_row(tree, 姓名="赵一")
    bad_id = member_row(tree, 姓名="钱二", 身份证号="110101200404040000", 手机号码="13800000002")
    bad_two = member_row(tree, 姓名="孙三", 身份证号=make_id_number(dt.date(2004, 4, 4)), 手机号码="12345",
                         所在团支部全称="没有这个团支部")
    resp = upload(admin, fill([good, bad_id, bad_two]))
    job = latest_job()
    assert resp.status_code == 302 and resp.url == reverse("imports:job", args=[job.pk])
    assert tasks_run == ["check_job", "mark_job"]
    assert job.status == "checked" and job.rows_total == job.rows_checked == 3

    html = admin.get(resp.url).content.decode()
    assert "发现 3 处问题（涉及 2 行，共 3 行）" in html
    assert "第 3 行" in html and "第 4 行" in html and "身份证号" in html and "所在团支部全称" in html
    assert "手机号码应为11位" in html and reverse("imports:confirm", args=[job.pk]) not in html
    assert not Person.objects.filter(name__in=["赵一", "钱二", "孙三"]).exists()  # nothing while errors stand

    marked = admin.get(reverse("imports:marked", args=[job.pk]))
    assert marked.status_code == 200 and marked["Content-Type"] == XLSX
    assert quote("团员-问题标注.xlsx") in marked["Content-Disposition"]
    ws = load_workbook(io.BytesIO(marked.content))[BRANCH_SHEET]
    headers = {c.value: c.column for c in ws[1] if c.value}
    assert "身份证号不正确" in ws.cell(row=3, column=headers["身份证号"]).comment.text
    assert ws.cell(row=3, column=headers["身份证号"]).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(row=4, column=headers["手机号码"]).comment is not None
    assert ws.cell(row=4, column=headers["所在团支部全称"]).comment is not None
    assert ws.cell(row=2, column=headers["身份证号"]).comment is None          # the good row is left alone
    assert ws.cell(row=3, column=headers["姓名"]).value == "钱二"              # the data is the user's own

    fixed = [good, dict(bad_id, 身份证号=make_id_number(dt.date(2004, 4, 4))),
             dict(bad_two, 手机号码="13800000003", 所在团支部全称=tree["b2"].full_name)]
    resp = upload(admin, fill(fixed))
    job = latest_job()
    html = admin.get(resp.url).content.decode()
    assert job.status == "checked" and job.errors == []
    assert "检查通过：共 3 行" in html and "确认导入 3 行" in html
    assert not Person.objects.filter(name__in=["赵一", "钱二", "孙三"]).exists()   # not before confirming

    resp = admin.post(reverse("imports:confirm", args=[job.pk]))
    assert resp.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created, bytes(job.file_content)) == ("done", 3, b"")  # the upload is not kept
    assert "已导入 3 行" in admin.get(resp.url).content.decode()
    assert Person.objects.filter(name__in=["赵一", "钱二", "孙三"]).count() == 3
    assert Person.objects.get(name="孙三").memberships.get().branch == tree["b2"]

    again = admin.post(reverse("imports:confirm", args=[job.pk]), follow=True)  # a second click
    assert "不能导入" in again.content.decode()
    assert Person.objects.filter(name__in=["赵一", "钱二", "孙三"]).count() == 3


def test_a_file_with_errors_cannot_be_confirmed(admin, tree):
    upload(admin, fill([member_row(tree, 身份证号="110101200404040000")]))
    job = latest_job()
    resp = admin.post(reverse("imports:confirm", args=[job.pk]), follow=True)
    assert "不能导入" in resp.content.decode()
    assert latest_job().status == "checked" and not Person.objects.filter(name="赵一").exists()


def test_a_confirmed_file_is_imported_by_a_task(admin, tree, tasks_run):
    upload(admin, huge_rows(tree, 3))
    admin.post(reverse("imports:confirm", args=[latest_job().pk]))
    assert tasks_run == ["check_job", "import_job"]
    assert (latest_job().status, latest_job().created) == ("done", 3)


def test_a_row_entered_between_check_and_confirm_is_reported_and_nothing_is_imported(admin, tree):
    taken = make_id_number(dt.date(2004, 4, 4))
    upload(admin, fill([member_row(tree, 姓名="赵一"), member_row(tree, 姓名="钱二", 身份证号=taken)]))
    enter_member(actor=None, branch=tree["b2"], id_number=taken, name="钱二", joined_on=dt.date(2016, 5, 4))
    admin.post(reverse("imports:confirm", args=[latest_job().pk]))
    job = latest_job()
    assert job.status == "checked" and [e[2] for e in job.errors] == ["id_registered"]
    assert not Person.objects.filter(name="赵一").exists()


def test_confirm_is_refused_403_when_the_admin_post_is_gone(client_as, tree):
    admin = tree["school_admin"]
    client = client_as(admin, tree["school"])
    upload(client, fill([member_row(tree)]))
    job = latest_job()
    CadrePost.objects.filter(person=admin, org=tree["school"]).update(is_admin=False)
    enter_cadre(actor=None, org=tree["b2"], id_number=admin.id_number, name=admin.name, title="委员", is_admin=True)
    resp = client.post(reverse("imports:confirm", args=[job.pk]))
    assert resp.status_code == 403                 # import_workbook's own check, audited there
    assert not Person.objects.filter(name="赵一").exists()


def test_the_other_templates_file_shows_the_contracts_message(admin, tree):
    content = fill([{"姓名": "周五", "身份证号": make_id_number(dt.date(1999, 9, 9)), "职务": "委员"}], "own_cadres")
    admin.post(START, {"kind": "branch_members", "file": SimpleUploadedFile("干部.xlsx", content)})
    job = latest_job()
    assert job.status == "failed" and [e[2] for e in job.errors] == ["template_mismatch"]
    html = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert MISMATCH_MESSAGE in html and "重新上传" in html


# --- hostile files through the page: a message, never a 500, never an import ----------------------------


@pytest.mark.parametrize("make", [
    lambda tree: ("名单.xlsx", text_file()),
    lambda tree: ("名单.xlsx", corrupt_zip(tree)),
    lambda tree: ("名单.xlsx", zip_bomb()),
    lambda tree: ("名单.xlsx", with_entities(tree)),
    lambda tree: ("名单.xlsx", b""),
], ids=["text", "corrupt", "zip-bomb", "entities", "empty"])
def test_hostile_uploads_end_in_a_message(admin, tree, make):
    name, content = make(tree)
    before = Person.objects.count()
    resp = admin.post(START, {"kind": "branch_members", "file": SimpleUploadedFile(name, content)}, follow=True)
    assert resp.status_code in (200, 400)
    html = resp.content.decode()
    assert "没有导入任何数据" in html or "文件是空的" in html or "发现" in html
    assert Person.objects.count() == before


def test_the_marked_file_of_a_file_with_entities_never_expands_them(admin, tree):
    upload(admin, with_entities(tree))
    job = latest_job()
    if job.status == "checked" and job.errors:        # the parser read it without the entity
        resp = admin.get(reverse("imports:marked", args=[job.pk]), follow=True)
        assert resp.status_code == 200 and b"HAHAHA" not in resp.content
    else:
        assert job.status == "failed"


@pytest.mark.parametrize("name", ["名单.csv", "名单.xls", "名单.txt", "名单"])
def test_the_form_accepts_only_xlsx_names(admin, tree, name):
    resp = admin.post(START, {"kind": "branch_members", "file": SimpleUploadedFile(name, text_file())})
    assert resp.status_code == 400 and "只能上传 .xlsx 文件" in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_the_form_refuses_a_file_over_the_size_limit(admin, tree, monkeypatch):
    content = fill([member_row(tree)])
    monkeypatch.setattr(reader_module, "MAX_BYTES", len(content) - 1)
    resp = upload(admin, content)
    assert resp.status_code == 400 and "超过 10 MB" in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_row_limit_shows_the_limit(admin, tree, monkeypatch):
    monkeypatch.setattr(reader_module, "MAX_ROWS", 2)
    resp = upload(admin, huge_rows(tree, 3))
    assert "超过 20000 行" in admin.get(resp.url).content.decode()
    assert latest_job().status == "failed" and not Person.objects.filter(name="赵一").exists()


def test_the_form_requires_a_kind_and_a_file(admin):
    resp = admin.post(START, {})
    html = resp.content.decode()
    assert resp.status_code == 400 and "请选择模板类型" in html and "请选择要上传的文件" in html


# --- progress ---------------------------------------------------------------------------------------------


def test_progress_is_written_every_200_rows(admin, tree, monkeypatch):
    seen = []
    real = import_jobs._progress

    def spy(job_id):
        report = real(job_id)

        def record(done, total):
            seen.append((done, total))
            report(done, total)
        return record

    monkeypatch.setattr(import_jobs, "_progress", spy)
    upload(admin, huge_rows(tree, 450))
    assert seen == [(200, 450), (400, 450)]
    assert (latest_job().rows_checked, latest_job().rows_total) == (450, 450)


def _running_job(tree, **fields) -> ImportJob:
    job = import_jobs.start_job(actor=tree["school_admin"], acting_org=tree["school"], kind="branch_members",
                                file_name="大文件.xlsx", content=b"PK")
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return job


def test_the_job_page_shows_progress_and_polls_while_checking(admin, tree):
    job = _running_job(tree, status="checking", rows_total=10000, rows_checked=2400)
    url = reverse("imports:job", args=[job.pk])
    html = admin.get(url).content.decode()                   # a reload shows the same state
    assert "已检查 2400 / 10000 行" in html and 'hx-trigger="every 1s"' in html and "<h1>" in html
    partial = admin.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "已检查 2400 / 10000 行" in partial and "<h1>" not in partial and 'id="job"' in partial


def test_the_job_page_stops_polling_when_done(admin, tree):
    job = _running_job(tree, status="done", rows_total=5, rows_checked=5, created=5)
    html = admin.get(reverse("imports:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "已导入 5 行" in html and "hx-trigger" not in html


def test_thousands_of_errors_show_a_summary_the_first_100_and_the_marked_file(admin, tree):
    # Issue 15 item 7: 3,741 errors printed every row (a page 256,000 px tall on a phone).
    errors = ([[row, "手机号码", "phone_invalid", "手机号码应为11位、以1开头的数字。"] for row in range(2, 3002)]
              + [[row, "身份证号", "id_number_invalid", "身份证号不正确（校验位不对）。"] for row in range(3002, 3702)]
              + [[row, "发展团员编号", "dev_number_required", "2017年以后入团须填写发展团员编号。"] for row in range(3702, 3743)])
    job = _running_job(tree, status="checked", rows_total=3741, rows_checked=3741, errors=errors, marked="ready")
    html = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "发现 3741 处问题（涉及 3741 行，共 3741 行）" in html
    kinds = html.split('id="kinds-h"')[1].split("</table>")[0]
    assert kinds.index("手机号码不正确") < kinds.index("身份证号不正确") < kinds.index("缺少发展团员编号")
    assert "<td data-label=\"处数\">3000</td>" in kinds and ">700</td>" in kinds and ">41</td>" in kinds
    table = html.split('class="errors-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 101  # the header and the first 100
    assert "第 101 行" in table and "第 102 行" not in table  # the first 100 by row: rows 2 to 101
    assert "还有 3641 处问题没有列在这里" in html
    assert html.count(reverse("imports:marked", args=[job.pk])) == 2  # at the top and below the rows


def test_a_few_errors_of_one_kind_list_every_row_without_a_summary(admin, tree):
    errors = [[2, "手机号码", "phone_invalid", "手机号码应为11位、以1开头的数字。"]]
    job = _running_job(tree, status="checked", rows_total=1, rows_checked=1, errors=errors)
    html = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "第 2 行" in html and 'id="kinds-h"' not in html and "没有列在这里" not in html


def test_an_already_registered_row_goes_to_transfer_in_with_its_name_and_id_number(client_as, tree, member):
    # Issue 15 item 10 (R-ENT-6): carried in the session, never in an address (R-AUTH-6); taken once.
    client = client_as(tree["b2_admin"], tree["b2"])
    other = member_row(tree, 姓名="钱二", 身份证号=make_id_number(dt.date(2004, 1, 5)), 所在团支部全称=tree["b2"].full_name)
    upload(client, fill([other, member_row(tree, 姓名=member.name, 身份证号=member.id_number,
                                           所在团支部全称=tree["b2"].full_name)]))
    job = latest_job()
    html = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    action = reverse("imports:transfer_in", args=[job.pk])
    assert f'action="{action}"' in html and 'name="row" value="3"' in html and member.id_number not in html
    resp = client.post(action, {"row": "3"})
    assert resp.status_code == 302 and resp.url == reverse("transfers:transfer_in")
    page = client.get(resp.url).content.decode()
    assert f'value="{member.id_number}"' in page and f'value="{member.name}"' in page
    assert tree["b1"].full_name in page  # R-TR-2: looked up, the name matches
    assert "transfer_in_carry" not in client.session  # taken once
    assert f'value="{member.id_number}"' not in client.get(resp.url).content.decode()


def test_transfer_in_from_a_row_refuses_a_row_not_on_record_and_someone_elses_job(client, client_as, tree, member):
    owner = client_as(tree["b2_admin"], tree["b2"])
    upload(owner, fill([member_row(tree, 所在团支部全称=tree["b2"].full_name, 手机号码=""),
                        member_row(tree, 姓名=member.name, 身份证号=member.id_number, 所在团支部全称=tree["b2"].full_name)]))
    job = latest_job()
    action = reverse("imports:transfer_in", args=[job.pk])
    resp = owner.post(action, {"row": "2"}, follow=True)  # a row with another problem: nothing carried
    assert "没有在系统中登记" in resp.content.decode() and "transfer_in_carry" not in owner.session
    assert owner.post(action, {"row": "x"}).status_code == 404
    assert owner.get(action).status_code == 405
    assert client_as(tree["b1_admin"], tree["b1"]).post(action, {"row": "3"}).status_code == 404  # not their job
    assert "transfer_in_carry" not in client.session


def test_an_interrupted_job_says_so(admin, tree):
    job = _running_job(tree, status="checking", updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    html = admin.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "处理被中断" in html and "hx-trigger" not in html


def test_the_start_page_lists_my_recent_uploads_only(client, client_as, tree):
    upload(client_as(tree["b1_admin"], tree["b1"]), fill([member_row(tree)]))
    client.logout()
    admin = client_as(tree["school_admin"], tree["school"])
    upload(admin, fill([member_row(tree, 身份证号="110101200404040000")]), name="我的.xlsx")
    html = admin.get(START).content.decode()
    assert "我的.xlsx" in html and "团员.xlsx" not in html and "有错误" in html


# --- export -----------------------------------------------------------------------------------------------


def _sheet(resp):
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    ws = load_workbook(io.BytesIO(resp.content)).active
    header = [c.value for c in ws[2]]
    return header, [dict(zip(header, (c.value for c in row), strict=False)) for row in ws.iter_rows(min_row=3)]


@pytest.fixture
def people(tree):
    made = []
    for i, (name, unit) in enumerate([("甲", "=HYPERLINK(\"http://x\",\"点我\")"), ("乙", "+1+2"), ("丙", "@SUM(A1)"),
                                      ("丁", "-3"), ("戊", "示范大学")]):
        made.append(enter_member(
            actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2004, 4, 4)), name=name,
            joined_on=dt.date(2016, 5, 4), phone=f"1380000010{i}", ethnicity="汉族", political_status="league",
            full_time_education="大学本科", highest_education="大学本科", work_unit=unit, province="11", city="北京市"))
    return made


def test_the_member_export_masks_id_numbers_and_escapes_formulas(admin, tree, people):
    resp = admin.get(reverse("imports:export_members"))
    assert quote("团员名单-") in resp["Content-Disposition"]
    header, rows = _sheet(resp)
    assert header[:3] == ["所在团支部全称", "姓名", "身份证号"]
    by_name = {r["姓名"]: r for r in rows}
    assert set(by_name) == {p.name for p in people}
    for p in people:
        assert by_name[p.name]["身份证号"] == p.id_number[:6] + "*" * 11 + p.id_number[-1]   # R-AUTH-6
    assert by_name["甲"]["学习工作单位"] == "'=HYPERLINK(\"http://x\",\"点我\")"
    assert by_name["乙"]["学习工作单位"] == "'+1+2" and by_name["丙"]["学习工作单位"] == "'@SUM(A1)"
    assert by_name["丁"]["学习工作单位"] == "'-3" and by_name["戊"]["学习工作单位"] == "示范大学"
    assert by_name["甲"]["入团时间"].date() == dt.date(2016, 5, 4)
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml                              # no formula anywhere
    assert not any(p.id_number.encode() in resp.content for p in people)


def test_the_member_export_applies_the_list_filters(admin, tree, people, member):
    _h, rows = _sheet(admin.get(reverse("imports:export_members"), {"q": "甲"}))
    assert [r["姓名"] for r in rows] == ["甲"]
    _h, rows = _sheet(admin.get(reverse("imports:export_members"), {"incomplete": "1"}))
    assert [r["姓名"] for r in rows] == [member.name]        # the fixture member has no profile
    _h, rows = _sheet(admin.get(reverse("imports:export_members"), {"branch": tree["b2"].pk}))
    assert rows == []
    _h, rows = _sheet(admin.get(reverse("imports:export_members"), {"branch": "x", "unverified": "pending"}))
    assert len(rows) == 6


def test_the_member_export_stays_inside_the_acting_subtree(client_as, tree, people):
    enter_member(actor=None, branch=tree["fb"], id_number=make_id_number(dt.date(2003, 3, 3)), name="公司团员",
                 joined_on=dt.date(2016, 5, 4))
    _h, rows = _sheet(client_as(tree["school_admin"], tree["school"]).get(
        reverse("imports:export_members"), {"branch": tree["fb"].pk}))
    assert rows == []


def test_the_cadre_export(admin, tree):
    header, rows = _sheet(admin.get(reverse("imports:export_cadres")))
    assert header[:4] == ["所在组织全称", "职务", "管理员", "团干部性质"]
    assert [(r["所在组织全称"], r["职务"], r["管理员"]) for r in rows] == [(tree["school"].full_name, "书记", "是")]
    assert rows[0]["身份证号"].count("*") == 11
    _h, rows = _sheet(admin.get(reverse("imports:export_cadres"), {"branches": "1"}))
    assert {r["所在组织全称"] for r in rows} == {tree["school"].full_name, tree["b1"].full_name, tree["b2"].full_name}
    _h, rows = _sheet(admin.get(reverse("imports:export_cadres"), {"title": "委员"}))
    assert rows == []


def test_the_export_page_offers_both_exports(admin, tree):
    html = admin.get(reverse("imports:export")).content.decode()
    assert reverse("imports:export_members") in html and reverse("imports:export_cadres") in html
    assert tree["b1"].full_name in html


def _export_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("imports:export_members")).status_code == 200
    return len(ctx.captured_queries)


def test_the_export_costs_the_same_queries_for_5_or_50_rows(admin, tree):
    MembershipFactory.create_batch(5, branch=tree["b1"])
    five = _export_queries(admin)
    MembershipFactory.create_batch(45, branch=tree["b2"])
    assert _export_queries(admin) == five
    assert five <= 6  # session, user, second-factor device, admin posts, the one list query, the audit row


# --- round trip: export → edit → import -------------------------------------------------------------------


def test_round_trip_export_edit_import(admin, tree, people):
    """Export the members, give each row a new ID number (the exported one is masked, and a person is on
    record once), point them at another branch, change a phone, import: every row is created."""
    _h, rows = _sheet(admin.get(reverse("imports:export_members")))
    wanted = ("姓名", "入团时间", "手机号码", "民族", "政治面貌", "全日制学历", "最高学历", "学习工作单位",
              "所在地区（省）", "所在地区（市）")
    edited = []
    for i, row in enumerate(rows):
        new = {k: row[k] for k in wanted}
        new["姓名"] = row["姓名"] + "二"
        new["身份证号"] = make_id_number(row["出生日期"].date())
        new["所在团支部全称"] = tree["b2"].full_name
        if i == 0:
            new["手机号码"] = "13900000000"
        edited.append(new)
    resp = upload(admin, fill(edited))
    job = latest_job()
    assert job.status == "checked" and job.errors == [], job.errors
    admin.post(reverse("imports:confirm", args=[job.pk]))
    assert latest_job().created == len(rows) == 5
    imported = Person.objects.filter(memberships__branch=tree["b2"]).order_by("name")
    assert {p.name for p in imported} == {p.name + "二" for p in people}
    assert Person.objects.filter(phone="13900000000", memberships__branch=tree["b2"]).count() == 1
    assert all(p.is_complete for p in imported)
    assert imported.get(name="甲二").work_unit.startswith("'=HYPERLINK")   # an escaped formula stays text
    assert resp.status_code == 302
