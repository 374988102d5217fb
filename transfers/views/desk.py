"""An admin starts a transfer: transfer in (R-TR-2/4) and transfer out (R-TR-3/5)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import admin_required
from config.forms import search_text
from members.selectors.people import branch_of, member_matches, members_of
from members.views.editing import TRANSFER_IN_CARRY

from ..forms import REASON_GUIDANCE, TransferInForm, TransferOutForm
from ..selectors import direct_branches
from ..services import transfer_in, transfer_out
from ..services.start import ensure_may_transfer, find_member
from .common import add_service_errors, consume_token, issue_token, refuse_double_submit, shows_refusals, target_choices


def _guidance(form):
    return [(value, label, REASON_GUIDANCE[value]) for value, label in form.fields["reason"].choices if value]


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@shows_refusals
@admin_required
def transfer_in_view(request, acting):
    ensure_may_transfer(request.user, acting)  # a leading organ does not transfer (403 that says so)
    # R-ENT-6 (issue 15): an import row's name and ID number, carried here once through the session; the entry
    # forms post theirs straight to this look-up.
    carried = request.session.pop(TRANSFER_IN_CARRY, None) if request.method == "GET" else None
    form = TransferInForm(request.POST or carried or None)
    person = branch = None
    submitting = request.method == "POST" and "submit" in request.POST
    if submitting and not consume_token(request, "transfer_in"):
        return refuse_double_submit(request, "transfers:transfer_in")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            # R-TR-2: the person's current branch is shown only once the name matches the ID number.
            person = find_member(data["id_number"], data["name"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            branch = branch_of(person)
            if submitting:
                try:
                    transfer = transfer_in(actor=request.user, acting_org=acting, id_number=data["id_number"],
                                           name=data["name"], reason=data["reason"], note=data["note"])
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("已提交转入，等待%(org)s审批转出。") % {"org": transfer.from_branch.full_name})
                    return redirect("transfers:detail", transfer.pk)
    return render(request, "transfers/transfer_in.html", {
        "form": form, "person": person, "branch": branch, "acting": acting, "idem": issue_token(request),
        "guidance": _guidance(form),
    })


MEMBER_RESULTS = 20  # the picker's suggestions: a few keystrokes narrow them


def _out_branch(request, acting):
    """The branch whose members are transferred out: the acting branch, or (R-TR-5) a branch directly below the
    acting organization named by ?branch= (404 for any other). Returns (branch or None, the branches offered)."""
    if acting.is_branch:
        return acting, None
    branches = direct_branches(acting)
    picked = _int(request.GET.get("branch"))
    return (get_object_or_404(branches, pk=picked) if picked else None), branches


def _member_results(branch, form) -> dict:
    """What the picker shows under its box: the picked member, else the members matching what was typed (the
    first ones by name when nothing was)."""
    picked = form.cleaned_data.get("member") if form.is_bound and hasattr(form, "cleaned_data") else None
    if picked is not None:
        return {"people": [picked], "checked": picked.pk, "more": False, "query": ""}
    query = search_text(form.data, "member_query", max_length=50) if form.is_bound else ""  # STYLE 11
    found = member_matches(branch, query, limit=MEMBER_RESULTS)
    return {"people": found[:MEMBER_RESULTS], "more": len(found) > MEMBER_RESULTS, "query": query, "checked": None}


@require_POST
@shows_refusals
@admin_required
def member_search(request, acting):
    """htmx: the picker's suggestions as you type (issue 15), as radios named member; ID numbers masked
    (R-AUTH-6). A POST: what was typed, maybe a whole ID number, never stands in an address (and a log)."""
    ensure_may_transfer(request.user, acting)
    branch, _branches = _out_branch(request, acting)
    if branch is None:
        return render(request, "transfers/_member_results.html", {"people": [], "query": ""})
    query = search_text(request.POST, "member_query", max_length=50)  # STYLE 11
    found = member_matches(branch, query, limit=MEMBER_RESULTS)
    return render(request, "transfers/_member_results.html", {
        "people": found[:MEMBER_RESULTS], "more": len(found) > MEMBER_RESULTS, "query": query})


@shows_refusals
@admin_required
def transfer_out_view(request, acting):
    ensure_may_transfer(request.user, acting)
    branch, branches = _out_branch(request, acting)  # R-TR-5: a committee first picks a branch directly below
    form = None
    if branch is not None:
        form = TransferOutForm(request.POST or None, members=members_of(branch))
        if request.method == "POST":
            if not consume_token(request, f"transfer_out:{branch.pk}"):
                return refuse_double_submit(request, request.get_full_path())
            if form.is_valid():
                data = form.cleaned_data
                try:
                    transfer = transfer_out(actor=request.user, acting_org=acting, member=data["member"],
                                            to_org=data["target"], reason=data["reason"], note=data["note"])
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("已提交转出，等待%(org)s审批转入。") % {"org": transfer.to_org.full_name})
                    return redirect("transfers:detail", transfer.pk)
    picked, candidates = target_choices(form)
    return render(request, "transfers/transfer_out.html", {
        "form": form, "branch": branch, "branches": branches, "acting": acting, "idem": issue_token(request),
        "guidance": _guidance(form) if form else [], "picked": picked, "candidates": candidates,
        "members": _member_results(branch, form) if form else None,
    })
