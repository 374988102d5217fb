"""Reading an uploaded workbook safely: size and zip checks before any parser sees it (zip bombs), every
sheet judged by its declared and real extent before a grid is built (R-ENT-10, extent.py), a parser that
expands no XML entities (python-calamine: Rust's calamine on quick-xml), values only (formulas never run:
the value Excel last computed is read), headers found by their text.

openpyxl reads ~1,000 rows of this template a second here; calamine ~60,000 (docs/decisions.md)."""
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..idnumber import drop_invisible
from .columns import COLUMNS, KINDS, MARKER_PREFIX, MARKER_SHEET, MISMATCH_MESSAGE
from .extent import Limits, broken, check_extents

MAX_BYTES = 10 * 1024 * 1024          # 10 MB upload
MAX_ROWS = 20000                      # data rows
MAX_ENTRIES = 200                     # files inside the .xlsx zip
MAX_UNZIPPED = 200 * 1024 * 1024      # all entries together, uncompressed
MAX_RATIO = 200                       # uncompressed / compressed, per entry
MAX_PART = 64 * 1024 * 1024           # one entry, uncompressed (a 20000-row sheet is ~15 MB)
COLUMN_MARGIN = 10                    # columns a sheet may have past the template's (R-ENT-10)
HEADER_SCAN = 5
_SPACES = re.compile(r"\s+")


def _refuse(message: str, code: str = "file_invalid") -> ValidationError:
    return ValidationError(message, code=code)


def _read_bytes(file) -> bytes:
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(_("文件超过 10 MB，请分成几个文件上传。"), "file_too_large")
    return data


def size_limits(kind: str) -> Limits:
    """R-ENT-10: the header within the first rows, then at most MAX_ROWS data rows; a few extra columns."""
    rows, cols = MAX_ROWS + HEADER_SCAN, len(COLUMNS[kind]) + COLUMN_MARGIN
    return Limits(rows=rows, cols=cols, part=MAX_PART, strings=rows * cols)


def _check_zip(data: bytes, kind: str) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _refuse(_("这不是 Excel（.xlsx）文件。请用模板填写后另存为 .xlsx 再上传（.xls、.csv、WPS 的 .et 不能直接上传）。"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise _refuse(_("文件结构异常（内含文件过多），请用模板重新填写。"))
            total = 0
            for info in infos:
                total += info.file_size
                if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024**2:
                    raise _refuse(_("文件结构异常（压缩比异常），请用模板重新填写。"))
            if total > MAX_UNZIPPED:
                raise _refuse(_("文件解压后过大，请分成几个文件上传。"), "file_too_large")
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise _refuse(_("这不是 Excel（.xlsx）文件，请用模板填写后上传。"))
            check_extents(zf, size_limits(kind))   # R-ENT-10: before calamine builds any sheet
    except zipfile.BadZipFile:
        raise _refuse(_("文件已损坏，无法打开。请重新保存后上传。")) from None


def open_workbook(file, kind: str):
    from python_calamine import CalamineWorkbook

    data = _read_bytes(file)
    _check_zip(data, kind)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # noqa: BLE001 — any parser failure is the same "cannot open" to the user
        raise broken() from None


def _rows(wb, name: str):
    try:
        return wb.get_sheet_by_name(name).iter_rows()
    except Exception:  # noqa: BLE001 — a sheet calamine cannot parse is a broken file
        raise broken() from None


def header_key(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")))


def _norm_headers(kind: str) -> dict[str, object]:
    return {header_key(c.header): c for c in COLUMNS[kind]}


@dataclass
class Sheet:
    header_row: int
    columns: dict = field(default_factory=dict)   # field name -> (column index, Column)
    rows: list = field(default_factory=list)      # (spreadsheet row number, {field: raw value})


def _marker_kind(wb) -> str | None:
    if MARKER_SHEET in wb.sheet_names:
        first = next(_rows(wb, MARKER_SHEET), [None])
        value = first[0] if first else None
        if isinstance(value, str) and value.startswith(MARKER_PREFIX):
            return value[len(MARKER_PREFIX):]
    return None


def read_sheet(wb, kind: str) -> Sheet:
    from python_calamine import SheetVisibleEnum

    made_for = _marker_kind(wb)
    titles = set(wb.sheet_names)
    other = [k for k in KINDS if k != kind]
    if made_for and made_for != kind or (made_for is None and any(KINDS[k] in titles for k in other)
                                         and KINDS[kind] not in titles):
        raise ValidationError(_(MISMATCH_MESSAGE), code="template_mismatch")
    wanted = _norm_headers(kind)
    for meta in wb.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            continue  # hidden sheets hold lists and markers, never data
        rows = _rows(wb, meta.name)
        for r, row in enumerate(rows, start=1):
            if r > HEADER_SCAN:
                break
            keys = [header_key(v) for v in row]
            if "姓名" in keys and "身份证号" in keys:
                return _read_rows(rows, r, keys, wanted, kind)
    raise _refuse(_("没有找到表头（前5行中应有“姓名”和“身份证号”两列）。请使用下载的模板。"), "header_missing")


def read_row(content: bytes, kind: str, row_number: int) -> dict | None:
    """One data row of an upload already checked, by its spreadsheet row number (the import's 办理转入, issue 15);
    None when there is no such row."""
    wb = open_workbook(io.BytesIO(content), kind)
    try:
        sheet = read_sheet(wb, kind)
    finally:
        wb.close()
    return next((raw for r, raw in sheet.rows if r == row_number), None)


def _read_rows(rows, header_row: int, keys: list[str], wanted: dict, kind: str) -> Sheet:
    """rows: the sheet's row iterator, positioned just after the header row."""
    sheet = Sheet(header_row=header_row)
    for idx, key in enumerate(keys):
        col = wanted.get(key)
        if col is not None and col.field not in sheet.columns:
            sheet.columns[col.field] = (idx, col)
    # A column only the other template has: the files were mixed up.
    if kind == "own_cadres" and "所在团支部全称" in keys:
        raise ValidationError(_(MISMATCH_MESSAGE), code="template_mismatch")
    missing = [c.header for c in COLUMNS[kind] if c.required and c.field not in sheet.columns]
    if missing:
        raise _refuse(_("缺少必需的列：%(cols)s。请使用下载的模板，不要修改列名。") % {"cols": "、".join(missing)},
                      "header_missing")
    for r, row in enumerate(rows, start=header_row + 1):
        values = {f: (row[i] if i < len(row) else None) for f, (i, _c) in sheet.columns.items()}
        if all(v is None or v == "" or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue  # empty rows anywhere are skipped
        sheet.rows.append((r, values))
        if len(sheet.rows) > MAX_ROWS:
            raise _refuse(_("超过 20000 行，请分成几个文件上传。"), "too_many_rows")
    return sheet


def text(value) -> str:
    """Full-width digits and letters folded; surrounding and inner stray spaces, NUL, control and format
    characters dropped (STYLE 11: cleaned once, here)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub("", drop_invisible(unicodedata.normalize("NFKC", str(value))))


def free_text(value) -> str:
    """A cell kept as typed (a unit, a city, a branch's full name): invisible characters and surrounding
    spaces dropped, nothing folded."""
    return drop_invisible(str(value if value is not None else "")).strip()


_DATE_PATTERNS = [r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$", r"^(\d{4})(\d{2})(\d{2})$"]
EXCEL_EPOCH = dt.date(1899, 12, 30)


def to_date(value) -> dt.date | None:
    """A date cell, an Excel serial number, or a date typed as text. Raises ValueError when it is none."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and 1 <= value < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    s = text(value)
    for pattern in _DATE_PATTERNS:
        m = re.match(pattern, s)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if re.fullmatch(r"\d{5}(\.0)?", s):
        return EXCEL_EPOCH + dt.timedelta(days=int(float(s)))
    raise ValueError(s)
