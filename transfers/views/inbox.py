"""The approver's desk: the inbox of pending steps (R-TR-8: overdue first), approve, reject with a reason
(R-TR-11), assign a branch (R-TR-4/6), and the escalation list of the superior."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import admin_required
from config.forms import clean_text
from config.paging import KnownCount

from ..forms import AssignForm, RejectForm
from ..models import ApprovalStep
from ..selectors import (
    ROW_JOINED,
    branches_below,
    escalations,
    overdue_cutoff,
    pending_steps,
    row_facts,
    with_timeline,
)
from ..services import approve, assign_branch, reject
from .common import add_service_errors, consume_token, issue_token, next_or, refuse_double_submit, shows_refusals

PER_PAGE = 50


def _rows(qs, request, *, count: int | None = None):
    """A page of steps and its rows, each with what the row shows: a fixed number of queries, each a short plan. Not
    the chain: a row reads it when its "查看完整流程" is opened (the detail page's timeline, htmx). `count`: the
    steps' number when the caller has it (the inbox counts them with its overdue ones)."""
    qs = qs.select_related(*ROW_JOINED)
    paginator = Paginator(qs, PER_PAGE) if count is None else KnownCount(qs, PER_PAGE, count=count)
    page = paginator.get_page(request.GET.get("page"))
    return page, row_facts(list(page))


def _assign_choices(step):
    """R-TR-6 / R-AUTH-4: branches of the target's subtree (itself inside the acting subtree: the step is
    the acting organization's or a direct subordinate's), never the branch the member came from."""
    return branches_below(step.org).exclude(pk=step.request.from_branch_id)


def _scoped_step(request, acting, step_id) -> ApprovalStep:
    # Only what this admin, acting as this organization, may decide; anything else is a 404.
    return get_object_or_404(pending_steps(actor=request.user, acting_org=acting).select_related("request__member", "org"),
                             pk=step_id)


@shows_refusals
@admin_required
def inbox(request, acting):
    steps = pending_steps(actor=request.user, acting_org=acting)
    cutoff = overdue_cutoff()
    # Both figures in one query (the steps' list of organizations is long for a county: ~100 at 1,000,000 members).
    counts = steps.order_by().aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(created_at__lt=cutoff)))
    page, rows = _rows(steps, request, count=counts["total"])
    idem = issue_token(request)
    return render(request, "transfers/inbox.html", {
        "page": page, "rows": rows, "cutoff": cutoff, "idem": idem,
        # One masked CSRF token for the page's many forms: {% csrf_token %} masks it again for each (~0.15 ms a form,
        # three forms a row); a fresh mask for each response is what guards against BREACH. With the idempotency
        # token: both hidden fields of every form of a row, made once.
        "form_hidden": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                                   '<input type="hidden" name="idem" value="{}">', get_token(request), idem),
        "overdue": counts["overdue"], "here": reverse("transfers:inbox"),
        "transfer_waiting": page.paginator.count,   # the navigation's badge: the same count, already made
    })


@require_POST
@shows_refusals
@admin_required
def approve_view(request, acting, step_id):
    back = next_or(request, reverse("transfers:inbox"))
    # The token first: a double click lands on "请勿重复提交", not on a 404 for a step no longer pending.
    if not consume_token(request, f"approve:{step_id}"):
        return refuse_double_submit(request, back)
    step = _scoped_step(request, acting, step_id)
    try:
        approve(actor=request.user, acting_org=acting, step=step, comment=clean_text(request.POST.get("comment", "")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已同意 %(who)s 的%(kind)s。") % {"who": step.request.member.name,
                                                                   "kind": step.get_kind_display()})
    return redirect(back)


@shows_refusals
@admin_required
def reject_view(request, acting, step_id):
    """GET: the step, its chain and the reason form. POST: reject; a refusal re-shows the form."""
    if request.method == "POST" and not consume_token(request, f"reject:{step_id}"):
        return refuse_double_submit(request, "transfers:inbox")
    step = _scoped_step(request, acting, step_id)
    form = RejectForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                reject(actor=request.user, acting_org=acting, step=step, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已退回 %(who)s 的转接申请。") % {"who": step.request.member.name})
                return redirect(next_or(request, reverse("transfers:inbox")))
    return render(request, "transfers/reject.html", {"step": step, "form": form, "idem": issue_token(request),
                                                     "t": with_timeline(step.request_id)})


@shows_refusals
@admin_required
def assign_view(request, acting, step_id):
    if request.method == "POST" and not consume_token(request, f"assign:{step_id}"):
        return refuse_double_submit(request, "transfers:inbox")
    step = _scoped_step(request, acting, step_id)
    form = AssignForm(request.POST or None, branches=_assign_choices(step))
    if request.method == "POST":
        if form.is_valid():
            try:
                transfer = assign_branch(actor=request.user, acting_org=acting, step=step,
                                         branch=form.cleaned_data["branch"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已将 %(who)s 分配到%(branch)s，转接完成。") % {
                    "who": step.request.member.name, "branch": transfer.to_branch.full_name})
                return redirect(next_or(request, reverse("transfers:inbox")))
    if request.headers.get("HX-Request") == "true" and request.method == "GET":
        # The inbox row's "分配团支部…" asks for the form alone: the branches are read for the row that wants them,
        # not for every assign row of the inbox (issue 13); it posts here like the page's form.
        response = render(request, "transfers/_assign_form.html", {
            "step": step, "branches": form.fields["branch"].queryset, "idem": issue_token(request)})
    else:
        response = render(request, "transfers/assign.html", {"step": step, "form": form, "idem": issue_token(request),
                                                             "t": with_timeline(step.request_id)})
    patch_vary_headers(response, ["HX-Request"])
    return response


@shows_refusals
@admin_required
def escalations_view(request, acting):
    page, rows = _rows(escalations(actor=request.user, acting_org=acting), request)
    return render(request, "transfers/escalations.html", {"page": page, "rows": rows, "cutoff": overdue_cutoff()})
