"""R-ENT-10, cell by cell: every value the templates' own drop-down lists offer is accepted as written there,
and a value longer than its field is an error of its own row and column (too_long), never a database error
(run these on PostgreSQL too: there an overlong value used to fail the insert)."""
import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from access.choices import CadreKind
from members.importing import build_template
from members.importing.columns import COLUMNS
from members.models import CadrePost, Person
from members.profile import PoliticalStatus
from members.services import enter_member
from tests.factories import make_id_number
from tests.members.test_import_files import BRANCH_SHEET, CADRE_SHEET, codes_of, fill, member_row, run

pytestmark = pytest.mark.django_db

SHEETS = {"branch_members": BRANCH_SHEET, "own_cadres": CADRE_SHEET}
KINDS = list(SHEETS)
CODE_OF = {**{str(label): code for code, label in PoliticalStatus.choices},
           **{str(label): code for code, label in CadreKind.choices}}


def base_row(tree, kind: str) -> dict:
    if kind == "branch_members":
        return member_row(tree, 身份证号=make_id_number(dt.date(2004, 4, 4)))
    return {"姓名": "周五", "身份证号": make_id_number(dt.date(1999, 9, 9)), "入团时间": dt.date(2014, 5, 4),
            "职务": "委员", "手机号码": "13800000001"}


# --- every drop-down value, as the template offers it -----------------------------------------------------


def dropdowns(kind: str) -> dict[str, list[str]]:
    """Header -> every value the template's drop-down list on that column offers, read from the file itself."""
    wb = load_workbook(io.BytesIO(build_template(kind)))
    ws = wb[SHEETS[kind]]
    headers = {c.column_letter: c.value for c in ws[1] if c.value}
    lists = {}
    for dv in ws.data_validations.dataValidation:
        sheet, ref = dv.formula1.split("!")                      # '选项'!$F$1:$F$56
        cells = wb[sheet.strip("'")][ref.replace("$", "")]
        letter = re.match(r"[A-Z]+", str(dv.sqref)).group()
        lists[headers[letter]] = [c.value for row in cells for c in row if c.value is not None]
    return lists


@pytest.mark.parametrize("kind", KINDS)
def test_every_drop_down_value_of_the_template_imports_as_written(tree, kind):
    lists = dropdowns(kind)
    assert {"民族", "全日制学历", "最高学历", "职务"} <= set(lists)
    assert "研究生（博士）" in lists["全日制学历"] and "研究生（硕士）" in lists["最高学历"]
    rows = []
    for i in range(max(len(values) for values in lists.values())):
        row = base_row(tree, kind)
        row.update({header: values[i % len(values)] for header, values in lists.items()})
        rows.append(row)
    result = run(tree, fill(rows, kind), kind)
    assert result.errors == [] and result.created == len(rows)

    people = Person.objects.filter(id_number__in=[r["身份证号"] for r in rows])
    posts = CadrePost.objects.filter(person__in=people)
    stored = {c.header: {CODE_OF.get(v, v) for v in lists[c.header]} for c in COLUMNS[kind] if c.header in lists}
    for column in COLUMNS[kind]:
        if column.header in lists:
            source = posts if column.field in ("title", "cadre_kind") else people
            name = "kind" if column.field == "cadre_kind" else column.field
            assert set(source.values_list(name, flat=True)) == stored[column.header], column.header


def test_a_drop_down_value_typed_with_half_width_parentheses_is_kept_as_the_list_writes_it(tree):
    ident = make_id_number(dt.date(2004, 4, 4))
    row = member_row(tree, 身份证号=ident, 全日制学历="研究生(博士)", 最高学历=" 研究生（硕士） ")
    result = run(tree, fill([row]))
    assert result.errors == [] and result.created == 1
    person = Person.objects.get(id_number=ident)
    assert (person.full_time_education, person.highest_education) == ("研究生（博士）", "研究生（硕士）")


# --- too long for its field -------------------------------------------------------------------------------

# What an overlong value of each column is refused as: too_long where the cell is stored as typed; where it
# must first be found in a list or match a format, that rule refuses it (it can never reach the database).
REFUSED_AS = {"name": "too_long", "id_number": "id_number_invalid", "development_number": "dev_number_format",
              "phone": "phone_invalid", "branch": "too_long", "title": "title_invalid", "cadre_kind": "choice_invalid",
              "ethnicity": "choice_invalid", "political_status": "choice_invalid",
              "full_time_education": "choice_invalid", "highest_education": "choice_invalid",
              "work_unit": "too_long", "province": "choice_invalid", "city": "too_long",
              "occupation": "choice_invalid", "email": "too_long",
              # A cadre outside a branch is no member: R-ENT-4 does not apply, the field's length still does.
              ("own_cadres", "development_number"): "too_long"}


def overlong(field: str, kind: str) -> str:
    if field == "email":
        return "a" * 290 + "@example.com"          # a valid address of 302 characters; the field takes 254
    if kind in ("digits", "id"):
        return "1" * 300
    return "长" * 300


COLUMN_CASES = [(kind, c) for kind in KINDS for c in COLUMNS[kind] if c.kind != "date"]


@pytest.mark.parametrize(("kind", "column"), COLUMN_CASES, ids=[f"{k}-{c.field}" for k, c in COLUMN_CASES])
def test_an_overlong_value_is_an_error_of_its_own_cell_and_nothing_is_written(tree, kind, column):
    good = base_row(tree, kind)
    bad = base_row(tree, kind) | {column.header: overlong(column.field, column.kind)}
    people = Person.objects.count()
    result = run(tree, fill([good, bad], kind), kind)
    code = REFUSED_AS.get((kind, column.field), REFUSED_AS[column.field])
    assert [(r, h, c) for r, h, c, _m in result.errors] == [(3, column.header, code)]
    assert result.created == 0 and Person.objects.count() == people
    if code == "too_long":
        assert "最多" in result.errors[0][3]


@pytest.mark.parametrize(("field", "header"), [("name", "姓名"), ("work_unit", "学习工作单位"), ("city", "所在地区（市）")])
def test_a_value_as_long_as_its_field_imports(tree, field, header):
    limit = Person._meta.get_field(field).max_length
    ident = make_id_number(dt.date(2004, 4, 4))
    result = run(tree, fill([member_row(tree, 身份证号=ident, **{header: "长" * limit})]))
    assert result.errors == [] and getattr(Person.objects.get(id_number=ident), field) == "长" * limit


@pytest.mark.parametrize(("field", "value"), [("name", "长" * 51), ("city", "长" * 60), ("work_unit", "长" * 101),
                                              ("email", "a" * 290 + "@example.com"), ("league_card_number", "1" * 31)])
def test_single_entry_refuses_an_overlong_value_the_same_way(tree, field, value):
    args = {"name": "孙三", field: value}
    with pytest.raises(ValidationError) as err:
        enter_member(actor=tree["b1_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2004, 4, 4)),
                     joined_on=dt.date(2016, 5, 4), **args)
    assert codes_of(err.value) == {"too_long"} and list(err.value.error_dict) == [field]
