"""Excel bulk entry pages (issue 5): pick and download a template, upload, watch the check, read every
problem at once (or download the file with the bad cells marked), confirm, see the result.

The check, the import (of any size) and the marked file are tasks (issue 14, config/tasks.py); the job's state
is in the database (ImportJob), so the page polls it and survives a reload. Writes go through
members/importing/jobs.py, whose tasks call import_workbook: the rules and the permission check are the ones
single entry uses."""
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from access.acting import admin_required

from ..exporting.workbook import xlsx_response
from ..importing import KINDS, build_template
from ..importing import reader as limits
from ..importing.columns import COLUMNS
from ..importing.jobs import INTERRUPTED, RUNNING, confirm_job, is_stale, retry_job, start_job
from ..models import ImportJob

RECENT_JOBS = 10
TEMPLATE_NAMES = {"own_cadres": "own-cadres", "branch_members": "branch-members"}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("模板类型"), choices=[(k, gettext_lazy(v)) for k, v in KINDS.items()],
                             widget=forms.RadioSelect,
                             error_messages={"required": gettext_lazy("请选择模板类型。")})
    file = forms.FileField(label=gettext_lazy("填好的表格（.xlsx）"),
                           error_messages={"required": gettext_lazy("请选择要上传的文件。"),
                                           "empty": gettext_lazy("文件是空的。")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() != ".xlsx":
            raise ValidationError(_("只能上传 .xlsx 文件。请用模板填写后另存为 Excel 工作簿（.xlsx）；"
                                    ".xls、.csv、WPS 的 .et 文件不能直接上传。"), code="file_invalid")
        if upload.size > limits.MAX_BYTES:
            raise ValidationError(_("文件超过 10 MB，请分成几个文件上传。"), code="file_too_large")
        return upload


def _own_job(request, pk: int, *, with_content: bool = False) -> ImportJob:
    """Only the person who uploaded a file sees its job; anyone else gets 404."""
    jobs = ImportJob.objects.filter(actor=request.user).select_related("acting_org")
    if not with_content:
        jobs = jobs.defer("file_content", "marked_content")
    return get_object_or_404(jobs, pk=pk)


def _start_page(request, acting, form, status=200):
    jobs = (ImportJob.objects.filter(actor=request.user).defer("file_content", "marked_content", "errors")
            .annotate(has_errors=ExpressionWrapper(~Q(errors=[]), output_field=BooleanField()))
            .order_by("-created_at")[:RECENT_JOBS])
    return render(request, "imports/start.html", {
        "form": form, "jobs": jobs, "max_rows": limits.MAX_ROWS,
        "kinds": [{"kind": k, "label": _(label), "required": [c.header for c in COLUMNS[k] if c.required]}
                  for k, label in KINDS.items()],
    }, status=status)


@admin_required
def start(request, acting):
    """GET: the two templates and the upload form. POST: keep the file as a job; a task checks it."""
    if request.method != "POST":
        return _start_page(request, acting, UploadForm(initial={"kind": request.GET.get("kind", "")}))
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _start_page(request, acting, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        job = start_job(actor=request.user, acting_org=acting, kind=form.cleaned_data["kind"],
                        file_name=PurePath(upload.name).name, content=upload.read())
    except ValidationError as exc:
        form.add_error("kind", exc)
        return _start_page(request, acting, form, status=400)
    return redirect("imports:job", job.pk)


@admin_required
def template(request, acting, kind):
    if kind not in KINDS:
        raise Http404
    # The file's name in the page's language, as its instruction sheet (issue 15).
    name = _("%(kind)s模板") % {"kind": _(KINDS[kind])}
    return xlsx_response(build_template(kind), f"{name}.xlsx", f"tuanji-{TEMPLATE_NAMES[kind]}-template.xlsx")


def _error_summary(job: ImportJob) -> dict:
    """Problems sorted by row (stable: a row's problems keep the columns' order), ready to print."""
    row_label = _("第 %(row)d 行")
    errors = [{"row": row, "where": row_label % {"row": row} if row else "—", "header": header or "—",
               "code": code, "message": message}
              for row, header, code, message in sorted(job.errors, key=lambda e: e[0])]
    return {"errors": errors, "error_count": len(errors), "error_rows": len({e["row"] for e in errors if e["row"]})}


@admin_required
def job_page(request, acting, pk):
    """The job's state; htmx polls it every second while it runs (the partial alone)."""
    job = _own_job(request, pk)
    job.has_errors = bool(job.errors)
    stale = is_stale(job)
    context = {"job": job, "running": job.status in RUNNING and not stale, "stale": stale,
               "interrupted": stale or (job.status == ImportJob.Status.FAILED and job.errors[:1]
                                        and job.errors[0][2] in INTERRUPTED),
               "marking": job.status == ImportJob.Status.CHECKED and job.marked == ImportJob.Marked.BUILDING,
               "kind_label": _(KINDS.get(job.kind, job.kind)), "form": UploadForm(initial={"kind": job.kind}),
               "max_rows": limits.MAX_ROWS, **_error_summary(job)}
    if request.headers.get("HX-Request"):
        return render(request, "imports/_job.html", context)
    return render(request, "imports/job.html", context)


@require_POST
@admin_required
def confirm(request, acting, pk):
    job = _own_job(request, pk)
    try:
        job = confirm_job(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:job", job.pk)
    job.refresh_from_db(fields=["status", "errors"])  # a task run at once (tests, ImmediateBackend) has ended it
    denied = [e for e in job.errors if e[2] == "permission_denied"]
    if denied:
        raise PermissionDenied(denied[0][3])  # import_workbook refused (and audited) it
    return redirect("imports:job", job.pk)


@require_POST
@admin_required
def retry(request, acting, pk):
    """Run an interrupted job again (its task lost the database, or its worker was killed): the file is still there."""
    job = _own_job(request, pk)
    try:
        retry_job(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("imports:job", job.pk)


@admin_required
def marked(request, acting, pk):
    """The file with its bad cells marked, once the task has built it (the job page links it when it is ready)."""
    job = get_object_or_404(ImportJob.objects.filter(actor=request.user).defer("file_content"), pk=pk)
    if job.status != ImportJob.Status.CHECKED or job.marked != ImportJob.Marked.READY:
        raise Http404
    stem = PurePath(job.file_name).stem or "import"
    return xlsx_response(bytes(job.marked_content), f"{stem}-问题标注.xlsx", f"import-{job.pk}-marked.xlsx")
