"""The entry rules (R-ENT), in one place: single entry, import and editing all call these.

Each check raises a ValidationError keyed by the field it concerns, with the code of RULES.md.
`Errors` gathers them so a form (or a spreadsheet row) shows every problem at once.
"""
import datetime as dt
import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from access.permissions import admin_org_ids
from access.selectors import own_org_ids
from orgs.models import Organization
from orgs.regions import PROVINCES, XINJIANG

from .idnumber import birth_date_of, drop_invisible, is_valid_id_number, normalize_id_number
from .models import Person
from .profile import (
    EDUCATION_LEVELS,
    ENTRY_LABELS,
    ENTRY_REQUIRED,
    ETHNIC_GROUPS,
    NOT_ASKED_ON_RECORD,
    OCCUPATIONS,
    PoliticalStatus,
)
from .segments import segment_problem
from .selectors.lookups import DEFAULT

AGE_RULE_CHANGED = dt.date(2017, 1, 1)           # R-ENT-2
DEV_NUMBER_FROM = dt.date(2017, 1, 1)            # R-ENT-4
DEV_NUMBER_FROM_XINJIANG = dt.date(2016, 1, 1)   # R-ENT-4, Xinjiang
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_SPACES = re.compile(r"\s+")
_OUTER_SPACES = re.compile(r"^\s+|\s+$")


class Errors:
    """Collects field errors; `raise_if_any` raises them as one ValidationError with an error_dict."""

    def __init__(self):
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def absorb(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errs in exc.error_dict.items():
                self.by_field.setdefault(field, []).extend(errs)
        else:
            self.by_field.setdefault("__all__", []).extend(exc.error_list)

    def __bool__(self):
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def full_years(born: dt.date, on: dt.date) -> int:
    """Completed years. Someone born on 29 February completes a year on 1 March in common years (R-ENT-2)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def clean_id_number(raw, errors: Errors) -> str:
    id_number = normalize_id_number(raw)
    if not is_valid_id_number(id_number):  # R-ENT-1
        errors.add("id_number", _("身份证号不正确：应为18位，出生日期有效，最后一位校验码正确（X 可大小写）。"),
                   "id_number_invalid")
    return id_number


def normalize_name(raw) -> str:
    """Full-width letters folded; spaces, NUL, control and format characters (zero-width, bidi) dropped."""
    return _SPACES.sub("", drop_invisible(unicodedata.normalize("NFKC", str(raw or ""))))


def clean_name(raw, errors: Errors) -> str:
    name = normalize_name(raw)
    if not name:  # also a name of nothing but invisible characters
        errors.add("name", _("请填写姓名。"), "required")
    else:
        check_length("name", name, errors)
    return name


def check_length(field: str, value, errors: Errors, *, model=Person, column: str = "") -> None:
    """R-ENT-10: a value longer than its model field allows is an error of that field (too_long), never a
    database error. `column` names the model field when it differs from `field`."""
    limit = _max_length(model, column or field)
    if isinstance(value, str) and limit is not None and len(value) > limit:
        errors.add(field, _("内容过长：最多 %(max)d 个字符，现有 %(len)d 个。") % {"max": limit, "len": len(value)},
                   "too_long")


@functools.cache
def _max_length(model, field: str) -> int | None:
    return model._meta.get_field(field).max_length


def check_id_unregistered(id_number: str, errors: Errors, *, exclude_pk=None, lookups=None) -> None:
    holder = (lookups or DEFAULT).id_holder(id_number) if id_number else None
    if holder is not None and holder != exclude_pk:  # R-ENT-6
        errors.add("id_number", _("该身份证号已经登记。此人可用身份证号后8位登录，查看当前所在组织；"
                                  "如需转到本组织，请办理组织关系转接（转入）。"), "id_registered")


def check_join_age(id_number: str, joined_on: dt.date | None, region_code: str, errors: Errors) -> None:
    """R-ENT-2: 13 full years from 2017-01-01 (and always in Xinjiang), 12 before."""
    if joined_on is None:
        errors.add("joined_on", _("请填写入团时间。"), "required")
        return
    born = birth_date_of(id_number) if is_valid_id_number(id_number) else None
    if born is None:
        return
    if joined_on < born or joined_on > dt.date.today():
        errors.add("joined_on", _("入团时间不正确。"), "joined_on_invalid")
        return
    minimum = 13 if (region_code == XINJIANG or joined_on >= AGE_RULE_CHANGED) else 12
    if full_years(born, joined_on) < minimum:
        errors.add("joined_on", _("入团时未满%(age)d周岁（%(rule)s）。") % {
            "age": minimum,
            "rule": _("新疆地区一律满13周岁") if region_code == XINJIANG and joined_on < AGE_RULE_CHANGED
            else (_("2017年1月1日起入团须满13周岁") if minimum == 13 else _("2017年以前入团须满12周岁")),
        }, "join_age")


def normalize_dev_number(raw) -> str:
    return _OUTER_SPACES.sub("", drop_invisible(unicodedata.normalize("NFKC", str(raw or ""))))


def dev_number_required(joined_on: dt.date | None, region_code: str) -> bool:
    if joined_on is None:
        return False
    start = DEV_NUMBER_FROM_XINJIANG if region_code == XINJIANG else DEV_NUMBER_FROM
    return joined_on >= start


def check_dev_number(number: str, *, joined_on, branch, errors: Errors, exclude_pk=None,
                     viewer=None, lookups=None) -> None:
    """R-ENT-4: required from 2017 (Xinjiang 2016), 12 digits, the joining year first, inside the
    allocated segments if any, held by no one else. `viewer` (an admin) is told the holder's
    organization when allowed to see it; anyone else is told to ask the superior organization."""
    lookups = lookups or DEFAULT

    field = "development_number"
    if not number:
        if dev_number_required(joined_on, branch.region_code):
            errors.add(field, _("%(year)s年及以后入团的须填写发展团员编号。") % {
                "year": 2016 if branch.region_code == XINJIANG else 2017}, "dev_number_required")
        return
    if not re.fullmatch(r"[0-9]{12}", number):
        errors.add(field, _("发展团员编号应为12位数字（不含空格、字母）。"), "dev_number_format")
        return
    if joined_on is not None and number[:4] != f"{joined_on.year:04d}":
        errors.add(field, _("发展团员编号前4位应为入团年份 %(year)d。") % {"year": joined_on.year},
                   "dev_number_year")
        return
    problem = segment_problem(number, branch=branch, lookups=lookups)
    if problem:
        errors.add(field, problem, "dev_number_segment")
        return
    holder = lookups.number_holder(number)
    if holder is not None and holder != exclude_pk:
        errors.add(field, _taken_message(holder, viewer), "dev_number_taken")


def _taken_message(holder_pk: int, viewer) -> str:
    """R-ENT-4 / issue 3: name the holder's organization only to an admin who may read it (R-AUTH-1)."""
    admin_ids = admin_org_ids(viewer) if viewer is not None else set()
    if admin_ids:
        admin_paths = list(Organization.objects.filter(pk__in=admin_ids).values_list("path", flat=True))
        for org in Organization.objects.filter(pk__in=own_org_ids(Person(pk=holder_pk))):
            if any(org.path.startswith(p) for p in admin_paths):
                return _("该发展团员编号已被“%(org)s”的人员使用，请核对。") % {"org": org.full_name}
    return _("该发展团员编号已被他人使用，请联系上级组织查找编号持有人。")


def clean_phone(raw, errors: Errors, *, required: bool = False) -> str:
    phone = re.sub(r"[\s-]", "", drop_invisible(unicodedata.normalize("NFKC", str(raw or ""))))
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        if required:
            errors.add("phone", _("请填写手机号码。"), "required")
        return ""
    if not _PHONE.match(phone):
        errors.add("phone", _("手机号码应为11位、以1开头的数字。"), "phone_invalid")
    return phone


def check_entry_required(values: dict, kind: str, errors: Errors, *, on_record: bool = False) -> None:
    """R-ENT-8 at entry (profile.ENTRY_REQUIRED): each field this path requires, left blank, is refused with one
    message, the same in the entry forms and the import check. A field with an error already keeps that one; a
    person on record is not asked for the profile fields (NOT_ASKED_ON_RECORD)."""
    for field in ENTRY_REQUIRED[kind]:
        if on_record and field in NOT_ASKED_ON_RECORD:
            continue
        if field in values and field not in errors.by_field and _blank(values[field]):
            errors.add(field, _("请填写%(label)s。") % {"label": ENTRY_LABELS[field]}, "required")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not drop_invisible(value).strip())


def clean_profile(data: dict, errors: Errors) -> dict:
    """The profile fields of R-ENT-8 other than identity: each checked against its list."""
    lists = {"ethnicity": ETHNIC_GROUPS, "full_time_education": EDUCATION_LEVELS, "highest_education": EDUCATION_LEVELS,
             "occupation": OCCUPATIONS, "political_status": PoliticalStatus.values, "province": list(PROVINCES)}
    out = {}
    for field, value in data.items():
        if field == "phone":
            out[field] = clean_phone(value, errors)
            continue
        value = drop_invisible(value).strip() if isinstance(value, str) else value
        if field in lists:
            if value and value not in lists[field]:
                errors.add(field, _("请从列表中选择。"), "choice_invalid")
            out[field] = value or ""
        elif field == "email":
            if value:
                try:
                    validate_email(value)
                except ValidationError:
                    errors.add(field, _("电子邮箱格式不正确。"), "email_invalid")
                else:
                    check_length(field, value, errors)
            out[field] = value or ""
        elif field == "party_joined_on":
            if value and not isinstance(value, dt.date):
                errors.add(field, _("请填写日期。"), "date_invalid")
            out[field] = value or None
        elif field in ("work_unit", "city", "league_card_number"):
            check_length(field, value or "", errors)  # R-ENT-10: refused, never cut short
            out[field] = value or ""
        else:
            raise TypeError(f"unknown profile field: {field}")
    return out
