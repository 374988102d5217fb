"""Excel bulk entry (CONTRACT.md "Excel import"): build_template and import_workbook."""
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as
from audit.services import record, refusals_audited

from ..rules import Errors, clean_id_number, normalize_dev_number
from ..selectors.lookups import PrefetchedLookups
from .columns import KINDS, MISMATCH_MESSAGE
from .reader import open_workbook, read_sheet, text
from .rows import RowChecker, errors_as_rows
from .template import build_template
from .writer import write_rows

__all__ = ["build_template", "import_workbook", "ImportResult", "MISMATCH_MESSAGE"]


@dataclass
class ImportResult:
    created: int = 0
    errors: list = field(default_factory=list)   # (row_number, column_header, code, message)
    rows: int = 0


def check_workbook(*, acting_org, kind: str, file, progress=None, viewer=None) -> tuple[list[tuple[int, dict]], ImportResult]:
    if kind not in KINDS:
        raise ValidationError("unknown template", code="template_mismatch")
    wb = open_workbook(file, kind)
    try:
        sheet = read_sheet(wb, kind)
    finally:
        wb.close()
    lookups = PrefetchedLookups(
        id_numbers=[clean_id_number(text(raw.get("id_number")), Errors()) for _, raw in sheet.rows],
        numbers=[normalize_dev_number(text(raw.get("development_number"))) for _, raw in sheet.rows])
    checker = RowChecker(kind=kind, acting_org=acting_org, lookups=lookups, viewer=viewer)
    result, good = ImportResult(rows=len(sheet.rows)), []
    for i, (row_number, raw) in enumerate(sheet.rows, start=1):
        args, errors = checker.check(row_number, raw)
        if errors:
            result.errors.extend(errors_as_rows(row_number, errors, kind))
        else:
            good.append((row_number, args))
        if progress and i % 200 == 0:
            progress(i, len(sheet.rows))
    return good, result


@refusals_audited("import")
def import_workbook(*, actor, acting_org, kind: str, file, dry_run: bool = False, progress=None) -> ImportResult:
    """Check every row; import all of them in one transaction, or none if any error stands."""
    ensure_acting_as(actor, acting_org)
    good, result = check_workbook(acting_org=acting_org, kind=kind, file=file, progress=progress, viewer=actor)
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            write_rows(actor=actor, acting_org=acting_org, rows=[args for _, args in good])
            record(actor=actor, action="import", target=acting_org, acting_org=acting_org, kind=kind, rows=len(good))
    except IntegrityError:
        # Someone entered one of these people (or numbers) between the check and the write: nothing is kept.
        result.errors.append((0, "", "id_registered", _("导入期间有人录入了其中的人员或编号，本次未导入任何数据，请重新上传。")))
        return result
    result.created = len(good)
    return result
