"""Transfers that left or reached the acting subtree: a filtered, paginated list and its .xlsx export."""
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from access.acting import admin_required
from members.views.exports import export_or_queue

from ..forms import HistoryFilter
from ..selectors import history
from .common import shows_refusals

PER_PAGE = 50


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


@require_http_methods(["GET", "POST"])
@shows_refusals
@admin_required
def history_export(request, acting):
    """The filtered history as .xlsx: at once when short, else built by a task (members/views/exports.py)."""
    form = HistoryFilter(request.GET or None)
    return export_or_queue(request, acting, "transfers", _filters(form))
