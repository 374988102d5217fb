"""The audit page (R-TR-16): who did what, when, acting as which organization, from where. Admins read the events
of their acting subtree, the root organization's admins all of them (R-AUTH-1); members are refused (403).
Filtered by actor, action, target, result and dates, paginated, exported. ID numbers masked everywhere
(R-AUTH-6): the actor through `masked_id_number`, labels and details as written (masked) and masked again."""
import json

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from access.acting import admin_required
from audit.actions import LOCKED_OUT, LOGIN_FAILED, label
from audit.logging import mask, mask_deep
from audit.services import Counted, record_export
from transfers.templatetags.transfer_tags import exact

from .audit_forms import AuditFilter
from .selectors.audit import audit_events, sees_everything
from .xlsx import Sheet, workbook, xlsx_response

PER_PAGE = 50
EXPORT_LIMIT = 100_000  # a spreadsheet stays openable; narrower dates export the rest
DETAIL_LENGTH = 300
ANONYMOUS = (LOGIN_FAILED, LOCKED_OUT)


def actor_text(event) -> str:
    if event.actor_id:
        return event.actor.name
    return _("未登录者") if event.action in ANONYMOUS else _("系统")


def result_text(event) -> str:
    return _("成功") if event.result == event.Result.OK else _("被拒绝")


def _value(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return "—" if value is None else str(value)


def detail_text(event) -> str:
    """The detail as `key: value` pairs, masked again (an event written before masking, or by a bulk insert)."""
    detail = mask_deep(event.detail or {})
    text = "；".join(f"{key}: {_value(value)}" for key, value in detail.items())
    return text if len(text) <= DETAIL_LENGTH else text[:DETAIL_LENGTH - 1] + "…"


def _shown(events) -> list:
    rows = list(events)
    for e in rows:
        e.actor_text, e.action_label, e.result_text = actor_text(e), label(e.action), result_text(e)
        e.target_text, e.detail_text = mask(e.target_label), detail_text(e)
    return rows


def _selection(request, acting):
    form = AuditFilter(request.GET or None)
    filters = form.filters()
    return form, filters, audit_events(acting, **filters)


@require_GET
@admin_required
def audit_view(request, acting):
    form, filters, events = _selection(request, acting)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reports/audit.html", {
        "form": form, "page": page, "rows": _shown(page), "filtered": bool(filters),
        "everything": sees_everything(acting), "export_limit": EXPORT_LIMIT,
    })


COLUMNS = [
    (gettext_lazy("时间（北京时间）"), 18, lambda e: exact(e.at)),
    (gettext_lazy("操作人"), 12, actor_text),
    (gettext_lazy("操作人身份证号"), 22, lambda e: e.actor.masked_id_number if e.actor_id else ""),  # R-AUTH-6
    (gettext_lazy("代表组织"), 30, lambda e: e.acting_org.full_name if e.acting_org_id else ""),
    (gettext_lazy("操作"), 18, lambda e: label(e.action)),
    (gettext_lazy("操作代码"), 24, lambda e: e.action),
    (gettext_lazy("对象"), 30, lambda e: mask(e.target_label)),
    (gettext_lazy("结果"), 8, result_text),
    (gettext_lazy("来源地址"), 16, lambda e: e.ip or ""),
    (gettext_lazy("详情"), 60, detail_text),
]


@require_GET
@admin_required
def audit_export(request, acting):
    _form, filters, events = _selection(request, acting)
    title = _("审计记录 · %(org)s · 导出于 %(at)s（按时间倒序，最多 %(n)d 条；身份证号仅显示前6位和末位）") % {
        "org": acting.full_name, "at": exact(timezone.now()), "n": EXPORT_LIMIT}
    rows = Counted(events[:EXPORT_LIMIT].iterator(chunk_size=2000))
    content = workbook([Sheet(_("审计记录"), title, COLUMNS, rows)])
    record_export(actor=request.user, acting_org=acting, what="audit", rows=rows.count, **filters)  # R-TR-16
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"审计记录-{acting.display_name}-{stamp}.xlsx", f"audit-{stamp}.xlsx")
