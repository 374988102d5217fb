"""Turning one spreadsheet row into the arguments of enter_member / enter_cadre, and checking it with
the very rules single entry uses (members/rules.py): a rule is never checked in one path only."""
import functools

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from access.choices import CADRE_TITLES, CadreKind
from orgs.models import Organization, OrgType
from orgs.regions import PROVINCES
from orgs.selectors import find_by_full_name

from ..models import CadrePost, Person
from ..profile import PoliticalStatus
from ..rules import (
    Errors,
    check_entry_required,
    check_length,
    clean_id_number,
    clean_name,
    clean_profile,
    normalize_dev_number,
)
from ..services.entry import validate_member
from .columns import BRANCH_MEMBERS, COLUMNS, ENTRY_KIND
from .reader import free_text, text, to_date

POLITICAL_BY_LABEL = {str(label): value for value, label in PoliticalStatus.choices}
KIND_BY_LABEL = {str(label): value for value, label in CadreKind.choices}
PROVINCE_BY_NAME = {**{name: code for code, name in PROVINCES.items()},
                    **{name.rstrip("省市").replace("维吾尔自治区", "").replace("壮族自治区", "").replace("回族自治区", "")
                       .replace("自治区", "").replace("特别行政区", ""): code for code, name in PROVINCES.items()},
                    **{code: code for code in PROVINCES}}
PROFILE_FIELDS = ["phone", "ethnicity", "political_status", "full_time_education", "highest_education", "work_unit",
                  "province", "city", "occupation", "email"]
# R-ENT-10: where a column is stored when it is not the Person field of its name; lengths are checked there.
STORED_AS = {"title": (CadrePost, "title"), "cadre_kind": (CadrePost, "kind"), "branch": (Organization, "full_name")}


def headers(kind: str) -> dict[str, str]:
    return {c.field: c.header for c in COLUMNS[kind]}


def _dev_number_text(value) -> str:
    """The development number as single entry reads it (R-ENT-4): full-width digits folded and surrounding
    spaces dropped, inner spaces kept, so "2018 0000 0001" is refused (dev_number_format) in both paths.
    A number cell loses its ".0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_dev_number(value)


@functools.cache
def _lists(kind: str) -> dict[str, dict[str, str]]:
    """Each drop-down column's values keyed as text() folds a cell, so 研究生（博士） is found however its
    parentheses were typed and kept as the list writes it (R-ENT-10)."""
    return {c.field: {text(choice): choice for choice in c.choices} for c in COLUMNS[kind] if c.choices}


def _raw_values(raw: dict, errors: Errors, kind: str) -> dict:
    """Cells to Python values: text normalized, drop-down values as their lists write them, dates parsed,
    labels to codes."""
    lists = _lists(kind)

    def cell(field: str) -> str:
        typed = text(raw.get(field))
        return lists.get(field, {}).get(typed, typed)

    v = {}
    id_cell = raw.get("id_number")
    if isinstance(id_cell, (int, float)):
        errors.add("id_number", _("身份证号被Excel存成了数字，后几位已经丢失。请把该列设为“文本”后重新输入。"),
                   "id_number_invalid")
        v["id_number"] = ""
    else:
        v["id_number"] = text(id_cell)
    v["name"] = text(raw.get("name"))
    try:
        v["joined_on"] = to_date(raw.get("joined_on"))
    except (ValueError, OverflowError):
        errors.add("joined_on", _("入团时间不是有效日期，请填写如 2016-05-04。"), "date_invalid")
        v["joined_on"] = None
    v["development_number"] = _dev_number_text(raw.get("development_number"))
    for field in PROFILE_FIELDS:
        if field in raw:
            v[field] = free_text(raw[field]) if field in ("work_unit", "city") else cell(field)
    if v.get("political_status"):
        v["political_status"] = POLITICAL_BY_LABEL.get(v["political_status"], v["political_status"])
    if v.get("province"):
        v["province"] = PROVINCE_BY_NAME.get(v["province"], v["province"])
    v["title"] = cell("title")
    v["cadre_kind"] = KIND_BY_LABEL.get(cell("cadre_kind"), cell("cadre_kind"))
    v["branch"] = free_text(raw.get("branch"))
    return v


def _check_lengths(values: dict, errors: Errors) -> None:
    """R-ENT-10: every value against the model field it is stored in, so none can fail the database."""
    for field, value in values.items():
        model, column = STORED_AS.get(field, (Person, field))
        if field not in errors.by_field:
            check_length(field, value, errors, model=model, column=column)


class RowChecker:
    """Checks rows of one upload; caches what repeats across rows (branches by name)."""

    def __init__(self, *, kind: str, acting_org: Organization, lookups=None, viewer=None):
        self.kind, self.acting_org, self.lookups, self.viewer = kind, acting_org, lookups, viewer
        self.branches: dict[str, Organization | None] = {}
        self.seen_ids: dict[str, int] = {}
        self.seen_numbers: dict[str, int] = {}

    def _branch(self, name: str, errors: Errors) -> Organization | None:

        if not name:
            errors.add("branch", _("请填写所在团支部全称。"), "required")
            return None
        check_length("branch", name, errors, model=Organization, column="full_name")  # R-ENT-10, before the query
        if "branch" in errors.by_field:
            return None
        if name not in self.branches:
            self.branches[name] = find_by_full_name(name)
        org = self.branches[name]
        acting = self.acting_org
        if org is None:
            errors.add("branch", _("没有找到名为“%(n)s”的团组织，请核对全称。") % {"n": name}, "not_in_subtree")
            return None
        allowed = org.org_type == OrgType.BRANCH and (org.pk == acting.pk or org.parent_id == acting.pk)
        if not allowed:  # R-AUTH-2
            errors.add("branch", _("只能导入本组织（团支部）或直属团支部的团员。"), "not_in_subtree")
            return None
        return org

    def check(self, row_number: int, raw: dict) -> tuple[dict | None, Errors]:
        errors = Errors()
        v = _raw_values(raw, errors, self.kind)
        profile = clean_profile({f: v[f] for f in PROFILE_FIELDS if f in v}, errors)
        if v["title"] and v["title"] not in CADRE_TITLES:
            errors.add("title", _("请从标准职务中选择。"), "title_invalid")
        if v["cadre_kind"] and v["cadre_kind"] not in CadreKind.values:
            errors.add("cadre_kind", _("请从列表中选择。"), "choice_invalid")
        if self.kind == BRANCH_MEMBERS:
            branch = self._branch(v["branch"], errors)
            target = branch
        else:
            if not v["title"]:
                errors.add("title", _("请填写职务。"), "required")
            target = self.acting_org
            branch = self.acting_org if self.acting_org.org_type == OrgType.BRANCH else None
        args, existing = None, None
        ident = clean_id_number(v["id_number"], Errors())
        if self.kind != BRANCH_MEMBERS and "id_number" not in errors.by_field:
            # enter_cadre: an ID number on record adds a post to that person; the name must match.
            existing = self.lookups.id_holder(ident) if self.lookups else None
            if existing is not None and self.lookups.names.get(ident) != text(v["name"]):
                errors.add("name", _("该身份证号已登记，但姓名与登记的不一致，请核对。"), "name_mismatch")
        member_row = branch is not None and (self.kind == BRANCH_MEMBERS or v["joined_on"] is not None)
        if existing is not None and member_row and self.viewer is not None:
            # R-ENT-9: someone on record joins a branch by a transfer; a row only offers them a post.
            errors.add("id_number", _("该身份证号已经登记，不能通过导入成为本团支部团员；如需转入请办理组织关系转接。"
                                      "仅导入职务时请不要填写入团时间。"), "id_registered")
        if member_row and "id_number" not in errors.by_field:
            values, rule_errors = validate_member(
                branch=branch, id_number=v["id_number"], name=v["name"], joined_on=v["joined_on"],
                development_number=v["development_number"], exclude_pk=existing, lookups=self.lookups,
                viewer=self.viewer)
            for field, errs in rule_errors.by_field.items():
                if not (field == "joined_on" and "joined_on" in errors.by_field):
                    errors.by_field.setdefault(field, []).extend(errs)
            v.update(values)
        elif "id_number" not in errors.by_field:
            v["id_number"] = clean_id_number(v["id_number"], errors)
            v["name"] = clean_name(v["name"], errors)
        self._duplicates(row_number, v, errors)
        # R-ENT-8: the columns the template marks 必填, each refused blank as the entry forms refuse it; last, so
        # that a field the rules have already named keeps its own message.
        on_record = existing is not None or bool(ident and self.lookups and self.lookups.id_holder(ident))
        check_entry_required(v, ENTRY_KIND[self.kind], errors, on_record=on_record)
        _check_lengths({**v, **profile}, errors)
        if not errors:
            args = {"target": target, "branch": branch if member_row else None, "existing": existing,
                    "fields": v, "profile": profile}
        return args, errors

    def _duplicates(self, row_number: int, v: dict, errors: Errors) -> None:
        ident = clean_id_number(v["id_number"], Errors())
        if ident and "id_number" not in errors.by_field:
            if ident in self.seen_ids:
                errors.add("id_number", _("与第%(r)d行的身份证号重复。") % {"r": self.seen_ids[ident]}, "id_registered")
            else:
                self.seen_ids[ident] = row_number
        number = v["development_number"]
        if number and "development_number" not in errors.by_field:
            if number in self.seen_numbers:
                errors.add("development_number", _("与第%(r)d行的发展团员编号重复。") % {"r": self.seen_numbers[number]},
                           "dev_number_taken")
            else:
                self.seen_numbers[number] = row_number


def errors_as_rows(row_number: int, errors: Errors, kind: str) -> list[tuple[int, str, str, str]]:
    names = headers(kind)
    order = list(names)
    out = []
    for field, errs in sorted(errors.by_field.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99):
        for e in errs:
            message = " ".join(ValidationError(e).messages)
            out.append((row_number, names.get(field, ""), e.code or "invalid", message))
    return out
