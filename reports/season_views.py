"""Pages of the graduation season (R-TR-14): the graduates of the acting subtree against 30 June, their
export and the reminder; marking branches and flagging members. Thin views: reads come from
reports/graduation.py, writes go through reports/services.py. Another organization's branch is a 404."""
import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.acting import admin_required
from config.forms import search_text
from members.models import Membership
from members.views.exports import export_or_queue
from orgs.models import Organization, OrgType
from orgs.selectors import subtree
from transfers.templatetags.transfer_tags import exact

from .graduation import (
    SHANGHAI,
    State,
    default_year,
    graduates,
    parse_year,
    reason_counts,
    season_list,
    years_marked,
)
from .models import BranchGraduation, GraduateFlag
from .season_forms import ExpectedForm, FlagForm
from .services import clear_graduation, flag_graduate, send_graduation_reminders, set_graduation, unflag_graduate

PER_PAGE = 50
BRANCH_PAGE = 100
REASONS_MAX_BRANCHES = 300   # issue 18: the count by reason is live; above this many graduating branches, not shown
MARKS_PAGE = 20   # the season page's list of graduating branches: a page, with a search (issue 13)
# The bar under the figures: completed on time, late, pending, kept at school, not started.
BAR = [(State.DONE_ON_TIME, "ok"), (State.DONE_LATE, "late"), ("pending", "pending"), (State.KEPT, "info"),
       (State.NOT_STARTED, "none")]


STATE_CHOICES = [
    ("not_started", State.LABELS[State.NOT_STARTED]), ("pending", gettext_lazy("办理中（全部）")),
    *[(s, State.LABELS[s]) for s in State.PENDING], ("completed", gettext_lazy("已完成（全部）")),
    *[(s, State.LABELS[s]) for s in State.DONE], (State.KEPT, State.LABELS[State.KEPT]),
    (State.DELAYED, gettext_lazy("延期毕业（不计入）")),
]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _branches(acting):
    return subtree(acting).filter(org_type=OrgType.BRANCH)


def _scoped_branch(acting, pk) -> Organization:
    """A branch of the acting subtree, or a 404: an outsider never learns it exists."""
    return get_object_or_404(_branches(acting), pk=pk)


def _page_url(year, **params) -> str:
    query = {"year": year, **{k: v for k, v in params.items() if v}}
    return f"{reverse('reports:graduation')}?{urlencode(query)}"


def _selection(request, acting):
    """The page's filters, from the URL: year, graduating branch, state, name."""
    year = parse_year(request.GET.get("year")) or default_year()
    branch_id = _int(request.GET.get("branch"))
    branch = _scoped_branch(acting, branch_id) if branch_id else None
    state = request.GET.get("state", "")
    state = state if state in State.LABELS or state in State.GROUPS else ""
    query = search_text(request.GET, max_length=50)  # STYLE 11: cleaned at the edge
    return year, branch, state, query


def _bar(counts) -> list[dict]:
    whole = sum(counts[key] for key, _tone in BAR) or 1
    return [{"key": key, "tone": tone, "n": counts[key], "pct": round(100 * counts[key] / whole, 1)}
            for key, tone in BAR if counts[key]]


@require_GET
@admin_required
def graduation(request, acting):
    """The season page. Nothing on it grows with the subtree (issue 13): the figures are sums of kept counts, the
    graduating branches are a page of 50 with a search, the graduates a page of 50; a graduating branch is chosen
    from the branches' list (a link), not from a menu of every one."""
    year, branch, state, query = _selection(request, acting)
    branch_query = search_text(request.GET, "bq", max_length=50)  # STYLE 11: cleaned at the edge
    every, counts, listed = season_list(acting_org=acting, year=year, branch=branch, state=state, name=query)
    # Issue 18: the graduates by the reason of their transfer, and who has none yet: one grouped query over the
    # graduates, live (not kept), so only for a subtree of at most REASONS_MAX_BRANCHES graduating branches (a
    # school: 0.3-0.5 s at ~200-300 at scale M; the root's 11,194 took 18-20 s, docs/decisions.md).
    chosen = 1 if branch is not None else len(every)
    reasons_too_many = chosen > REASONS_MAX_BRANCHES
    reasons = reason_counts(graduates(acting_org=acting, year=year, branch=branch, name=query,
                                      marks=[m.branch_id for m in every])) if every and not reasons_too_many else []
    page = Paginator(listed, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page)
    for row in rows:
        row.state_label, row.tone = State.LABELS[row.state], State.BADGE[row.state]
    shown = [m for m in every if branch_query in m.full_name] if branch_query else every
    marks = Paginator(shown, MARKS_PAGE).get_page(request.GET.get("bpage"))
    today = timezone.localdate(timezone=SHANGHAI)
    return render(request, "reports/graduation.html", {
        "year": year, "years": sorted(set(years_marked(acting_org=acting)) | {default_year(), year}),
        "branch": branch, "state": state, "query": query, "branch_query": branch_query, "counts": counts,
        "bar": _bar(counts), "page": page, "rows": rows, "marks": marks, "mark_rows": list(marks),
        "has_marks": bool(every), "reasons": reasons, "reasons_too_many": reasons_too_many,
        "state_choices": STATE_CHOICES, "days_left": (dt.date(year, 6, 30) - today).days,
        "days_over": (today - dt.date(year, 6, 30)).days,
        "filtered": bool(branch or state or query),
    })


def _detail(row) -> tuple[str, str, str]:
    """Where the transfer stands, when, and whether it made 30 June: the export's three columns."""
    if row.state in State.PENDING:
        return row.step_org or "", exact(row.step_since) if row.step_since else "", ""
    if row.state in State.DONE:
        return row.done_to or "", exact(row.done_at), _("是") if row.state == State.DONE_ON_TIME else _("否")
    return "", "", ""


GRADUATE_COLUMNS = [
    (gettext_lazy("毕业班团支部"), 34, lambda r: r.grad_branch_name),
    (gettext_lazy("姓名"), 10, lambda r: r.name),
    (gettext_lazy("身份证号"), 22, lambda r: r.masked_id_number),   # R-AUTH-6: first 6 and last 1 only
    (gettext_lazy("状态"), 22, lambda r: State.LABELS[r.state]),
    (gettext_lazy("办理组织 / 转入团支部"), 34, lambda r: _detail(r)[0]),
    (gettext_lazy("时间（北京时间）"), 18, lambda r: _detail(r)[1]),
    (gettext_lazy("6月30日前完成"), 12, lambda r: _detail(r)[2]),
    (gettext_lazy("说明"), 30, lambda r: r.flag_note or ""),
]


@require_http_methods(["GET", "POST"])
@admin_required
def graduation_export(request, acting):
    """At once when short, else a job (issue 14): reports/exporting.py `graduate_rows` under the page's filters."""
    year, branch, state, query = _selection(request, acting)
    return export_or_queue(request, acting, "graduates", {"year": year, "branch_id": branch.pk if branch else None,
                                                          "state": state, "query": query})


@require_POST
@admin_required
def graduation_remind(request, acting):
    year = parse_year(request.POST.get("year")) or default_year()
    branch_id = _int(request.POST.get("branch"))
    branch = _scoped_branch(acting, branch_id) if branch_id else None
    try:
        sent = send_graduation_reminders(actor=request.user, acting_org=acting, year=year, branch=branch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = _("已提醒 %(m)d 名尚未办理的毕业生和 %(a)d 名团支部管理员。") % {"m": sent["members"], "a": sent["admins"]}
        if sent["skipped"]:
            text += _("另有 %(n)d 人在24小时内已提醒过，本次未重复发送。") % {"n": sent["skipped"]}
        messages.success(request, text)
    return redirect(_page_url(year, branch=branch_id, state=State.NOT_STARTED))


@require_http_methods(["GET", "POST"])
@admin_required
def graduation_branches(request, acting):
    """Mark branches of the subtree as graduating: tick them, give the date."""
    year = parse_year(request.GET.get("year")) or default_year()
    form = ExpectedForm(request.POST or None, initial={"expected_on": dt.date(year, 6, 30)})
    picked = {pk for pk in (_int(v) for v in request.POST.getlist("branch")) if pk}
    if request.method == "POST" and form.is_valid():
        chosen = list(_branches(acting).filter(pk__in=picked))
        if len(chosen) != len(picked):
            raise Http404(_("所选团支部不在本组织范围内。"))
        try:
            n = set_graduation(actor=request.user, acting_org=acting, branches=chosen,
                               expected_on=form.cleaned_data["expected_on"])
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            on = form.cleaned_data["expected_on"]
            messages.success(request, _("已将 %(n)d 个团支部的预计毕业时间设为 %(d)s。") % {"n": n, "d": f"{on:%Y-%m-%d}"})
            return redirect(_page_url(on.year))
    query = search_text(request.GET, max_length=50)  # STYLE 11: cleaned at the edge
    qs = _branches(acting).select_related("parent", "graduation").order_by("parent__full_name", "full_name", "pk")
    if query:
        qs = qs.filter(full_name__contains=query)
    page = Paginator(qs, BRANCH_PAGE).get_page(request.GET.get("page"))
    return render(request, "reports/graduation_branches.html", {
        "form": form, "page": page, "rows": list(page), "query": query, "picked": picked, "year": year,
    })


@require_http_methods(["GET", "POST"])
@admin_required
def graduation_branch(request, acting, pk):
    """One branch: its expected graduation, and each member's flag for that year."""
    branch = _scoped_branch(acting, pk)
    mark = BranchGraduation.objects.filter(branch=branch).first()
    year = parse_year(request.GET.get("year")) or (mark.expected_on.year if mark else default_year())
    form = ExpectedForm(initial={"expected_on": mark.expected_on if mark else dt.date(year, 6, 30)})
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            clear_graduation(actor=request.user, acting_org=acting, branch=branch)
            messages.success(request, _("已取消 %(b)s 的毕业班标记。") % {"b": branch.full_name})
            return redirect("reports:graduation_branch", branch.pk)
        form = ExpectedForm(request.POST)
        if form.is_valid():
            try:
                set_graduation(actor=request.user, acting_org=acting, branches=[branch],
                               expected_on=form.cleaned_data["expected_on"])
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, _("已保存预计毕业时间。"))
                return redirect("reports:graduation_branch", branch.pk)
    flags = GraduateFlag.objects.filter(person=OuterRef("person"), year=year)
    members = (Membership.objects.filter(branch=branch, ended_at__isnull=True).select_related("person")
               .annotate(flag_kind=Subquery(flags.values("kind")[:1]), flag_note=Subquery(flags.values("note")[:1]))
               .order_by("person__name", "person_id"))
    page = Paginator(members, BRANCH_PAGE).get_page(request.GET.get("page"))
    return render(request, "reports/graduation_branch.html", {
        "branch": branch, "mark": mark, "year": year, "form": form, "page": page, "rows": list(page),
        "kinds": [("", _("随班毕业"))] + list(GraduateFlag.Kind.choices),
    })


@require_POST
@admin_required
def graduation_flag(request, acting, pk):
    branch = _scoped_branch(acting, pk)
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("没有保存：请重新选择毕业去向，说明不超过200字。"))
        return redirect("reports:graduation_branch", branch.pk)
    data = form.cleaned_data
    membership = get_object_or_404(Membership.objects.select_related("person"), branch=branch,
                                   ended_at__isnull=True, person_id=data["person"])
    person, year = membership.person, data["year"]
    try:
        if data["kind"]:
            flag_graduate(actor=request.user, acting_org=acting, person=person, year=year, kind=data["kind"],
                          note=data["note"])
        else:
            unflag_graduate(actor=request.user, acting_org=acting, person=person, year=year)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        label = GraduateFlag.Kind(data["kind"]).label if data["kind"] else _("随班毕业")
        messages.success(request, _("已将 %(p)s 标记为：%(k)s") % {"p": person.name, "k": label})
    return redirect(f"{reverse('reports:graduation_branch', args=[branch.pk])}?{urlencode({'year': year})}")
