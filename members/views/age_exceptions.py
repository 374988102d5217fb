"""R-ENT-11, the pages of an age-exception request: filing it (from the entry form's or the import's R-ENT-2
refusal, which carry what was typed), the list where the filer sees where each stands, the province's collection
page with its totals, forwarding and the export of the list the FAQ names, and the centre's inbox that enters a
person in one action or returns the request. Every write is one service call (members/services/age_exceptions.py)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.acting import admin_required
from audit.services import record_export

from ..exporting.workbook import build_export, xlsx_response
from ..forms.age_exceptions import REQUEST_FIELDS, AgeExceptionForm, ReturnForm
from ..models import AgeExceptionRequest
from ..selectors.age_exceptions import (
    batch_rows,
    batches_of,
    centre_inbox,
    fileable_branches,
    is_centre,
    is_province,
    requests_within,
    status_counts,
    waiting_at_province,
)
from ..services import (
    enter_from_age_exception,
    file_age_exception,
    forward_age_exceptions,
    refile_age_exception,
    return_age_exception,
    withdraw_age_exception,
)
from .people import deny, refusal_page

PAGE_SIZE = 50
# What the entry form's or the import's refusal carries to the filing page (the import's through the session, so
# that an ID number never stands in an address, R-AUTH-6).
AGE_EXCEPTION_CARRY = "age_exception_carry"
CARRIED = ("branch", "name", "id_number", "phone", "joined_on", "development_number")
Status = AgeExceptionRequest.Status


def _carried(request) -> dict | None:
    if request.method == "POST" and "carry" in request.POST:
        return {name: request.POST.get(name, "") for name in CARRIED}
    if request.method == "GET":
        return request.session.pop(AGE_EXCEPTION_CARRY, None)
    return None


@refusal_page
@admin_required
def file_request(request, acting):
    """申请例外录入: the recruiting branch, or its county-level committee, asks the centre to enter someone R-ENT-2
    refuses. A POST with `carry` comes from a refusal and only fills the form."""
    branches = fileable_branches(acting)
    if not branches.exists():
        deny(request, action="age_exception.file", acting=acting,
             message=_("年龄例外录入申请由发展此人入团的团支部或其县级团委提出：请切换到相应组织。"))
    fixed = acting if acting.is_branch else None
    carried = _carried(request)
    submitting = request.method == "POST" and carried is None
    form = AgeExceptionForm(request.POST if submitting else None, initial=carried or {}, branches=branches,
                            fixed_branch=fixed)
    status = 200
    if submitting and form.is_valid():
        data = form.cleaned_data
        try:
            req = file_age_exception(actor=request.user, acting_org=acting, branch=fixed or data["branch"],
                                     **{name: data[name] for name in REQUEST_FIELDS})
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("已提交 %(name)s 的年龄例外录入申请，等待省级团委汇总报送团中央。") % {"name": req.name})
            return redirect("age_exceptions:detail", req.pk)
    return render(request, "age_exceptions/file.html", {"form": form, "fixed_branch": fixed}, status=status)


@refusal_page
@admin_required
def request_list(request, acting):
    """Where each request of the acting subtree stands (R-AUTH-1): the filer's view of the chain."""
    qs = requests_within(acting)
    counts = status_counts(qs)
    wanted = request.GET.get("status", "")
    if wanted in Status.values:
        qs = qs.filter(status=wanted)
    page = Paginator(qs.order_by("-filed_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "age_exceptions/list.html", {
        "page": page, "counts": [(value, label, counts[value]) for value, label in Status.choices],
        "wanted": wanted, "qs": f"status={wanted}" if wanted else "", "may_file": fileable_branches(acting).exists(),
        "is_province": is_province(acting), "is_centre": is_centre(acting)})


@refusal_page
@admin_required
def detail(request, acting, pk):
    req = get_object_or_404(requests_within(acting).select_related("filed_by", "decided_by", "person"), pk=pk)
    mine = req.filed_as_id == acting.pk
    return render(request, "age_exceptions/detail.html", {
        "req": req, "mine": mine, "may_edit": mine and req.status == Status.RETURNED,
        "may_withdraw": mine and req.status in (Status.FILED, Status.RETURNED),
        "province_may_return": is_province(acting) and req.province_id == acting.pk and req.status == Status.FILED,
        "centre_may_decide": is_centre(acting) and req.status == Status.FORWARDED, "return_form": ReturnForm()})


@refusal_page
@admin_required
def edit(request, acting, pk):
    """A returned request, corrected and filed again (its filer only)."""
    req = get_object_or_404(requests_within(acting), pk=pk)
    if req.filed_as_id != acting.pk:
        deny(request, action="age_exception.refile", target=req, acting=acting,
             message=_("只有提出申请的组织的管理员可以修改或撤回这份申请。"))
    if req.status != Status.RETURNED:
        messages.info(request, _("只有被退回的申请可以修改后重新提交。"))
        return redirect("age_exceptions:detail", req.pk)
    initial = {name: getattr(req, name) for name in REQUEST_FIELDS}
    form = AgeExceptionForm(request.POST or None, initial=initial, fixed_branch=req.branch)
    if request.method == "POST" and form.is_valid():
        try:
            refile_age_exception(actor=request.user, acting_org=acting, age_request=req,
                                 **{name: form.cleaned_data[name] for name in REQUEST_FIELDS})
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("已重新提交，等待省级团委汇总报送。"))
            return redirect("age_exceptions:detail", req.pk)
    return render(request, "age_exceptions/file.html", {"form": form, "fixed_branch": req.branch, "req": req})


def _step(request, call, success: str, pk: int):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("age_exceptions:detail", pk)


@require_POST
@refusal_page
@admin_required
def withdraw(request, acting, pk):
    req = get_object_or_404(requests_within(acting), pk=pk)
    return _step(request, lambda: withdraw_age_exception(actor=request.user, acting_org=acting, age_request=req),
                 _("已撤回申请。"), req.pk)


@require_POST
@refusal_page
@admin_required
def return_request(request, acting, pk):
    req = get_object_or_404(requests_within(acting), pk=pk)
    form = ReturnForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _step(request, lambda: return_age_exception(actor=request.user, acting_org=acting, age_request=req,
                                                       reason=reason), _("已退回申请，并通知了提出申请的组织。"), req.pk)


@require_POST
@refusal_page
@admin_required
def enter(request, acting, pk):
    """The centre's one action: the person entered under R-ENT-3 with the request's explanation."""
    req = get_object_or_404(requests_within(acting), pk=pk)
    try:
        person = enter_from_age_exception(actor=request.user, acting_org=acting, age_request=req)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("age_exceptions:detail", req.pk)
    messages.success(request, _("已统一录入 %(name)s（%(branch)s），此人可用身份证号后8位登录。") % {
        "name": person.name, "branch": req.branch.full_name})
    if request.POST.get("back") == "inbox":
        return redirect("age_exceptions:inbox")
    return redirect("age_exceptions:detail", req.pk)


# --- the province ---------------------------------------------------------------------------------------

def _ensure_province_page(request, acting, action: str) -> None:
    if not is_province(acting):
        deny(request, action=action, acting=acting,
             message=_("汇总报送年龄例外录入申请是省级团委的工作：请切换到省级团委。"))


@refusal_page
@admin_required
def province(request, acting):
    """The province's collection page: what waits for it, with the totals; the batches it forwarded."""
    _ensure_province_page(request, acting, "age_exception.forward")
    waiting = list(waiting_at_province(acting))
    return render(request, "age_exceptions/province.html", {
        "waiting": waiting, "batches": list(batches_of(acting)[:50]), "return_form": ReturnForm()})


@require_POST
@refusal_page
@admin_required
def forward(request, acting):
    _ensure_province_page(request, acting, "age_exception.forward")
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    try:
        batch = forward_age_exceptions(actor=request.user, acting_org=acting, request_ids=ids or None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已报送团中央：%(n)d 人。请下载汇总表留存。") % {"n": batch.size})
    return redirect("age_exceptions:province")


# The FAQ's list, exactly: 总数 (the title row), 团员姓名, 身份证号, 联系方式, 当前所在团组织名称. The headers stay
# Chinese in every language, as every export's do (docs/decisions.md, issue 15); the title follows the page.
EXPORT_COLUMNS = [
    ("序号", 6, lambda r: r[0]),
    ("团员姓名", 12, lambda r: r[1].name),
    ("身份证号", 22, lambda r: r[1].id_number),
    ("联系方式", 14, lambda r: r[1].phone),
    ("当前所在团组织名称", 48, lambda r: r[1].branch.full_name),
]


@refusal_page
@admin_required
def batch_export(request, acting, pk):
    """The batch's list for the centre, with whole ID numbers: the one place they appear (R-AUTH-6), so every
    download is audited (who, when, which batch, how many rows; never the numbers)."""
    if not (is_province(acting) or is_centre(acting)):
        deny(request, action="export.age_exceptions", acting=acting,
             message=_("年龄例外录入申请汇总表只由省级团委和团中央下载。"))
    batch = get_object_or_404(batches_of(acting), pk=pk)
    rows = list(batch_rows(batch))
    title = _("%(province)s 年龄例外录入申请汇总（报送日期 %(day)s，总数 %(n)d 人）") % {
        "province": batch.province.full_name, "day": f"{batch.forwarded_at:%Y-%m-%d}", "n": len(rows)}
    content, count = build_export(title=title, columns=EXPORT_COLUMNS, rows=enumerate(rows, start=1),
                                  sheet=_("汇总表"))
    record_export(actor=request.user, acting_org=acting, what="age_exceptions", rows=count, batch=batch.pk)
    name = _("年龄例外录入申请汇总-%(province)s-%(day)s.xlsx") % {
        "province": batch.province.full_name, "day": f"{batch.forwarded_at:%Y%m%d}"}
    return xlsx_response(content, name, f"age-exceptions-{batch.pk}.xlsx")


# --- the centre -----------------------------------------------------------------------------------------

@refusal_page
@admin_required
def inbox(request, acting):
    """The centre's inbox: the forwarded requests, batch by batch, each entered in one action or returned."""
    if not is_centre(acting):
        deny(request, action="age_exception.enter", acting=acting,
             message=_("年龄例外录入申请由团中央统一录入：请切换到团中央。"))
    page = Paginator(centre_inbox(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "age_exceptions/inbox.html", {
        "page": page, "batches": list(batches_of(acting)[:20]), "return_form": ReturnForm()})
