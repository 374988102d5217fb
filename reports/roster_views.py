"""Pages of the weekly study roster (青年大学习, R-TR-15): each branch of the acting subtree with its count
as of Tuesday 22:00 Asia/Shanghai, the names on demand, and the export. Reads only (reports/roster.py)."""
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from access.acting import admin_required
from config.forms import search_text
from members.views.exports import export_or_queue
from orgs.models import OrgType
from orgs.selectors import subtree
from transfers.templatetags.transfer_tags import exact

from .roster import SHANGHAI, Week, branch_counts, counted_members, current_week, exempt_members, parse_week
from .roster import totals as roster_totals

PER_PAGE = 100
WEEKDAYS = "一二三四五六日"


def _week(request) -> Week:
    return parse_week(request.GET.get("week", ""), request.GET.get("date", "")) or current_week()


def _md(day) -> str:
    return _("%(m)d月%(d)d日") % {"m": day.month, "d": day.day}


def describe(week: Week) -> dict:
    """How the page names a week and its cut-off, in Asia/Shanghai whatever the server's time zone."""
    cutoff = week.cutoff.astimezone(SHANGHAI)
    return {
        "week": week, "iso": week.iso, "monday": week.monday,
        "label": _("%(y)d年第%(w)d周（%(a)s—%(b)s）") % {"y": week.year, "w": week.number, "a": _md(week.monday),
                                                      "b": _md(week.sunday)},
        "cutoff_label": _("%(d)s（周二）%(t)s") % {"d": _md(cutoff.date()), "t": cutoff.strftime("%H:%M")},
        "cutoff_iso": week.cutoff.isoformat(),
        "open": timezone.now() < week.cutoff,   # the cut-off is still ahead: the roster may change
        "prev": week.shifted(-1).iso, "next": week.shifted(1).iso, "current": current_week().iso,
    }


@require_GET
@admin_required
def roster(request, acting):
    week = _week(request)
    query = search_text(request.GET, max_length=50)  # STYLE 11: cleaned at the edge
    page = Paginator(branch_counts(acting_org=acting, week=week, query=query), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reports/roster.html", {
        **describe(week), "totals": roster_totals(acting_org=acting, week=week), "page": page, "rows": list(page),
        "query": query,
    })


@require_GET
@admin_required
def roster_branch(request, acting, pk):
    """One branch's names: the whole page, or only the list when the roster page expands it (htmx)."""
    branch = get_object_or_404(subtree(acting, active_only=False).filter(org_type=OrgType.BRANCH), pk=pk)
    week = _week(request)
    context = {**describe(week), "branch": branch, "counted": list(counted_members(branch=branch, week=week)),
               "exempt": list(exempt_members(branch=branch, week=week))}
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "reports/_roster_names.html" if partial else "reports/roster_branch.html", context)


def _counted(cutoff):
    return lambda m: m.ended_at is None or m.ended_at > cutoff


def _columns(week: Week):
    counted = _counted(week.cutoff)
    return [
        (gettext_lazy("上级组织"), 30, lambda m: m.branch.parent.full_name if m.branch.parent_id else ""),
        (gettext_lazy("团支部"), 34, lambda m: m.branch.full_name),
        (gettext_lazy("姓名"), 10, lambda m: m.person.name),
        (gettext_lazy("身份证号"), 22, lambda m: m.person.masked_id_number),   # R-AUTH-6
        (gettext_lazy("本周"), 10, lambda m: _("计入") if counted(m) else _("免计（已转出）")),
        (gettext_lazy("说明"), 44, lambda m: "" if counted(m) else _("%(at)s 转至 %(to)s") % {
            "at": exact(m.ended_at), "to": m.moved_to or ""}),
    ]


SUMMARY_COLUMNS = [
    (gettext_lazy("上级组织"), 30, lambda b: b.parent.full_name if b.parent_id else ""),
    (gettext_lazy("团支部"), 34, lambda b: b.full_name),
    (gettext_lazy("应学人数"), 10, lambda b: b.counted),
    (gettext_lazy("免计人数（本周已转出）"), 22, lambda b: b.exempt),
]


@require_http_methods(["GET", "POST"])
@admin_required
def roster_export(request, acting):
    """At once when short, else a job (issue 14): the summary sheet, then the names (reports/exporting.py)."""
    return export_or_queue(request, acting, "roster", {"week": _week(request).iso})
