"""The uploaded workbook with its bad cells marked (issue 5): built by a task (jobs.mark_job, issue 14), never in a
request, since a large upload takes seconds and hundreds of megabytes to reopen and save."""
import io
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from .reader import HEADER_SCAN, header_key

MARK_FILL_COLOR = "FFC7CE"


def _data_sheet(wb):
    """The sheet and header row import_workbook read: the first visible sheet with 姓名 and 身份证号 in one of
    its first rows. Returns (sheet, header row number, {header key: column number})."""
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN):
            keys = {header_key(c.value): c.column for c in row if c.value is not None}
            if "姓名" in keys and "身份证号" in keys:
                return ws, row[0].row, keys
    return None, 0, {}


def mark_workbook(content: bytes, errors: list) -> bytes:
    """The same workbook, each bad cell filled red with a comment giving the problem(s)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # WPS extensions openpyxl does not know are dropped, not fatal
        wb = load_workbook(io.BytesIO(content))  # defusedxml is installed: no entity is expanded
    ws, _header_row, columns = _data_sheet(wb)
    if ws is None:
        raise ValidationError(_("没有找到表头，无法标注。"), code="header_missing")
    fallback = columns.get("姓名")
    by_cell: dict[tuple[int, int], list[str]] = {}
    for row, header, _code, message in errors:
        if row <= 0:
            continue
        column = columns.get(header_key(header))
        if column is None:  # a problem of the row, or of a column the file lacks: on the row's 姓名 cell
            column, message = fallback, (f"{header}：{message}" if header else message)
        by_cell.setdefault((row, column), []).append(message)
    fill = PatternFill("solid", fgColor=MARK_FILL_COLOR)
    for (row, column), lines in by_cell.items():
        cell = ws.cell(row=row, column=column)
        cell.fill = fill
        comment = Comment("\n".join(lines), "团籍")
        comment.width, comment.height = 320, 40 + 36 * len(lines)
        cell.comment = comment
    for sheet in wb.worksheets:  # one selected tab: several would open as a group in Excel
        sheet.sheet_view.tabSelected = sheet is ws
    wb.active = wb.worksheets.index(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
