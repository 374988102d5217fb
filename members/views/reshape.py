"""Reshaping the tree (issue 15): rebuilding (改建) an organization into another type. The page is its own
confirmation: what the organization holds (sub-organizations, members, cadres, open transfers to it) and what the
rebuild will do, then the button. Merging branches writes transfers and has its page there (transfers:merge)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from access.acting import admin_required
from access.models import CadrePost
from audit.services import refused
from orgs.rebuilding import may_rebuild, rebuild_targets
from orgs.selectors import subtree

from ..forms.orgs import RebuildForm
from ..services.rebuilding import counts, rebuild_org


@admin_required
def rebuild(request, acting, pk):
    org = get_object_or_404(subtree(acting).select_related("parent"), pk=pk)  # outsiders: 404
    if not may_rebuild(acting, org):  # the service would say the same
        raise refused(request, action="org.rebuild", acting_org=acting, target=org,
                      message=_("只有上级组织的管理员可以改建该组织。"))
    form = RebuildForm(request.POST or None, targets=rebuild_targets(org, org.parent))
    if request.method == "POST" and form.is_valid():
        try:
            rebuilt = rebuild_org(actor=request.user, acting_org=acting, org=org, org_type=form.cleaned_data["org_type"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("已将“%(name)s”改建为%(type)s。") % {
                "name": rebuilt.full_name, "type": rebuilt.get_org_type_display()})
            return redirect("orgs:detail", pk=rebuilt.pk)
    children, members = counts(org)
    return render(request, "orgs/rebuild.html", {
        "org": org, "form": form, "children": children, "members": members,
        "cadres": CadrePost.objects.held().filter(org=org).count(),
        # read through the reverse relation: members sits below transfers and does not import it
        "arriving": org.transfers_in.filter(status="pending").count(),
    })
