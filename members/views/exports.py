"""Export of the member and cadre lists to .xlsx (issue 5, item 6; issue 14): the acting organization's subtree,
the list pages' filters, ID numbers masked (R-AUTH-6), text that Excel would run as a formula escaped.
Headers are the templates' where the field is the same, so an export can seed a template.

A list of at most EXPORT_IMMEDIATE_ROWS rows is built in the request, as before; a longer one is offered as an
export job (a button: a GET never starts work), built by a task while its page shows the progress, and downloaded
from that page by its owner only (members/exporting/jobs.py). `export_or_queue` serves every kind (the transfer
history's too), so the two paths always hold the same rows."""
from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from access.acting import admin_required
from access.choices import CADRE_TITLES
from audit.services import record_export
from orgs.models import Organization, OrgType

from ..choices import Verification
from ..exporting.jobs import RUNNING, download, is_stale, start_export
from ..exporting.kinds import KINDS
from ..exporting.workbook import build_export, xlsx_response
from ..forms.list_filters import flag, int_param, list_filters
from ..models import ExportJob

BRANCH_CHOICES_LIMIT = 500


def export_or_queue(request, acting: Organization, kind_name: str, filters: dict):
    """GET: the file at once when the list is short, else the page offering to build it in the background.
    POST (that page's button): an export job with these filters; its page shows the progress."""
    kind = KINDS[kind_name]
    if request.method == "POST":
        try:
            job = start_export(actor=request.user, acting_org=acting, kind=kind_name, filters=filters)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("imports:export")
        return redirect("imports:export_job", job.pk)
    limit = settings.EXPORT_IMMEDIATE_ROWS
    rows = kind.rows(acting, filters)
    first = list(rows[:limit + 1])  # the one list query of a short export
    if len(first) > limit:
        return render(request, "exports/offer.html", {"kind_label": kind.label, "limit": limit,
                                                      "action": request.get_full_path()})
    content, count = build_export(**kind.workbook(acting, filters), rows=islice(first, limit))
    # R-TR-16: every export in the trail, with how many rows and the filters that chose them.
    record_export(actor=request.user, acting_org=acting, what=kind_name, rows=count, **filters)
    return xlsx_response(content, *kind.file_names(acting))


@require_http_methods(["GET", "POST"])
@admin_required
def export_members(request, acting):
    filters = {**list_filters(request), "branch_id": int_param(request.GET.get("branch"))}
    return export_or_queue(request, acting, "members", filters)


@require_http_methods(["GET", "POST"])
@admin_required
def export_cadres(request, acting):
    filters = list_filters(request)
    title = request.GET.get("title", "")
    filters.update(title=title if title in CADRE_TITLES else "", branches=acting.is_branch or flag(request, "branches"))
    return export_or_queue(request, acting, "cadres", filters)


@admin_required
def export_page(request, acting):
    """Both exports with their filters; list pages link straight to the download with their own query."""
    branches = list(Organization.objects.filter(path__startswith=acting.path, org_type=OrgType.BRANCH,
                                                is_active=True).order_by("full_name")
                    .values("pk", "full_name")[:BRANCH_CHOICES_LIMIT])
    jobs = (ExportJob.objects.filter(actor=request.user).defer("content", "filters").order_by("-created_at")[:5])
    return render(request, "imports/export.html", {
        "branches": branches, "titles": CADRE_TITLES, "jobs": jobs, "limit": settings.EXPORT_IMMEDIATE_ROWS,
        "kinds": {name: kind.label for name, kind in KINDS.items()},
        "unverified_choices": [(Verification.PENDING, Verification.PENDING.label),
                               (Verification.FAILED, Verification.FAILED.label)],
    })


def _own_job(request, pk: int) -> ExportJob:
    """Only the person who asked for an export sees its job; anyone else, an admin above included, gets 404."""
    return get_object_or_404(ExportJob.objects.filter(actor=request.user).select_related("acting_org")
                             .defer("content"), pk=pk)


@admin_required
def export_job(request, acting, pk):
    """The job's progress; htmx polls it every second while it runs (the partial alone)."""
    job = _own_job(request, pk)
    stale = is_stale(job)
    kind = KINDS.get(job.kind)
    context = {"job": job, "running": job.status in RUNNING and not stale, "stale": stale,
               "kind_label": kind.label if kind else job.kind}
    if request.headers.get("HX-Request"):
        return render(request, "exports/_job.html", context)
    return render(request, "exports/job.html", context)


@admin_required
def export_download(request, acting, pk):
    job = get_object_or_404(ExportJob.objects.filter(actor=request.user).select_related("acting_org"), pk=pk)
    try:
        content, filename, fallback = download(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:export_job", job.pk)
    return xlsx_response(content, filename, fallback)
