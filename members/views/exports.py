"""Export of the member and cadre lists to .xlsx (issue 5, item 6): the acting organization's subtree,
the list pages' filters, ID numbers masked (R-AUTH-6), text that Excel would run as a formula escaped.
Headers are the templates' where the field is the same, so an export can seed a template."""
import datetime as dt
import io
from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from access.acting import admin_required
from access.choices import CADRE_TITLES
from audit.services import Counted, record_export
from orgs.models import Organization, OrgType
from orgs.regions import PROVINCES

from ..choices import Verification
from ..forms.list_filters import flag, int_param, list_filters
from ..selectors.lists import cadre_list, member_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")   # what Excel or WPS may read as the start of a formula
HEADER_FILL = PatternFill("solid", fgColor="F6F8FA")
BRANCH_CHOICES_LIMIT = 500


def xlsx_response(content: bytes, filename: str, fallback: str) -> HttpResponse:
    """An .xlsx download; the Chinese name in filename* (RFC 6266), an ASCII one for old clients."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def safe(value):
    """A text cell never starts a formula: a leading = + - @ gets a single quote in front (CSV/formula
    injection). Numbers and dates stay typed."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value








def _yes(value: bool) -> str:
    return _("是") if value else _("否")


PERSON_COLUMNS = [
    ("姓名", 10, lambda p: p.name),
    ("身份证号", 22, lambda p: p.masked_id_number),          # R-AUTH-6: first 6 and last 1 only
    ("性别", 6, lambda p: p.get_gender_display()),
    ("出生日期", 12, lambda p: p.birth_date),
    ("入团时间", 12, lambda p: p.joined_on),
    ("发展团员编号", 16, lambda p: p.development_number or ""),
    ("手机号码", 14, lambda p: p.phone),
    ("民族", 10, lambda p: p.ethnicity),
    ("政治面貌", 12, lambda p: p.get_political_status_display()),
    ("全日制学历", 14, lambda p: p.full_time_education),
    ("最高学历", 14, lambda p: p.highest_education),
    ("学习工作单位", 24, lambda p: p.work_unit),
    ("所在地区（省）", 14, lambda p: PROVINCES.get(p.province, p.province)),
    ("所在地区（市）", 14, lambda p: p.city),
    ("职业", 14, lambda p: p.occupation),
    ("电子邮箱", 22, lambda p: p.email),
    ("信息完整", 8, lambda p: _yes(p.is_complete)),
    ("认证状态", 10, lambda p: p.get_verification_status_display()),
    ("发展团员编号问题", 12, lambda p: p.get_dev_number_issue_display()),
]


def _of_person(get):
    return lambda row: get(row.person)


MEMBER_COLUMNS = [("所在团支部全称", 34, lambda m: m.branch.full_name)] + [
    (h, w, _of_person(f)) for h, w, f in PERSON_COLUMNS]
CADRE_COLUMNS = [
    ("所在组织全称", 34, lambda c: c.org.full_name),
    ("职务", 10, lambda c: c.title),
    ("管理员", 8, lambda c: _yes(c.is_admin)),
    ("团干部性质", 10, lambda c: c.get_kind_display()),
] + [(h, w, _of_person(f)) for h, w, f in PERSON_COLUMNS]


def build_export(*, title: str, columns: list, rows) -> bytes:
    """A streaming (write-only) workbook: a title row, the header row, one row per record."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31].replace("/", "-"))
    for i, (_h, width, _f) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    heading = WriteOnlyCell(ws, value=safe(title))
    heading.font = Font(bold=True, size=13)
    ws.append([heading])
    header = []
    for h, _w, _f in columns:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        header.append(cell)
    ws.append(header)
    for row in rows:
        out = []
        for _h, _w, get in columns:
            value = get(row)
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(safe(value if value is None else str(value)))
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _title(kind: str, org: Organization) -> str:
    now = timezone.localtime()
    return _("%(kind)s · %(org)s · 导出于 %(at)s（身份证号仅显示前6位和末位）") % {
        "kind": kind, "org": org.full_name, "at": now.strftime("%Y-%m-%d %H:%M")}


def _download(request, kind: str, fallback: str, org: Organization, columns, rows, filters: dict) -> HttpResponse:
    counted = Counted(rows)
    content = build_export(title=_title(kind, org), columns=columns, rows=counted)
    # R-TR-16: every export in the trail, with how many rows and the filters that chose them.
    record_export(actor=request.user, acting_org=org, what=fallback, rows=counted.count, **filters)
    day = timezone.localdate().isoformat()
    return xlsx_response(content, f"{kind}-{org.display_name}-{day}.xlsx", f"{fallback}-{day}.xlsx")


@admin_required
def export_members(request, acting):
    filters = {**list_filters(request), "branch_id": int_param(request.GET.get("branch"))}
    rows = member_list(acting, **filters)
    return _download(request, _("团员名单"), "members", acting, MEMBER_COLUMNS, rows.iterator(chunk_size=2000), filters)


@admin_required
def export_cadres(request, acting):
    filters = list_filters(request)
    title = request.GET.get("title", "")
    title = title if title in CADRE_TITLES else ""
    branches = acting.is_branch or flag(request, "branches")
    rows = cadre_list(acting, query=filters["query"], incomplete=filters["incomplete"],
                      unverified=filters["unverified"], title=title, include_branches=branches)
    if filters["dev_issue"]:
        rows = rows.exclude(person__dev_number_issue="")
    return _download(request, _("团干部名单"), "cadres", acting, CADRE_COLUMNS, rows.iterator(chunk_size=2000),
                     {**filters, "title": title, "branches": branches})


@admin_required
def export_page(request, acting):
    """Both exports with their filters; list pages link straight to the download with their own query."""
    branches = list(Organization.objects.filter(path__startswith=acting.path, org_type=OrgType.BRANCH,
                                                is_active=True).order_by("full_name")
                    .values("pk", "full_name")[:BRANCH_CHOICES_LIMIT])
    return render(request, "imports/export.html", {
        "branches": branches, "titles": CADRE_TITLES,
        "unverified_choices": [(Verification.PENDING, Verification.PENDING.label),
                               (Verification.FAILED, Verification.FAILED.label)],
    })
