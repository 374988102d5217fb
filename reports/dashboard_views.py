"""The dashboard of the acting subtree, its two drill-down lists, and the transfer statistics (issue 6 items
1 and 4). Admins only (R-AUTH-1: an admin reads everything in the acting organization's subtree); each page
costs the same number of queries whatever the subtree's size (tests/reports/test_dashboard.py)."""
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.acting import admin_required
from config.paging import KnownCount
from members.selectors.records import SMALL_BRANCH
from orgs.models import Organization
from orgs.selectors import subtree, uses_figures
from transfers.models import TransferRequest
from transfers.selectors import row_facts

from .charts import Bar, chart
from .selectors.dashboard import AUTO_WINDOW, ORG_FLAGS, dashboard, flagged_orgs, pending_by_range, steps_behind
from .selectors.transfer_stats import PERIODS, period_days, transfer_stats
from .selectors.trends import trends
from .templatetags.report_tags import took
from .trend_charts import Series, trend_chart

PER_PAGE = 50
STATUS_TONE = {"pending": "pending", "completed": "ok", "rejected": "muted", "withdrawn": "muted"}


def _url(name, *args, **params) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(params)}" if params else url


def _in_scope(acting: Organization, pk) -> Organization:
    """An organization of the acting subtree named in the query string, or the acting one; else 404."""
    if not pk:
        return acting
    try:
        return get_object_or_404(subtree(acting), pk=int(pk))
    except ValueError:
        raise Http404 from None


# --- the dashboard ------------------------------------------------------------------------------------------

@require_GET
@admin_required
def dashboard_view(request, acting):
    now = timezone.now()
    data = dashboard(acting, now=now)
    children = data["children"]
    requests = data["transfers"]["requests"]
    return render(request, "reports/dashboard.html", {
        **data, "now": now, "small_limit": SMALL_BRANCH, "auto_days": AUTO_WINDOW.days,
        "completion_chart": chart(_("各下级组织达到录入标准的比例"), [
            Bar(r["org"].display_name, r["pct"], f'{r["ok"]}/{r["total"]} · {r["pct"]}%',
                reverse("people:completion", args=[r["org"].pk]), "ok" if r["pct"] >= 60 else "low")
            for r in children], scale=100),
        "members_chart": chart(_("各下级组织的团员人数"), [
            Bar(r["org"].display_name, r["members"], _("%(n)d 人") % {"n": r["members"]},
                _url("people:members", branch=r["org"].pk) if r["org"].is_branch else reverse("orgs:detail", args=[r["org"].pk]))
            for r in children]),
        **trend_charts(acting, now=now),
        "status_chart": chart(_("转接按状态（转出或转入本组织及下级）"), [
            Bar(label, requests[value], _("%(n)d 项") % {"n": requests[value]},
                _url("transfers:history", status=value), STATUS_TONE[value])
            for value, label in TransferRequest.Status.choices]),
    })


def trend_charts(org: Organization, *, now) -> dict:
    """Issue 15: the subtree's transfers per week, members and complete records per month (reports/trends.py)."""
    t = trends(org, now=now)
    months = [f"{m:%Y-%m}" for m in t["months"]]
    since = t["complete_since"]
    return {"trend_taken_at": t["taken_at"], "trend_charts": [
        trend_chart("transfers", _("每周转接（近26周）"), [f"{w:%m-%d}" for w in t["weeks"]], [
            Series(_("发起"), t["started"]), Series(_("办结"), t["completed"], tone="ok")],
            note=_("每周从周一算起；转出或转入本组织及下级的转接，按发起时间和办结时间分别计数。")),
        trend_chart("complete", _("录入完成率（按月）"), months, [
            Series(_("信息完整的团员"), t["complete_pct"], tone="ok", text=lambda v: f"{v:g}%")], scale=100,
            note=(_("每月末（本月为最近一次记录时）团员中信息完整的比例（R-CMP）。自 %(m)s 起按月记录；更早的月份"
                    "无法知道当时的信息是否完整，不显示。") % {"m": f"{since:%Y-%m}"} if since else
                  _("每月末团员中信息完整的比例。从开始按月记录时起才有，目前还没有记录。"))),
        trend_chart("members", _("团员人数（按月）"), months, [
            Series(_("团员"), t["members"], text=lambda v: _("%(n)d 人") % {"n": v})], bars=True,
            note=_("每月末的团员人数；本月为最近一次记录时的人数。")),
    ]}


@require_GET
@admin_required
def flagged_orgs_view(request, acting):
    """The organizations behind a dashboard figure: small branches, empty ones, ones without cadres."""
    flag = request.GET.get("flag", "")
    if flag not in ORG_FLAGS:
        raise Http404
    org = _in_scope(acting, request.GET.get("org"))
    page = Paginator(flagged_orgs(org, flag), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reports/flagged_orgs.html", {
        "flag": flag, "org": org, "page": page, "small_limit": SMALL_BRANCH, "title": FLAG_TITLES[flag](),
    })


FLAG_TITLES = {
    "small": lambda: _("团员不足%(n)d人的团支部") % {"n": SMALL_BRANCH},
    "empty": lambda: _("空组织（没有团员、团干部和下级组织）"),
    "no_cadres": lambda: _("没有团干部的组织"),
}
STEP_TITLES = {
    "pending": lambda: _("待审批的转接步骤"),
    "overdue": lambda: _("超过72小时未审批的转接步骤"),
    "auto": lambda: _("近%(n)d天超时自动同意的转接步骤") % {"n": AUTO_WINDOW.days},
}


@require_GET
@admin_required
def steps_view(request, acting):
    """The approval steps behind a transfer figure, as the inbox lists them (transfers/_step_rows.html)."""
    state = request.GET.get("state", "")
    if state not in STEP_TITLES:
        raise Http404
    org = _in_scope(acting, request.GET.get("org"))
    now = timezone.now()
    steps = steps_behind(org, state, now=now)
    if uses_figures() and state in ("pending", "overdue"):
        # The dashboard's own count, on index-only ranges of the path (one per child): counted over the whole subtree,
        # PostgreSQL read the root's every pending step through step_one_pending and the table (issue 13).
        count = sum(r[state] for r in pending_by_range(org, now=now).values())
        paginator = KnownCount(steps, PER_PAGE, count=count)
    else:
        paginator = Paginator(steps, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "reports/steps.html", {
        "state": state, "org": org, "page": page, "rows": row_facts(list(page)), "title": STEP_TITLES[state](),
    })


# --- transfer statistics ------------------------------------------------------------------------------------

@require_GET
@admin_required
def transfer_stats_view(request, acting):
    days = period_days(request.GET.get("days"))
    stats = transfer_stats(acting, days=days)
    rows, total = stats["rows"], stats["total"]

    def name(row):
        return _("本级（%(org)s）") % {"org": row["org"].display_name} if row["own"] else row["org"].display_name

    timed = [r for r in rows if r["median"] is not None]
    return render(request, "reports/transfer_stats.html", {
        **stats, "periods": PERIODS,
        "median_chart": chart(_("审批用时中位数"), [
            Bar(name(r), r["median"].total_seconds(), took(r["median"])) for r in timed]),
        "auto_chart": chart(_("超时自动同意的比例"), [
            Bar(name(r), r["auto_pct"], f'{r["auto_pct"]}%（{r["auto"]}/{r["decided"]}）', tone="ok")
            for r in rows if r["decided"]], scale=100),
        "reasons_chart": chart(_("退回的转接按原因"), [
            Bar(r["label"], r["n"], _("%(n)d 项") % {"n": r["n"]},
                _url("transfers:history", status="rejected", reason=r["reason"]), "muted")
            for r in total["reasons"]]),
    })
