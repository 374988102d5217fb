"""The audit page (R-TR-16): who did what, when, acting as which organization, from where. Admins read the events
of their acting subtree, the root organization's admins all of them (R-AUTH-1); members are refused (403).
Filtered by actor, action, target, result and dates, paginated, exported. ID numbers masked everywhere
(R-AUTH-6): the actor through `masked_id_number`, labels and details as written (masked) and masked again."""
import datetime as dt
import json

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from access.acting import admin_required
from audit.actions import LOCKED_OUT, LOGIN_FAILED, label
from audit.logging import mask, mask_deep
from members.views.exports import export_or_queue
from transfers.templatetags.transfer_tags import exact

from .audit_forms import AuditFilter
from .selectors.audit import audit_events, sees_everything

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


AUDIT_FILTERS = ("actor", "action", "target", "result", "since", "until")


def audit_filters(filters: dict) -> dict:
    """The audit form's filters kept on a job: its dates as text."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in filters.items() if k in AUDIT_FILTERS}


@require_http_methods(["GET", "POST"])
@admin_required
def audit_export(request, acting):
    """At once when short, else a job (issue 14): the rows of reports/exporting.py `audit_rows`, the acting scope."""
    _form, filters, _events = _selection(request, acting)
    return export_or_queue(request, acting, "audit", audit_filters(filters))
