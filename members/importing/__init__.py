"""Excel bulk entry (CONTRACT.md "Excel import"): build_template and import_workbook."""
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import record, refusals_audited
from orgs.permissions import ensure_acting_as

from ..services import enter_cadre, enter_member
from .columns import KINDS, MISMATCH_MESSAGE
from .reader import open_workbook, read_sheet
from .rows import RowChecker, errors_as_rows
from .template import build_template

__all__ = ["build_template", "import_workbook", "ImportResult", "MISMATCH_MESSAGE"]


@dataclass
class ImportResult:
    created: int = 0
    errors: list = field(default_factory=list)   # (row_number, column_header, code, message)
    rows: int = 0


def check_workbook(*, acting_org, kind: str, file, progress=None) -> tuple[list[tuple[int, dict]], ImportResult]:
    if kind not in KINDS:
        raise ValidationError("unknown template", code="template_mismatch")
    wb = open_workbook(file)
    try:
        sheet = read_sheet(wb, kind)
    finally:
        wb.close()
    checker, result, good = RowChecker(kind=kind, acting_org=acting_org), ImportResult(rows=len(sheet.rows)), []
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
    good, result = check_workbook(acting_org=acting_org, kind=kind, file=file, progress=progress)
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            for row_number, args in good:
                _write(actor, row_number, args)
            record(actor=actor, action="import", target=acting_org, acting_org=acting_org, kind=kind, rows=len(good))
    except _RowFailed as failed:
        result.errors.extend(failed.rows)
        return result
    result.created = len(good)
    return result


class _RowFailed(Exception):
    def __init__(self, rows):
        self.rows = rows


def _write(actor, row_number: int, a: dict) -> None:
    from ..rules import Errors

    try:
        if a["title"]:
            extra = {"joined_on": a["joined_on"], "development_number": a["development_number"]} \
                if (a["is_member_row"] or a["joined_on"]) else {}
            enter_cadre(actor=actor, org=a["target"], id_number=a["id_number"], name=a["name"], title=a["title"],
                        kind=a.get("cadre_kind", ""), **extra, **a["profile"])
        else:
            enter_member(actor=actor, branch=a["target"], id_number=a["id_number"], name=a["name"],
                         joined_on=a["joined_on"], development_number=a["development_number"], **a["profile"])
    except ValidationError as exc:  # changed between check and write (a concurrent entry): nothing is kept
        errors = Errors()
        errors.absorb(exc)
        raise _RowFailed(errors_as_rows(row_number, errors, "branch_members" if a["is_member_row"]
                                        else "own_cadres")) from None
