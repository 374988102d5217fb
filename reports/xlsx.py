"""Report workbooks: the member exports' look (members/views/exports.py: a title row, a bold header row, text
that would start a formula quoted) with more than one sheet. ID numbers come in masked (R-AUTH-6)."""
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from members.views.exports import HEADER_FILL, safe, xlsx_response

__all__ = ["Sheet", "workbook", "xlsx_response"]


class Sheet:
    """title: the sheet's first row; columns: (header, width, getter); rows: anything the getters read."""

    def __init__(self, name: str, title: str, columns: list, rows):
        self.name, self.title, self.columns, self.rows = name, title, columns, rows


def _cell(ws, value):
    if isinstance(value, dt.datetime):
        raise TypeError("format datetimes in Asia/Shanghai before writing them")
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return safe("" if value is None else str(value))


def workbook(sheets: list[Sheet]) -> bytes:
    wb = Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        for i, (_h, width, _get) in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A3"
        heading = WriteOnlyCell(ws, value=safe(sheet.title))
        heading.font = Font(bold=True, size=13)
        ws.append([heading])
        header = []
        for h, _w, _get in sheet.columns:
            cell = WriteOnlyCell(ws, value=str(h))
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_cell(ws, get(row)) for _h, _w, get in sheet.columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
