"""Transfers that left or reached the acting subtree: a filtered, paginated list and its .xlsx export."""
import io

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from access.acting import admin_required
from audit.services import record_export

from ..forms import HistoryFilter
from ..selectors import history
from .common import shows_refusals

PER_PAGE = 50
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(form) -> dict:
    data = form.cleaned_data if form.is_valid() else {}
    return {"status": data.get("status", ""), "reason": data.get("reason", ""), "query": data.get("q", "")}


def _filtered(request, acting):
    form = HistoryFilter(request.GET or None)
    return form, history(acting_org=acting, **_filters(form))


@require_GET
@shows_refusals
@admin_required
def history_view(request, acting):
    form, qs = _filtered(request, acting)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "transfers/history.html", {
        "form": form, "page": page, "rows": list(page),
        "filtered": any(request.GET.get(k) for k in ("status", "reason", "q")),
    })


def cell(value):
    """A spreadsheet never runs what a person typed: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _bold(ws, text, font):
    c = WriteOnlyCell(ws, value=text)
    c.font = font
    return c


def _local(dt):
    return timezone.localtime(dt).replace(tzinfo=None) if dt else None


@require_GET
@shows_refusals
@admin_required
def history_export(request, acting):
    form, qs = _filtered(request, acting)
    rows = 0
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("组织关系转接记录"))
    header = [_("姓名"), _("身份证号"), _("原团支部"), _("转入组织"), _("最终所在团支部"), _("转接原因"), _("说明"),
              _("办理方式"), _("状态"), _("申请时间"), _("办结时间")]
    for letter, width in zip("ABCDEFGHIJK", (10, 22, 34, 34, 34, 22, 30, 10, 8, 18, 18), strict=True):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)
    ws.append([_bold(ws, text, bold) for text in header])
    for row in qs.iterator(chunk_size=1000):
        rows += 1
        ws.append([cell(v) for v in (
            row.member.name, row.member.masked_id_number,  # R-AUTH-6: masked wherever listed
            row.from_branch.full_name, row.to_org.full_name, row.to_branch.full_name if row.to_branch_id else "",
            row.get_reason_display(), row.note, row.get_kind_display(), row.get_status_display(),
            _local(row.created_at), _local(row.finished_at))])
    out = io.BytesIO()
    wb.save(out)
    record_export(actor=request.user, acting_org=acting, what="transfers", rows=rows, **_filters(form))  # R-TR-16
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (f'attachment; filename="transfers-{stamp}.xlsx"; '
                                       f"filename*=UTF-8''transfers-{stamp}.xlsx")
    return response
