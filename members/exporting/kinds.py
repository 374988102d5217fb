"""What can be exported (issue 5, issue 14): each kind names its rows (the list page's selector under the list
page's filters, kept as a dict on a job), its columns and its title. The member and cadre lists are here; apps
above register theirs (transfers/exporting.py, from its AppConfig.ready), so an export job of any kind is built by
one task without members importing them."""
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.choices import CADRE_TITLES
from orgs.models import Organization
from orgs.regions import PROVINCES

from ..selectors.lists import cadre_list, member_list


@dataclass(frozen=True)
class ExportKind:
    name: str                                       # the job's kind, the audit's `export.<name>`, the ASCII file name
    label: object                                   # lazy text: the sheet and the file name
    rows: Callable[[Organization, dict], QuerySet]  # the list page's rows under its filters (a dict, JSON-safe)
    columns: list | Callable[[dict], list]          # (header, width, getter), or made from the filters
    titled: bool = True                             # a title row above the header
    titler: Callable[[Organization, dict], str] | None = None   # the kind's own title, from the filters
    sheet: object = None                            # the rows' sheet, when not named by the label
    preface: Callable[[Organization, dict], list] | None = None  # sheets before it: (name, columns, rows)

    def title(self, org: Organization, filters: dict | None = None) -> str | None:
        if not self.titled:
            return None
        if self.titler is not None:
            return self.titler(org, filters or {})
        return _("%(kind)s · %(org)s · 导出于 %(at)s（身份证号仅显示前6位和末位）") % {
            "kind": self.label, "org": org.full_name, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}

    def workbook(self, org: Organization, filters: dict) -> dict:
        """`build_export`'s arguments but the rows: the same cells in a request or a task."""
        return {"title": self.title(org, filters), "sheet": str(self.sheet or self.label),
                "columns": self.columns(filters) if callable(self.columns) else self.columns,
                "preface": self.preface(org, filters) if self.preface else ()}

    def file_names(self, org: Organization) -> tuple[str, str]:
        day = timezone.localdate().isoformat()
        return f"{self.label}-{org.display_name}-{day}.xlsx", f"{self.name}-{day}.xlsx"


KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    KINDS[kind.name] = kind
    return kind


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


def member_rows(org: Organization, filters: dict) -> QuerySet:
    """filters: query, incomplete, unverified, dev_issue, branch_id (members/forms/list_filters.py)."""
    return member_list(org, **filters)


def cadre_rows(org: Organization, filters: dict) -> QuerySet:
    """filters: query, incomplete, unverified, dev_issue, title, branches: the cadre list page's."""
    title = filters.get("title", "")
    rows = cadre_list(org, query=filters.get("query", ""), incomplete=filters.get("incomplete", False),
                      unverified=filters.get("unverified", ""), title=title if title in CADRE_TITLES else "",
                      include_branches=org.is_branch or filters.get("branches", False))
    if filters.get("dev_issue"):
        rows = rows.exclude(person__dev_number_issue="")
    return rows


register(ExportKind("members", gettext_lazy("团员名单"), member_rows, MEMBER_COLUMNS))
register(ExportKind("cadres", gettext_lazy("团干部名单"), cadre_rows, CADRE_COLUMNS))
