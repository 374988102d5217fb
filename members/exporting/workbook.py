"""The export workbook (issue 5, issue 14): streaming (openpyxl's write-only mode), a title row when the kind has
one, a bold header row, one row per record; text that Excel would run as a formula escaped; dates typed. Built in
the request for a small list (members/views/exports.py) and by a task for a large one (jobs.py): the same cells."""
import datetime as dt
import io
from collections.abc import Callable, Iterable
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # what Excel or WPS may read as the start of a formula
HEADER_FILL = PatternFill("solid", fgColor="F6F8FA")


def safe(value):
    """A text cell never starts a formula: a leading = + - @ gets a single quote in front (CSV/formula
    injection). Numbers and dates stay typed."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_response(content: bytes, filename: str, fallback: str) -> HttpResponse:
    """An .xlsx download; the Chinese name in filename* (RFC 6266), an ASCII one for old clients."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cell(ws, value):
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return safe(value if value is None else str(value))


def _sheet(wb, name: str, title: str | None, columns: list, rows: Iterable,
           progress: Callable[[int], None] | None = None, every: int = 2000) -> int:
    ws = wb.create_sheet(name[:31].replace("/", "-"))
    for i, (_h, width, _f) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if title:
        ws.freeze_panes = "A3"
        heading = WriteOnlyCell(ws, value=safe(title))
        heading.font = Font(bold=True, size=13)
        ws.append([heading])
    header = []
    for h, _w, _f in columns:
        cell = WriteOnlyCell(ws, value=str(h))
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        header.append(cell)
    ws.append(header)
    done = 0
    for row in rows:
        ws.append([_cell(ws, get(row)) for _h, _w, get in columns])
        done += 1
        if progress is not None and done % every == 0:
            progress(done)
    return done


def build_export(*, title: str | None, columns: list, rows: Iterable, sheet: str | None = None,
                 progress: Callable[[int], None] | None = None, every: int = 2000,
                 preface: Iterable = ()) -> tuple[bytes, int]:
    """The workbook's bytes and how many rows it holds. `columns` are (header, width, getter); `progress(done)` is
    called every `every` rows. Rows are read one at a time: pass an iterator, never a list of 100,000. `preface`:
    (name, columns, rows) sheets written first under the same title (a summary), not counted."""
    wb = Workbook(write_only=True)
    for name, cols, their_rows in preface:
        _sheet(wb, str(name), title, cols, their_rows)
    done = _sheet(wb, sheet or title or "Sheet", title, columns, rows, progress, every)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), done
