"""The applications of the acting subtree, per stage with counts (issue 16), and a new application."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from access.acting import admin_required
from orgs.models import OrgType
from transfers.views.common import shows_refusals

from ..forms import ApplyForm, StageFilter
from ..models import Stage
from ..selectors import applications_in, stage_counts
from ..services import apply_to_join
from .errors import attach

PER_PAGE = 50


@require_GET
@shows_refusals
@admin_required
def application_list(request, acting):
    form = StageFilter(request.GET or None)
    stage = form.cleaned_data["stage"] if form.is_valid() else ""
    page = Paginator(applications_in(acting, stage=stage), PER_PAGE).get_page(request.GET.get("page"))
    counts = stage_counts(acting)
    return render(request, "recruitment/list.html", {
        "form": form, "page": page, "rows": list(page), "stage": stage,
        "tabs": [(value, label, counts[value]) for value, label in Stage.choices],
        "open_count": sum(n for s, n in counts.items() if s not in (Stage.MEMBER, Stage.CLOSED)),
        "may_apply": acting.org_type == OrgType.BRANCH,
    })


@require_http_methods(["GET", "POST"])
@shows_refusals
@admin_required
def application_new(request, acting):
    if acting.org_type != OrgType.BRANCH:
        raise PermissionDenied(_("入团申请由团支部录入：请切换到团支部后办理。"))
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = apply_to_join(actor=request.user, branch=acting, **form.cleaned_data)
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, _("已录入入团申请。"))
            return redirect("recruitment:detail", application.pk)
    return render(request, "recruitment/new.html", {"form": form})
