"""The overview pages of the acting organization: completion against the standards (R-CMP-4) and the use of
development-number segments (R-ENT-4a)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from access.acting import admin_required
from orgs.models import Organization
from orgs.selectors import ancestors, subtree

from ..completeness import MIN_BRANCH_PEOPLE, MIN_CADRES, missing_fields, org_figures
from ..forms.list_filters import flag
from ..forms.people import SegmentChangeForm, SegmentForm
from ..models import NumberSegment
from ..selectors.lists import completion_by_child, orgs_behind, people_holding_back, segments_with_use
from ..selectors.records import (
    SMALL_BRANCH,
    current_branches,
    member_counts,
    small_branches,
    with_member_counts,
)
from ..services import allocate_segment, change_segment
from ..services.segments import ALLOCATING_TYPES
from .people import org_in_scope, page_of, querystring, refusal_page

# --- completion (R-CMP-4) -------------------------------------------------------------------------------

@refusal_page
@admin_required
def completion(request, acting, pk=None):
    """How many organizations of the subtree meet their standard, by child, with drill-down (R-CMP-4)."""
    org = acting if pk is None else org_in_scope(acting, pk)
    rows = completion_by_child(org)
    counts = member_counts(r["org"].pk for r in rows if r["org"].is_branch)
    for row in rows:
        row["pct"] = round(100 * row["ok"] / row["total"]) if row["total"] else 0
        row["members"] = counts.get(row["org"].pk, 0) if row["org"].is_branch else None
        row["small"] = row["org"].is_branch and row["members"] < SMALL_BRANCH  # R-ORG-7
    show_small = flag(request, "small")
    listed = small_branches(org) if show_small else with_member_counts(orgs_behind(org))
    total = sum(r["total"] for r in rows) + 1
    ok = sum(r["ok"] for r in rows) + org.meets_standard
    return render(request, "people/completion.html", {
        "org": org, "rows": rows, "page": page_of(request, listed), "show_small": show_small,
        "total": total, "ok": ok, "pct": round(100 * ok / total), "n_small": small_branches(org).count(),
        "trail": _trail(acting, org), "qs": querystring(request), "small_limit": SMALL_BRANCH,
    })


@refusal_page
@admin_required
def completion_org(request, acting, pk):
    """The incomplete people who keep one organization below its standard, each linked to their page."""
    org = org_in_scope(acting, pk)
    people = people_holding_back(org)
    branches = current_branches(p.pk for p in people)
    for person in people:
        person.missing = missing_fields(person, branches.get(person.pk))
    figures = org_figures([org.pk])[org.pk]
    return render(request, "people/completion_org.html", {
        "org": org, "page": page_of(request, people), "figures": figures, "trail": _trail(acting, org),
        "minimum": MIN_BRANCH_PEOPLE if org.is_branch else MIN_CADRES.get(org.org_type, 1),
        "members": member_counts([org.pk]).get(org.pk, 0) if org.is_branch else None,
        "small_limit": SMALL_BRANCH,
    })


def _trail(acting, org) -> list[Organization]:
    return [a for a in ancestors(org, include_self=False) if a.path.startswith(acting.path)]


# --- development-number segments (R-ENT-4a) -------------------------------------------------------------

@refusal_page
@admin_required
def segments(request, acting):
    may_allocate = acting.org_type in ALLOCATING_TYPES
    form = None
    if may_allocate:
        targets = subtree(acting).order_by("depth", "full_name")
        form = SegmentForm(request.POST or None, orgs=targets, initial={"org": acting.pk, "year": timezone.localdate().year})
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有团的领导机关和团委的管理员可以为本级及下级分配号段。"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                segment = allocate_segment(actor=request.user, org=data["org"], year=data["year"],
                                           first=data["first"], last=data["last"])
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(request, _("已为“%(org)s”分配号段 %(a)s–%(b)s。") % {
                    "org": segment.org.full_name, "a": segment.first, "b": segment.last})
                return redirect("people:segments")
    page = page_of(request, segments_with_use(acting))
    for segment in page:
        segment.pct = min(100, round(100 * segment.used / segment.size)) if segment.size else 0
        segment.may_change = form is not None and segment.org_path.startswith(acting.path)  # an ancestor's: no
    return render(request, "people/segments.html", {"page": page, "form": form, "qs": querystring(request)})


@refusal_page
@admin_required
def segment_change(request, acting, pk):
    """Issue 18: change a segment of the acting subtree (the service checks the right, R-ENT-4a); the people it
    concerns are re-checked (R-ENT-5), and the message says how many, or that it goes on in the background."""
    if acting.org_type not in ALLOCATING_TYPES:
        raise PermissionDenied(_("只有团的领导机关和团委的管理员可以为本级及下级分配号段。"))
    segment = get_object_or_404(NumberSegment.objects.select_related("org"), pk=pk, org_path__startswith=acting.path)
    form = SegmentChangeForm(request.POST or None, initial={"first": segment.first, "last": segment.last})
    if request.method == "POST" and form.is_valid():
        try:
            segment = change_segment(actor=request.user, segment=segment, first=form.cleaned_data["first"],
                                     last=form.cleaned_data["last"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("号段已改为 %(a)s–%(b)s；相关团员的发展团员编号已重新检查（人数多时在后台进行）。") % {
                "a": segment.first, "b": segment.last})
            return redirect("people:segments")
    return render(request, "people/segment_change.html", {"form": form, "segment": segment})
