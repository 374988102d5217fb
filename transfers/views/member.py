"""A member's pages (R-TR-1, R-TR-11, R-AUTH-5): apply, my transfers, one transfer's timeline, withdraw."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from access.acting import acting_org, second_factor_detour
from config.forms import search_text
from members.selectors.people import branch_of

from ..forms import REASON_GUIDANCE, ApplyForm
from ..models import ApprovalStep, Reason, TransferRequest
from ..selectors import pending_steps, target_candidates, transfers_of, visible_transfer
from ..services import apply_for_transfer, withdraw
from .common import (
    add_service_errors,
    consume_token,
    issue_token,
    refuse_double_submit,
    shows_refusals,
    target_choices,
    unemployed_groups,
)


def _mine(person):
    # The selector's rows, plus what the timeline names: initiator, the deciding side's superior, acting org.
    return transfers_of(person).select_related("initiated_by", "initiating_org").prefetch_related(
        "steps__org__parent", "steps__acting_org")


@shows_refusals
@login_required
def apply(request):
    branch = branch_of(request.user)
    current = _mine(request.user).filter(status=TransferRequest.Status.PENDING).first()
    form = ApplyForm(request.POST or None)
    if request.method == "POST":
        if not consume_token(request, "apply"):
            return refuse_double_submit(request, "transfers:mine")
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer = apply_for_transfer(member=request.user, to_org=data["target"], reason=data["reason"],
                                              note=data["note"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("申请已提交，等待%(org)s审批。") % {"org": transfer.from_branch.full_name})
                return redirect("transfers:detail", transfer.pk)
    picked, candidates = target_choices(form)
    return render(request, "transfers/apply.html", {
        "form": form, "branch": branch, "current": current, "idem": issue_token(request),
        "guidance": [(value, label, REASON_GUIDANCE[value]) for value, label in form.fields["reason"].choices if value],
        "picked": picked, "candidates": candidates,
    })


@require_GET
@login_required
def org_search(request):
    """htmx: the organizations whose full name contains what was typed, as radios named to_org."""
    query = search_text(request.GET, "q" if "q" in request.GET else "to_org_name", max_length=200)  # STYLE 11
    if request.GET.get("reason") == Reason.UNEMPLOYED:   # issue 18: both kinds of target the FAQ names
        return render(request, "transfers/_org_results.html", {"query": query, "groups": unemployed_groups(query)})
    return render(request, "transfers/_org_results.html", {"query": query, "orgs": list(target_candidates(query))})


@shows_refusals
@login_required
def mine(request):
    transfers = list(_mine(request.user))
    return render(request, "transfers/mine.html", {
        "transfers": transfers, "branch": branch_of(request.user), "idem": issue_token(request),
        "has_pending": any(t.status == TransferRequest.Status.PENDING for t in transfers),
    })


@shows_refusals
@login_required
def detail(request, pk):
    org = acting_org(request)
    transfer = visible_transfer(viewer=request.user, acting_org=org, pk=pk)
    if request.headers.get("HX-Request") == "true":
        # A row of the inbox (or of a list like it) opening its "查看完整流程": the timeline alone, read for that row.
        response = render(request, "transfers/_timeline.html", {"t": transfer})
        patch_vary_headers(response, ["HX-Request"])
        return response
    step = None
    if org is not None and transfer.status == TransferRequest.Status.PENDING:
        step = pending_steps(actor=request.user, acting_org=org).filter(request=transfer).first()
    return render(request, "transfers/detail.html", {
        "t": transfer, "step": step, "idem": issue_token(request),
        "is_assign": step is not None and step.kind == ApprovalStep.Kind.ASSIGN,
    })


@require_POST
@shows_refusals
@login_required
def withdraw_view(request, pk):
    transfer = visible_transfer(viewer=request.user, acting_org=acting_org(request), pk=pk)
    if transfer.member_id != request.user.pk:  # an admin withdrawing a transfer in or out (R-ACC-5)
        detour = second_factor_detour(request)
        if detour is not None:
            return detour
    if not consume_token(request, f"withdraw:{pk}"):
        return refuse_double_submit(request, "transfers:detail", pk)
    try:
        withdraw(actor=request.user, request=transfer)  # R-TR-11: the initiator only, else 403
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已撤回这项转接。"))
    return redirect("transfers:detail", pk)
