"""Merging a branch into a sibling (合并团支部, issue 15): pick the sibling, see what will happen (members, cadres,
open transfers), confirm. Here, not beside the organization pages in members/views, because the merge writes
transfers and members sits below transfers (docs/architecture.md); the organization page links here."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from access.acting import admin_required
from audit.services import refused
from orgs.models import OrgType
from orgs.selectors import subtree

from ..forms import MergeForm
from ..services.merging import may_merge, merge_branch, plan_merge, sibling_branches
from .common import add_service_errors, consume_token, issue_token, refuse_double_submit, shows_refusals


@shows_refusals
@admin_required
def merge(request, acting, pk):
    merged = get_object_or_404(subtree(acting).filter(org_type=OrgType.BRANCH), pk=pk)  # outsiders: 404
    if not may_merge(acting, merged):  # the service would say the same
        raise refused(request, action="org.merge", acting_org=acting, target=merged,
                      message=_("只有管理这两个团支部的上级组织的管理员可以合并团支部。"))
    siblings = sibling_branches(merged)
    form = MergeForm(request.POST or None, siblings=siblings)
    context = {"org": merged, "form": form, "idem": issue_token(request), "has_siblings": siblings.exists()}
    if request.method == "POST" and form.is_valid():
        into = form.cleaned_data["into"]
        if request.POST.get("stage") == "confirm":
            if not consume_token(request, f"merge:{merged.pk}"):
                return refuse_double_submit(request, "transfers:merge", merged.pk)
            try:
                done = merge_branch(actor=request.user, acting_org=acting, merged=merged, into=into)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已将“%(a)s”合并到“%(b)s”，%(n)d 名团员随之转入，原团支部已撤销。") % {
                    "a": merged.full_name, "b": into.full_name, "n": len(done)})
                return redirect("orgs:detail", pk=into.pk)
        context["plan"] = plan_merge(merged=merged, into=into)
    return render(request, "transfers/merge.html", context)
