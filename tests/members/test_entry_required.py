"""R-ENT-8 at entry (issue 15 item 8): one definition (members.profile.ENTRY_REQUIRED) of what must be filled to
enter a person, for the import templates' 必填 marks, the entry forms and the import check. The template marked
手机号码 必填 and the check let a blank one through."""
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from members.importing import build_template
from members.importing.columns import COLUMNS, ENTRY_KIND
from members.importing.template import COMPLETE_FILL, REQUIRED_FILL
from members.models import CadrePost, Person
from members.profile import COMPLETENESS_ONLY, ENTRY_LABELS, ENTRY_REQUIRED
from tests.factories import make_id_number
from tests.members.test_import_files import BRANCH_SHEET, CADRE_SHEET, fill, member_row, run, save

pytestmark = pytest.mark.django_db

SHEETS = {"branch_members": BRANCH_SHEET, "own_cadres": CADRE_SHEET}
PROFILE = {"ethnicity": "汉族", "political_status": "league", "full_time_education": "普通高中",
           "highest_education": "大学本科", "work_unit": "北京示范大学", "province": "11", "city": "北京市"}


def _header_marks(kind):
    ws = load_workbook(io.BytesIO(build_template(kind)))[SHEETS[kind]]
    red = {c.value for c in ws[1] if c.value and c.fill.fgColor.rgb.endswith(REQUIRED_FILL.fgColor.rgb[-6:])}
    yellow = {c.value for c in ws[1] if c.value and c.fill.fgColor.rgb.endswith(COMPLETE_FILL.fgColor.rgb[-6:])}
    return red, yellow, {c.value: c.comment.text if c.comment else "" for c in ws[1] if c.value}


@pytest.mark.parametrize("kind", ["branch_members", "own_cadres"])
def test_the_template_marks_red_exactly_what_the_check_requires(kind):
    red, yellow, notes = _header_marks(kind)
    assert red == {str(ENTRY_LABELS[f]) for f in ENTRY_REQUIRED[ENTRY_KIND[kind]]}
    assert "手机号码" in red and "必填" in notes["手机号码"]
    assert {c.header for c in COLUMNS[kind] if c.field in COMPLETENESS_ONLY} == yellow
    assert "民族" in yellow and "可以先空着" in notes["民族"] and not red & yellow


def test_the_cadre_template_no_longer_marks_the_joining_date():
    red, _yellow, _notes = _header_marks("own_cadres")
    assert "入团时间" not in red  # cadres need not be league members (CONTRACT enter_cadre)


@pytest.mark.parametrize("blank", ["", None, "  "])
def test_the_import_refuses_a_row_without_a_phone_number(tree, blank):
    result = run(tree, fill([member_row(tree), member_row(tree, 姓名="钱二", 身份证号=make_id_number(dt.date(2004, 1, 5)),
                                                           手机号码=blank)]))
    assert [(r, h, c, m) for r, h, c, m in result.errors] == [(3, "手机号码", "required", "请填写手机号码。")]
    assert result.created == 0 and not Person.objects.filter(name__in=["赵一", "钱二"]).exists()


def test_the_cadre_import_refuses_a_row_without_a_phone_number(tree):
    row = {"姓名": "吴六", "身份证号": make_id_number(dt.date(1998, 1, 2)), "职务": "副书记"}
    result = run(tree, fill([row], "own_cadres"), "own_cadres")
    assert [(h, c) for _r, h, c, _m in result.errors] == [("手机号码", "required")]


def test_a_person_on_record_given_a_post_by_import_is_not_asked_for_a_phone_number(tree, member):
    # R-ENT-9: their record stays as it is; only the post is added, and waits for them.
    row = {"姓名": member.name, "身份证号": member.id_number, "职务": "委员"}
    result = run(tree, fill([row], "own_cadres"), "own_cadres")
    assert not result.errors and CadrePost.objects.get(person=member, org=tree["school"]).is_pending


def test_a_workbook_without_the_phone_column_is_refused_before_its_rows(tree):
    wb = load_workbook(io.BytesIO(fill([member_row(tree)])))
    ws = wb[BRANCH_SHEET]
    column = next(c.column for c in ws[1] if c.value == "手机号码")
    ws.delete_cols(column)
    with pytest.raises(Exception) as err:
        run(tree, save(wb))
    assert getattr(err.value, "code", "") == "header_missing" and "手机号码" in " ".join(err.value.messages)


def test_the_completeness_fields_may_stay_blank_and_the_person_is_incomplete(tree):
    result = run(tree, fill([member_row(tree)]))
    assert not result.errors and result.created == 1
    assert Person.objects.get(name="赵一").is_complete is False


# --- the entry forms ---------------------------------------------------------------------------------------

def _field(html, name):
    block = html.split(f'name="{name}"')[0].rsplit('<div class="field', 1)[1]
    return block + html.split(f'name="{name}"')[1].split("</div>")[0]


def test_the_member_form_refuses_a_blank_phone_with_the_imports_message_and_keeps_the_input(client_as, tree):
    data = {"name": "赵新", "id_number": make_id_number(dt.date(2004, 3, 1)), "joined_on": "2016-05-04",
            "phone": "", **PROFILE}
    resp = client_as(tree["b1_admin"]).post(reverse("people:enter_member"), data)
    html = resp.content.decode()
    assert resp.status_code == 200 and not Person.objects.filter(name="赵新").exists()
    assert "请填写手机号码。" in _field(html, "phone")
    assert 'value="赵新"' in html and 'value="北京示范大学"' in html
    data["phone"] = "13812345678"
    assert client_as(tree["b1_admin"]).post(reverse("people:enter_member"), data).status_code == 302


def test_the_cadre_form_refuses_a_blank_phone_but_not_for_someone_on_record(client_as, tree, member):
    client = client_as(tree["school_admin"], tree["school"])
    data = {"org": tree["school"].pk, "name": "钱干部", "id_number": make_id_number(dt.date(1997, 7, 7)), "title": "委员"}
    html = client.post(reverse("people:enter_cadre"), data).content.decode()
    assert "请填写手机号码。" in _field(html, "phone") and not Person.objects.filter(name="钱干部").exists()
    on_record = dict(data, name=member.name, id_number=member.id_number)
    assert client.post(reverse("people:enter_cadre"), on_record).status_code == 302


@pytest.mark.parametrize(("url", "kind"), [("people:enter_member", "member"), ("people:enter_cadre", "cadre")])
def test_the_forms_mark_required_what_they_refuse_and_the_rest_as_for_completeness(client_as, tree, url, kind):
    html = client_as(tree["school_admin"], tree["school"]).get(reverse(url)).content.decode()
    for name in ("name", "id_number", "phone"):
        assert 'class="req"' in _field(html, name), name
    for name in COMPLETENESS_ONLY:
        block = _field(html, name)
        assert 'class="req"' not in block and "信息完整所需" in block, name
    assert ('class="req"' in _field(html, "joined_on")) == ("joined_on" in ENTRY_REQUIRED[kind])
