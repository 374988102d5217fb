"""R-ENT-10: a workbook is judged by its size before any parser builds a sheet.

python-calamine allocates a sheet's whole grid (rows x columns, ~32 bytes a cell) before the first row is
read, so one cell at XFD20000 costs 10 GB; and it reserves room for as many shared strings as the file
declares. So every part of the zip is inflated here as a stream (a chunk at a time, never held whole, read
to its real end whatever size its header claims) and its XML is walked with expat, keeping nothing but
counters: the declared <dimension>, the declared number of shared strings, and where each cell would land:
at its r="" reference, or without one at the next place, counted the way calamine counts."""
import copy
import functools
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHUNK = 256 * 1024
_REF = re.compile(r"([A-Za-z]*)([0-9]+)")
# A relationship may point anywhere: a part not named .xml that holds sheet data is walked like a sheet.
_SHEET_MARKERS = tuple("sheetData".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


@dataclass(frozen=True)
class Limits:
    rows: int       # the last row (1-based) any sheet may reach
    cols: int       # the last column
    part: int       # bytes of one part, uncompressed
    strings: int    # shared strings a workbook may declare


def broken() -> ValidationError:
    return ValidationError(_("文件已损坏或不是有效的 Excel 文件，无法打开。请重新保存后上传。"), code="file_invalid")


def _too_many_rows() -> ValidationError:
    return ValidationError(_("表格超过 20000 行（只设了格式的空行也算在内）。请删除多余的行，或分成几个文件上传。"),
                           code="file_too_large")


def _too_wide(cols: int) -> ValidationError:
    return ValidationError(_("表格超过 %(n)d 列。请删除多余的列（包括只设了格式的列），或使用下载的模板重新填写。")
                           % {"n": cols}, code="file_too_large")


def _too_big() -> ValidationError:
    return ValidationError(_("文件解压后过大，请分成几个文件上传。"), code="file_too_large")


def check_extents(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Raise ValidationError (file_too_large, file_invalid) unless every part fits `limits`."""
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.filename.replace("\\", "/").lower().endswith(".xml") or _holds_sheet_data(zf, info, limits):
            _walk(zf, info, limits)


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int):
    """The part's bytes, a chunk at a time, to the end of its compressed data: Python's zip reader stops at the
    size the header declares, the parser's may not, so a header that lies is refused, as is more than `cap`."""
    probe = copy.copy(info)
    probe.file_size, probe.CRC = cap + 1, None   # read on past the declared end; the checksum is the parser's
    size = 0
    try:
        with zf.open(probe) as part:
            while chunk := part.read(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise _too_big()
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
        raise broken() from None   # damaged, encrypted, or compressed in a way no reader here knows
    if size != info.file_size:
        raise broken()


def _holds_sheet_data(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bool:
    tail = b""
    for chunk in _inflate(zf, info, limits.part):
        window = tail + chunk
        if any(marker in window for marker in _SHEET_MARKERS):
            return True
        tail = window[-32:]
    return False


def _walk(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    extent = _Extent(limits)
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _no_doctype   # no entities, no external files: Excel never writes one
    parser.StartElementHandler = extent.start
    parser.EndElementHandler = extent.end
    try:
        for chunk in _inflate(zf, info, limits.part):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise broken() from None


def _no_doctype(*_args) -> None:
    raise broken()


def _place(ref: str, *, column: bool = True) -> tuple[int, int]:
    """(row, column), 1-based, of a reference such as "XFD20000"; column 0 when it has none. Read as calamine
    reads it (upper- or lower-case letters, then digits); anything else calamine refuses, and so do we."""
    m = _REF.fullmatch(ref)
    if not m or int(m.group(2)) < 1 or (column and not m.group(1)):
        raise broken()
    return int(m.group(2)), _column(m.group(1))


@functools.lru_cache(maxsize=1024)
def _column(letters: str) -> int:
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - ord("A") + 1
    return col


class _Extent:
    """Follows one part's cells without keeping any; refuses the part as soon as one lands too far."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row, self.col = 1, 1          # where a cell without r="" lands

    def start(self, name: str, attrs: dict) -> None:
        tag = name.rpartition(":")[2]      # calamine matches local names: <x:c> is a cell too
        if tag == "c":
            row, col = _place(attrs["r"]) if "r" in attrs else (self.row, self.col)
            self._fit(row, col)
            self.col = col + 1
        elif tag == "row" and "r" in attrs:
            self.row = _place(attrs["r"], column=False)[0]
        elif tag == "dimension":           # the declared size: judged before any cell is read
            for ref in attrs.get("ref", "").split(":"):
                self._fit(*_place(ref))
        elif tag == "sst" and re.fullmatch(r"[0-9]+", attrs.get("uniqueCount", "")):
            if int(attrs["uniqueCount"]) > self.limits.strings:
                raise _too_big()

    def end(self, name: str) -> None:
        if name.rpartition(":")[2] == "row":
            self.row, self.col = self.row + 1, 1

    def _fit(self, row: int, col: int) -> None:
        if row > self.limits.rows:
            raise _too_many_rows()
        if col > self.limits.cols:
            raise _too_wide(self.limits.cols)
