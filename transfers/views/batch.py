"""Batch transfer (批量接转, R-TR-9): pick a subordinate branch, tick up to 30 members, a target branch and a
reason; a pre-check shows per person whether they can move and why not; confirming moves them at once."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from access.acting import admin_required
from members.selectors.people import members_of

from ..forms import BatchForm
from ..models import Reason
from ..rules import check_reason
from ..selectors import branches_below
from ..services import batch_transfer
from ..services.batch import BATCH_TYPES, precheck
from .common import add_service_errors, consume_token, issue_token, refuse_double_submit, shows_refusals
from .desk import _int


@shows_refusals
@admin_required
def batch(request, acting):
    if acting.org_type not in BATCH_TYPES:  # the service says the same, and audits it, if posted anyway
        raise PermissionDenied(_("批量接转由团委、团工委或团总支的管理员办理。"))
    branches = branches_below(acting)
    picked = _int(request.GET.get("from_branch"))
    from_branch = get_object_or_404(branches, pk=picked) if picked else None
    context = {"acting": acting, "branches": branches, "from_branch": from_branch, "idem": issue_token(request)}
    if from_branch is None:
        return render(request, "transfers/batch.html", context)
    form = BatchForm(request.POST or None, members=members_of(from_branch), targets=branches.exclude(pk=from_branch.pk))
    context["form"] = form
    stage = request.POST.get("stage")
    if stage == "confirm" and not consume_token(request, f"batch:{from_branch.pk}"):
        return refuse_double_submit(request, request.get_full_path())
    if stage in ("precheck", "confirm") and form.is_valid():
        data = form.cleaned_data
        people = list(data["members"])
        try:
            if stage == "confirm":
                done = batch_transfer(actor=request.user, acting_org=acting, from_branch=from_branch, members=people,
                                      to_branch=data["to_branch"], reason=data["reason"], note=data["note"])
                messages.success(request, _("已将 %(n)d 名团员从%(a)s转入%(b)s。") % {
                    "n": len(done), "a": from_branch.full_name, "b": data["to_branch"].full_name})
                return redirect("transfers:history")
            check_reason(data["reason"], data["note"])  # R-TR-13 before the pre-check, not after it
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            why = precheck(acting_org=acting, from_branch=from_branch, members=people, to_branch=data["to_branch"])
            rows = [(person, why[person.pk]) for person in people]
            context.update(rows=rows, movable=[p for p, reason in rows if not reason],
                           blocked=sum(1 for _p, reason in rows if reason), data=data,
                           reason_label=Reason(data["reason"]).label)
            return render(request, "transfers/batch_precheck.html", context)
    return render(request, "transfers/batch.html", context)
