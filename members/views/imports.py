"""Excel bulk entry pages (issue 5): pick and download a template, upload, watch the check, read every
problem at once (or download the file with the bad cells marked), confirm, see the result.

The check and large imports run in a worker thread; the job's state is in the database (ImportJob), so
the page polls it and survives a reload. Writes go through members/importing/jobs.py, whose workers call
import_workbook: the rules and the permission check are the ones single entry uses."""
import io
import threading
import warnings
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from access.acting import admin_required

from ..importing import KINDS, build_template
from ..importing import reader as limits
from ..importing.columns import COLUMNS
from ..importing.jobs import RUNNING, confirm_job, is_stale, run_check, run_import, start_job
from ..importing.reader import HEADER_SCAN, header_key
from ..models import ImportJob
from .exports import xlsx_response

SYNC_ROWS = 1000   # a confirmed file this small is imported within the request; larger ones in a worker
RECENT_JOBS = 10
TEMPLATE_NAMES = {"own_cadres": "own-cadres", "branch_members": "branch-members"}


def start_worker(target, *args) -> None:
    """Run target(*args) in a daemon thread with its own database connection, closed at the end.
    Tests replace this with a direct call (SQLite in memory is not shared between threads)."""

    def run():
        try:
            target(*args)
        finally:
            connections.close_all()

    threading.Thread(target=run, daemon=True, name=f"import-{target.__name__}").start()


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
        jobs = jobs.defer("file_content")
    return get_object_or_404(jobs, pk=pk)


def _start_page(request, acting, form, status=200):
    jobs = (ImportJob.objects.filter(actor=request.user).defer("file_content", "errors")
            .annotate(has_errors=ExpressionWrapper(~Q(errors=[]), output_field=BooleanField()))
            .order_by("-created_at")[:RECENT_JOBS])
    return render(request, "imports/start.html", {
        "form": form, "jobs": jobs, "max_rows": limits.MAX_ROWS,
        "kinds": [{"kind": k, "label": _(label), "required": [c.header for c in COLUMNS[k] if c.required]}
                  for k, label in KINDS.items()],
    }, status=status)


@admin_required
def start(request, acting):
    """GET: the two templates and the upload form. POST: keep the file as a job and check it in a worker."""
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
    start_worker(run_check, job.pk)
    return redirect("imports:job", job.pk)


@admin_required
def template(request, acting, kind):
    if kind not in KINDS:
        raise Http404
    return xlsx_response(build_template(kind), f"{KINDS[kind]}模板.xlsx", f"tuanji-{TEMPLATE_NAMES[kind]}-template.xlsx")


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
    context = {"job": job, "running": job.status in RUNNING and not is_stale(job), "stale": is_stale(job),
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
    if job.rows_total <= SYNC_ROWS:
        run_import(job.pk)
        job.refresh_from_db(fields=["status", "errors"])
        denied = [e for e in job.errors if e[2] == "permission_denied"]
        if denied:
            raise PermissionDenied(denied[0][3])  # import_workbook refused (and audited) it
    else:
        start_worker(run_import, job.pk)
    return redirect("imports:job", job.pk)


# --- the uploaded file with its bad cells marked --------------------------------------------------------

MARK_FILL_COLOR = "FFC7CE"


def _data_sheet(wb):
    """The sheet and header row import_workbook read: the first visible sheet with 姓名 and 身份证号 in one of
    its first rows. Returns (sheet, header row number, {header key: column number})."""
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN):
            keys = {header_key(c.value): c.column for c in row if c.value is not None}
            if "姓名" in keys and "身份证号" in keys:
                return ws, row[0].row, keys
    return None, 0, {}


def mark_workbook(content: bytes, errors: list) -> bytes:
    """The same workbook, each bad cell filled red with a comment giving the problem(s)."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # WPS extensions openpyxl does not know are dropped, not fatal
        wb = load_workbook(io.BytesIO(content))  # defusedxml is installed: no entity is expanded
    ws, _header_row, columns = _data_sheet(wb)
    if ws is None:
        raise ValidationError(_("没有找到表头，无法标注。"), code="header_missing")
    fallback = columns.get("姓名")
    by_cell: dict[tuple[int, int], list[str]] = {}
    for row, header, _code, message in errors:
        if row <= 0:
            continue
        column = columns.get(header_key(header))
        if column is None:  # a problem of the row, or of a column the file lacks: on the row's 姓名 cell
            column, message = fallback, (f"{header}：{message}" if header else message)
        by_cell.setdefault((row, column), []).append(message)
    fill = PatternFill("solid", fgColor=MARK_FILL_COLOR)
    for (row, column), lines in by_cell.items():
        cell = ws.cell(row=row, column=column)
        cell.fill = fill
        comment = Comment("\n".join(lines), "团籍")
        comment.width, comment.height = 320, 40 + 36 * len(lines)
        cell.comment = comment
    for sheet in wb.worksheets:  # one selected tab: several would open as a group in Excel
        sheet.sheet_view.tabSelected = sheet is ws
    wb.active = wb.worksheets.index(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@admin_required
def marked(request, acting, pk):
    job = _own_job(request, pk, with_content=True)
    if job.status != ImportJob.Status.CHECKED or not job.errors:
        raise Http404
    try:
        content = mark_workbook(bytes(job.file_content), job.errors)
    except Exception:  # noqa: BLE001 — a file openpyxl cannot reopen still has its list of problems on the page
        messages.error(request, _("无法在这个文件上标注问题，请按页面上的列表逐条修改。"))
        return redirect("imports:job", job.pk)
    stem = PurePath(job.file_name).stem or "import"
    return xlsx_response(content, f"{stem}-问题标注.xlsx", f"import-{job.pk}-marked.xlsx")
