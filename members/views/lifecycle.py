"""The league life-cycle pages (issue 6 item 5): members turning 28 (listed 90 days ahead), the 28-and-over
list with bulk 离团, a person's 团籍 page (leave, restore), the superior's approvals and the people who left.

Every page acts as the chosen organization (R-AUTH-1) and looks rows up inside its subtree, so an outsider gets
404; the services check permission themselves (R-AUTH-2), a refusal is the 403 page."""
import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import admin_required
from config.forms import clean_text

from .. import league_age
from ..forms.lifecycle import LEAVING_HELP, LeaveForm, RestoreForm
from ..models import Membership, Person
from ..selectors.lifecycle import (
    aged_out,
    awaiting_approval,
    changes_of,
    left_the_league,
    people_in_scope,
    submitted_by,
    turning_28,
)
from ..selectors.records import enterable_branches
from ..services import (
    approve_status_change,
    change_league_status,
    leave_league_in_bulk,
    reject_status_change,
    restore_member,
)
from ..services.lifecycle import BULK_LIMIT, LEAVING, RESTORABLE
from .people import deny, refusal_page

S = Person.LeagueStatus
PAGE_SIZE = 50


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring(request) -> str:
    """The current filters without the page number, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _may_act_on(acting, branch) -> bool:
    """R-AUTH-2 as the acting organization: the branch itself or its direct superior."""
    return acting.pk in (branch.pk, branch.parent_id)


# --- the lists ------------------------------------------------------------------------------------------

@refusal_page
@admin_required
def turning(request, acting):
    today = league_age.today()
    page = _page(request, turning_28(acting, on=today))
    for m in page:
        m.birthday = league_age.birthday(m.person.birth_date)
        m.days_left = (m.birthday - today).days
    return render(request, "lifecycle/turning.html", {
        "page": page, "qs": _querystring(request), "window": league_age.LOOKAHEAD_DAYS,
        "until": today + dt.timedelta(days=league_age.LOOKAHEAD_DAYS),
    })


@refusal_page
@admin_required
def aged(request, acting):
    page = _page(request, aged_out(acting))
    _mark_selectable(acting, page)
    return render(request, "lifecycle/aged.html", {"page": page, "qs": _querystring(request), "limit": BULK_LIMIT})


def _mark_selectable(acting, rows) -> None:
    for m in rows:
        m.birthday = league_age.birthday(m.person.birth_date)
        m.may_act = _may_act_on(acting, m.branch)
        m.selectable = m.may_act and not m.transfer_pending and not m.change_pending


@require_POST
@refusal_page
@admin_required
def aged_leave(request, acting):
    """Bulk 离团 from the list: the first POST shows what will happen, the second (confirm=1) does it."""
    ids = {_int(v) for v in request.POST.getlist("person")} - {None}
    if not ids:
        messages.error(request, _("请先勾选要办理离团的团员。"))
        return redirect("lifecycle:aged")
    if len(ids) > BULK_LIMIT:
        messages.error(request, _("一次最多办理%(n)d人，请分批办理。") % {"n": BULK_LIMIT})
        return redirect("lifecycle:aged")
    rows = list(aged_out(acting).filter(person_id__in=ids))
    if len(rows) != len(ids):
        messages.error(request, _("勾选的人员中有人已不在“年满28周岁”名单中（可能已离团、已转出或已担任职务），请重新勾选。"))
        return redirect("lifecycle:aged")
    _mark_selectable(acting, rows)
    errors = []
    if request.POST.get("confirm") == "1":
        try:
            leave_league_in_bulk(actor=request.user, acting_org=acting, people=[m.person for m in rows])
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("已为 %(n)d 名团员办理离团。") % {"n": len(rows)})
            return redirect("lifecycle:left")
    return render(request, "lifecycle/aged_confirm.html", {"rows": rows, "errors": errors,
                                                           "reason": _("年满28周岁，未在团内担任职务，按团章办理离团")})


@refusal_page
@admin_required
def left(request, acting):
    status = request.GET.get("status", "")
    status = status if status in LEAVING else ""
    restorable = request.GET.get("restorable", "") == "1"
    page = _page(request, left_the_league(acting, status=status, restorable=restorable))
    for change in page:
        change.restorable = change.to_status in RESTORABLE
    return render(request, "lifecycle/left.html", {
        "page": page, "qs": _querystring(request), "status": status, "restorable": restorable,
        "statuses": [(s.value, s.label) for s in LEAVING], "filtered": bool(status or restorable),
    })


@refusal_page
@admin_required
def approvals(request, acting):
    """团章: 开除团籍 and its restoration, waiting for the acting organization as the branch's direct superior."""
    return render(request, "lifecycle/approvals.html", {
        "page": _page(request, awaiting_approval(acting)), "qs": _querystring(request),
        "submitted": list(submitted_by(acting)[:50]),
    })


@require_POST
@refusal_page
@admin_required
def approve(request, acting, pk):
    change = get_object_or_404(awaiting_approval(acting), pk=pk)
    try:
        approve_status_change(actor=request.user, change=change, reason=clean_text(request.POST.get("note", "")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已批准：%(name)s %(status)s。") % {
            "name": change.person.name,
            "status": _("恢复团籍") if change.is_restoration else change.get_to_status_display()})
    return redirect("lifecycle:approvals")


@require_POST
@refusal_page
@admin_required
def reject(request, acting, pk):
    change = get_object_or_404(awaiting_approval(acting), pk=pk)
    try:
        reject_status_change(actor=request.user, change=change, reason=clean_text(request.POST.get("reason", "")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已不予批准，办理的组织会看到理由。"))
    return redirect("lifecycle:approvals")


# --- one person -----------------------------------------------------------------------------------------

def _current(person) -> Membership | None:
    return Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()


def _leave_allowed(request, acting, person, membership) -> bool:
    return (membership is not None and person.pk != request.user.pk and person.league_status == S.NORMAL
            and _may_act_on(acting, membership.branch))


def _restore_branches(request, acting, person, membership):
    if membership is not None or person.league_status not in RESTORABLE or person.pk == request.user.pk:
        return None
    return enterable_branches(request.user, acting)


@refusal_page
@admin_required
def person(request, acting, pk):
    person = get_object_or_404(people_in_scope(acting), pk=pk)
    membership = _current(person)
    allowed = _leave_allowed(request, acting, person, membership)
    if request.method == "POST" and not allowed:
        deny(request, action="league.change", target=person, acting=acting,
             message=_("只有此人所在团支部或其直接上级组织的管理员可以办理团籍变动。"))
    form = LeaveForm(request.POST or None, initial={"effective_on": league_age.today()}) if allowed else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = change_league_status(actor=request.user, person=person, to_status=data["to_status"],
                                          reason=data["reason"], effective_on=data["effective_on"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            if change.status == change.Status.PENDING:
                messages.success(request, _("已报上级组织审批，批准后生效。"))
            else:
                messages.success(request, _("已办理：%(status)s。") % {"status": change.get_to_status_display()})
            return redirect("lifecycle:person", pk=person.pk)
    return _person_page(request, acting, person, membership, leave_form=form)


@require_POST
@refusal_page
@admin_required
def restore(request, acting, pk):
    person = get_object_or_404(people_in_scope(acting), pk=pk)
    membership = _current(person)
    branches = _restore_branches(request, acting, person, membership)
    if branches is None:
        deny(request, action="league.restore", target=person, acting=acting,
             message=_("此人不能在这里恢复团籍。"))
    form = RestoreForm(request.POST, branches=branches)
    if form.is_valid():
        try:
            change = restore_member(actor=request.user, person=person, branch=form.cleaned_data["branch"],
                                    reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            if change.status == change.Status.PENDING:
                messages.success(request, _("已报上级组织审批，批准后恢复团籍。"))
            else:
                messages.success(request, _("已恢复团籍，组织关系在“%(branch)s”。") % {"branch": change.branch.full_name})
            return redirect("lifecycle:person", pk=person.pk)
    return _person_page(request, acting, person, membership, restore_form=form)


def _person_page(request, acting, person, membership, *, leave_form=None, restore_form=None):
    if restore_form is None:
        branches = _restore_branches(request, acting, person, membership)
        if branches is not None:
            restore_form = RestoreForm(branches=branches, initial={"branch": acting.pk if acting.is_branch else None})
    changes = list(changes_of(person))
    return render(request, "lifecycle/person.html", {
        "person": person, "membership": membership, "changes": changes, "leave_form": leave_form,
        "restore_form": restore_form, "pending": next((c for c in changes if c.status == c.Status.PENDING), None),
        "birthday": league_age.birthday(person.birth_date) if person.birth_date else None,
        "leaving_help": [(s.label, LEAVING_HELP[s]) for s in LEAVING],
    })
