from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import admin_required, page_after_switch, switch_to, verified_required
from access.permissions import may_change_in
from access.selectors import cadres_of
from config.forms import search_text
from members.selectors.people import members_of
from orgs.models import Organization
from orgs.selectors import ancestors, search_within, subtree
from orgs.services import create_org

from ..forms.orgs import OrgCreateForm


def _in_scope(acting, pk) -> Organization:
    """An organization of the acting organization's subtree, or 404: outsiders never see others' data."""
    return get_object_or_404(subtree(acting), pk=pk)


def _with_counts(qs):
    return qs.annotate(
        n_children=Count("children", filter=Q(children__is_active=True), distinct=True),
        n_members=Count("memberships", filter=Q(memberships__ended_at__isnull=True), distinct=True),
    )


@admin_required
def tree(request, acting):
    query = search_text(request.GET)  # STYLE 11: cleaned at the edge
    matches = list(search_within(acting, query)) if query else None
    nodes = list(_with_counts(Organization.objects.filter(pk=acting.pk)))
    return render(request, "orgs/tree.html", {"root": nodes[0], "query": query, "matches": matches})


@admin_required
def tree_children(request, acting, pk):
    org = _in_scope(acting, pk)
    nodes = _with_counts(Organization.objects.filter(parent=org, is_active=True)).order_by("org_type", "full_name")
    return render(request, "orgs/_tree_nodes.html", {"nodes": nodes})


@admin_required
def detail(request, acting, pk):
    org = _in_scope(acting, pk)
    members = Paginator(members_of(org), 50).get_page(request.GET.get("page")) if org.is_branch else None
    kids = _with_counts(Organization.objects.filter(parent=org, is_active=True)).order_by("org_type", "full_name")
    return render(request, "orgs/detail.html", {
        "org": org,
        "trail": [a for a in ancestors(org, include_self=False) if a.path.startswith(acting.path)],
        "cadres": cadres_of(org),
        "members": members,
        "kids": kids,
        "can_create": may_change_in(request.user, org) and not org.is_branch,
    })


@admin_required
def create(request, acting, pk):
    parent = _in_scope(acting, pk)
    if not may_change_in(request.user, parent):
        raise PermissionDenied(_("只有本组织或其直接上级的管理员可以在此创建下级组织。"))
    form = OrgCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            org = create_org(actor=request.user, parent=parent, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已创建“%(name)s”。") % {"name": org.full_name})
            return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/create.html", {"form": form, "parent": parent})


@require_POST
@verified_required
def switch(request):
    try:
        org_id = int(request.POST.get("org", ""))
    except ValueError:
        org_id = 0
    if not switch_to(request, org_id):
        raise PermissionDenied(_("您在该组织没有管理员职务。"))
    messages.success(request, _("已切换组织。"))
    return redirect(page_after_switch(request, request.POST.get("next", "")))
