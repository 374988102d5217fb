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
from ..idnumber import normalize_id_number
from ..importing import KINDS, build_template
from ..importing import reader as limits
from ..importing.columns import COLUMNS
from ..importing.jobs import INTERRUPTED, RUNNING, confirm_job, is_stale, retry_job, start_job
from ..importing.reader import read_row, text
from ..models import ImportJob
from ..selectors.age_exceptions import fileable_branches
from ..selectors.people import person_by_id_number
from .age_exceptions import AGE_EXCEPTION_CARRY
from .editing import TRANSFER_IN_CARRY

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


# Issue 15: a file with thousands of problems printed every one (3,741 rows: a page 256,000 px tall on a phone).
# The page shows how many of each kind, the first rows, and the marked workbook for the rest.
ERRORS_SHOWN = 100
ERROR_KINDS = {
    "required": gettext_lazy("必填项未填写"),
    "id_number_invalid": gettext_lazy("身份证号不正确"),
    "id_registered": gettext_lazy("身份证号已登记或重复"),
    "name_mismatch": gettext_lazy("姓名与登记的不一致"),
    "invalid_name": gettext_lazy("姓名不正确"),
    "join_age": gettext_lazy("不符合入团年龄规定"),
    "date_invalid": gettext_lazy("日期格式不正确"),
    "dev_number_required": gettext_lazy("缺少发展团员编号"),
    "dev_number_format": gettext_lazy("发展团员编号格式不正确"),
    "dev_number_year": gettext_lazy("发展团员编号与入团年份不符"),
    "dev_number_segment": gettext_lazy("发展团员编号不在号段内"),
    "dev_number_taken": gettext_lazy("发展团员编号重复或已被使用"),
    "phone_invalid": gettext_lazy("手机号码不正确"),
    "email_invalid": gettext_lazy("电子邮箱不正确"),
    "choice_invalid": gettext_lazy("不是列表中的选项"),
    "title_invalid": gettext_lazy("职务不是标准职务"),
    "not_in_subtree": gettext_lazy("所在团支部不对"),
    "too_long": gettext_lazy("内容过长"),
}


def _error_summary(job: ImportJob) -> dict:
    """Problems sorted by row (stable: a row's problems keep the columns' order): the first ERRORS_SHOWN ready to
    print, and a count per kind of problem (with the columns it touches) for all of them."""
    ordered = sorted(job.errors, key=lambda e: e[0])
    row_label = _("第 %(row)d 行")
    errors = [{"row": row, "where": row_label % {"row": row} if row else "—", "header": header or "—",
               "code": code, "message": message}
              for row, header, code, message in ordered[:ERRORS_SHOWN]]
    kinds: dict[str, dict] = {}
    for _row, header, code, message in ordered:
        kind = kinds.setdefault(code, {"code": code, "count": 0, "headers": [],
                                       "label": ERROR_KINDS.get(code) or message})
        kind["count"] += 1
        if header and header not in kind["headers"]:
            kind["headers"].append(header)
    return {"errors": errors, "error_count": len(ordered), "error_rows": len({e[0] for e in ordered if e[0]}),
            "error_kinds": sorted(kinds.values(), key=lambda k: -k["count"]),
            "errors_hidden": max(len(ordered) - ERRORS_SHOWN, 0)}


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


@require_POST
@admin_required
def transfer_in_row(request, acting, pk):
    """R-ENT-6 from the problem list (issue 15): a row whose ID number is on record goes to the transfer-in page
    with its name and ID number, carried in the session (never in an address, R-AUTH-6)."""
    job = _own_job(request, pk, with_content=True)
    try:
        row_number = int(request.POST.get("row", ""))
    except ValueError:
        raise Http404 from None
    flagged = any(r == row_number and code == "id_registered" for r, _h, code, _m in job.errors)
    raw = read_row(bytes(job.file_content), job.kind, row_number) if flagged and job.file_content else None
    id_number = normalize_id_number(text(raw.get("id_number"))) if raw else ""
    if not id_number or person_by_id_number(id_number) is None:
        messages.error(request, _("第 %(row)d 行的身份证号没有在系统中登记（可能是与本文件其他行重复），不能办理转入。")
                       % {"row": row_number})
        return redirect("imports:job", job.pk)
    request.session[TRANSFER_IN_CARRY] = {"name": text(raw.get("name")), "id_number": id_number}
    return redirect("transfers:transfer_in")


def _date_text(value) -> str:
    if hasattr(value, "isoformat"):
        return (value.date() if hasattr(value, "date") else value).isoformat()
    return text(value)


@require_POST
@admin_required
def age_exception_row(request, acting, pk):
    """R-ENT-11 from the problem list: a row that R-ENT-2 refuses goes to the age-exception request with its data
    (name, ID number, joining date, development number, phone, branch), carried in the session (R-AUTH-6)."""
    job = _own_job(request, pk, with_content=True)
    try:
        row_number = int(request.POST.get("row", ""))
    except ValueError:
        raise Http404 from None
    flagged = any(r == row_number and code == "join_age" for r, _h, code, _m in job.errors)
    raw = read_row(bytes(job.file_content), job.kind, row_number) if flagged and job.file_content else None
    if not raw:
        raise Http404
    branch = fileable_branches(acting).filter(full_name=text(raw.get("branch"))).values_list("pk", flat=True).first()
    request.session[AGE_EXCEPTION_CARRY] = {
        "branch": branch or "", "name": text(raw.get("name")), "id_number": normalize_id_number(text(raw.get("id_number"))),
        "phone": text(raw.get("phone")), "joined_on": _date_text(raw.get("joined_on")),
        "development_number": text(raw.get("development_number"))}
    return redirect("age_exceptions:file")


@admin_required
def marked(request, acting, pk):
    """The file with its bad cells marked, once the task has built it (the job page links it when it is ready)."""
    job = get_object_or_404(ImportJob.objects.filter(actor=request.user).defer("file_content"), pk=pk)
    if job.status != ImportJob.Status.CHECKED or job.marked != ImportJob.Marked.READY:
        raise Http404
    stem = PurePath(job.file_name).stem or "import"
    return xlsx_response(bytes(job.marked_content), f"{stem}-问题标注.xlsx", f"import-{job.pk}-marked.xlsx")
