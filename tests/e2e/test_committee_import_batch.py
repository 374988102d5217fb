"""Journey d: a committee admin imports a workbook with errors, downloads it with the bad cells marked, fixes it,
uploads it again and confirms; then batch-transfers 30 members between two of its branches."""
import datetime as dt
import io
import itertools

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from members.importing import build_template
from members.importing.columns import BRANCH_MEMBERS, KINDS
from members.models import Membership, Person
from tests.factories import make_id_number
from transfers.models import Reason, TransferRequest

from .world import PASSWORD, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHECK_MS = 15_000  # the check runs in a worker thread; the page polls it every second
SHEET = KINDS[BRANCH_MEMBERS]
MARKED = "FFC7CE"
NAMES = ["".join(pair) for pair in itertools.product("王李张刘陈杨", ["晓东", "思琪", "子涵", "浩宇", "雨欣"])]


def _workbook(branch) -> tuple[bytes, dict]:
    """Three new members of `branch`: row 3's ID number has a wrong check character, row 4's phone is short."""
    good = {n: make_id_number(dt.date(2001, 7, 7)) for n in (2, 3, 4)}
    wrong_check = good[3][:-1] + ("0" if good[3][-1] != "0" else "1")
    rows = {2: ("孙浩然", good[2], "13800000002"), 3: ("周雨桐", wrong_check, "13800000003"),
            4: ("吴子轩", good[4], "1380000")}
    wb = load_workbook(io.BytesIO(build_template(BRANCH_MEMBERS)))
    ws = wb[SHEET]
    column = {cell.value: cell.column for cell in ws[1] if cell.value}
    for row, (name, id_number, phone) in rows.items():
        for header, value in (("姓名", name), ("身份证号", id_number), ("入团时间", dt.date(2016, 5, 4)),
                              ("手机号码", phone), ("所在团支部全称", branch.full_name)):
            ws.cell(row=row, column=column[header], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), {"good": good, "column": column}


def test_d_committee_admin_imports_fixes_the_marked_file_and_batch_transfers_30(ui, tmp_path):
    ui.journey = "import-batch"
    w = league()
    movers = [member(w.lab, name, actor=w.firm_admin) for name in NAMES]
    content, facts = _workbook(w.sales)
    upload = tmp_path / "新团员.xlsx"
    upload.write_bytes(content)

    page = ui.open()
    ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
    nav = page.get_by_role("navigation", name="主导航")
    nav.locator("summary", has_text="人员").click()
    nav.get_by_role("link", name="Excel 批量导入").click()
    ui.see(page, "1-import-start")
    page.get_by_label(SHEET).check()
    page.get_by_label("填好的表格（.xlsx）").set_input_files(upload)
    page.get_by_role("button", name="上传并检查").click()

    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("发现 2 处问题", timeout=CHECK_MS)
    table = page.locator("table.errors-table")
    expect(table.locator("tr", has_text="第 3 行")).to_contain_text("身份证号")
    expect(table.locator("tr", has_text="第 4 行")).to_contain_text("手机号码")
    ui.see(page, "2-import-errors")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载标注了问题的表格").click()
    marked = tmp_path / "marked.xlsx"
    download.value.save_as(marked)
    wb = load_workbook(marked)
    ws = wb[SHEET]
    bad_id, bad_phone = ws.cell(3, facts["column"]["身份证号"]), ws.cell(4, facts["column"]["手机号码"])
    for cell in (bad_id, bad_phone):
        assert cell.fill.fgColor.rgb.endswith(MARKED) and cell.comment is not None, cell.coordinate
    assert "校验" in bad_id.comment.text or "身份证号" in bad_id.comment.text
    bad_id.value, bad_phone.value = facts["good"][3], "13800000004"
    fixed = tmp_path / "新团员-已改.xlsx"
    wb.save(fixed)

    page.get_by_label("填好的表格（.xlsx）").set_input_files(fixed)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_role("status")).to_contain_text("检查通过：共 3 行", timeout=CHECK_MS)
    ui.see(page, "3-import-checked")
    page.get_by_role("button", name="确认导入 3 行").click()
    expect(page.get_by_role("status")).to_contain_text("已导入 3 行。")
    ui.see(page, "4-import-done")
    assert set(Membership.objects.filter(branch=w.sales, ended_at__isnull=True)
               .values_list("person__name", flat=True)) == {"孙浩然", "周雨桐", "吴子轩"}

    nav.locator("summary", has_text="接转").click()
    nav.get_by_role("link", name="批量接转").click()
    ui.see(page, "5-batch-start")
    page.get_by_label("第一步：选择原团支部").select_option(label=w.lab.full_name)
    page.get_by_role("button", name="选择", exact=True).click()
    people = page.get_by_role("group", name=f"第二步：勾选 {w.lab.full_name} 的团员（最多30人）")
    for person in movers:
        people.get_by_label(person.name).check()
    expect(page.locator("#picked-count")).to_have_text("已选 30 / 30 人")
    page.get_by_label("转入团支部").select_option(label=w.sales.full_name)
    page.get_by_label("转接原因").select_option(Reason.JOB_CHANGE)
    ui.see(page, "6-batch-picked")
    page.get_by_role("button", name="下一步：预检").click()

    expect(page.locator(".verdict-ok").first).to_have_text("30 人可以转接")
    ui.see(page, "7-batch-precheck")
    page.get_by_role("button", name="确认转接 30 人").click()  # the confirm dialog is accepted
    expect(page.get_by_role("status")).to_contain_text(f"已将 30 名团员从{w.lab.full_name}转入{w.sales.full_name}")
    ui.see(page, "8-batch-done")

    assert Membership.objects.filter(branch=w.sales, ended_at__isnull=True).count() == 33
    assert not Membership.objects.filter(branch=w.lab, ended_at__isnull=True).exists()
    assert TransferRequest.objects.filter(kind=TransferRequest.Kind.BATCH, status="completed").count() == 30
    assert Person.objects.filter(name__in=NAMES).count() == 30
