"""build_template: the workbook an admin downloads, fills in Excel or WPS, and uploads.

The instruction sheet is in the language of the page it was downloaded from (issue 15); the data sheet's name, its
column names and the lists stay Chinese whatever the language: the import finds its columns by those names
(columns.py), so a template filled in by an English reader imports like any other."""
import io

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .columns import COLUMNS, KINDS, MARKER_PREFIX, MARKER_SHEET

REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E4")
COMPLETE_FILL = PatternFill("solid", fgColor="FFF2CC")
REQUIRED_NOTE = "必填：空着的行不能导入。"
COMPLETE_NOTE = "信息完整所需：可以先空着导入，此人会显示为“信息不完整”，以后补填。"
HEADER_FONT = Font(bold=True)
DATA_ROWS = 20000


def build_template(kind: str) -> bytes:
    if kind not in KINDS:
        raise ValueError(f"unknown template kind: {kind}")
    wb = Workbook()
    ws = wb.active
    ws.title = KINDS[kind]
    columns = COLUMNS[kind]
    lists = wb.create_sheet("选项")
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.header)
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center")
        if col.required:
            cell.fill = REQUIRED_FILL
        elif col.complete:
            cell.fill = COMPLETE_FILL
        note = (REQUIRED_NOTE if col.required else COMPLETE_NOTE if col.complete else "") + col.note
        if note:
            cell.comment = Comment(note, "团籍")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = col.width
        if col.kind in ("id", "digits"):
            for row in ws.iter_rows(min_row=2, max_row=1000, min_col=i, max_col=i):
                row[0].number_format = "@"  # text: Excel must not turn 18 digits into 1.1E+17
        if col.kind == "date":
            for row in ws.iter_rows(min_row=2, max_row=1000, min_col=i, max_col=i):
                row[0].number_format = "yyyy-mm-dd"
        if col.choices:
            # Lists longer than 255 characters must live on a sheet, not inline.
            for r, value in enumerate(col.choices, start=1):
                lists.cell(row=r, column=i, value=value)
            dv = DataValidation(type="list", formula1=f"'选项'!${letter}$1:${letter}${len(col.choices)}",
                                allow_blank=True, showErrorMessage=True, errorTitle="请从列表中选择",
                                error="请从下拉列表中选择")
            dv.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    lists.sheet_state = "hidden"
    guide = wb.create_sheet(_("填写说明")[:31], 0)
    name = KINDS[kind]
    lines = [
        _("%(kind)s 模板（团籍）") % {"kind": _(name)},
        _("1. 在“%(sheet)s”工作表中从第2行起每行填写一人，不要修改第1行的列名，可以调整列的顺序。") % {"sheet": name},
        _("2. 红色列名为必填项，有一项空着的行不能导入；黄色列名是信息完整所需的项目，可以先空着导入，"
          "此人会显示为“信息不完整”，以后补填。把鼠标停在列名上可看到填写要求。"),
        _("3. 身份证号、发展团员编号、手机号码请保持“文本”格式，否则Excel会丢失后几位数字。"),
        _("4. 入团时间请填日期，如 2016-05-04。"),
        _("5. 民族、政治面貌、学历、职务请从下拉列表中选择。"),
        _("6. 上传后系统会一次列出所有问题（行号、列名、原因）；有任何错误时不会导入任何一行。"),
        _("7. 文件不超过 10 MB、20000 行。"),
        _("示例：张小明 | 110101200403011234 | 2016-05-04 | （2017年前入团可不填编号） | 13800000000"),
    ]
    # Said only in a language other than Chinese: the column names are the import's keys, never translated.
    if not (get_language() or "zh").startswith("zh"):
        lines.insert(2, _("列名、工作表名和下拉选项保持中文：导入按中文列名识别各列。"))
    for r, text in enumerate(lines, start=1):
        guide.cell(row=r, column=1, value=text)
    guide.column_dimensions["A"].width = 100
    marker = wb.create_sheet(MARKER_SHEET)
    marker["A1"] = MARKER_PREFIX + kind
    marker.sheet_state = "veryHidden"
    wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
