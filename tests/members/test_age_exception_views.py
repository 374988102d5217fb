"""R-ENT-11, the pages: each has its allowed case and its refusals (another organization's request is 404, a page of
another role 403 and audited); lists mask ID numbers and cost the same queries for 5 or 50 rows; the province's
export is the FAQ's list with whole ID numbers, audited without them."""
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from members.idnumber import mask_id_number
from members.models import AgeExceptionRequest, Person
from members.services import forward_age_exceptions
from tests.factories import make_id_number
from tests.members.test_import_files import fill, member_row
from tests.members.test_import_views import latest_job, upload

from .age_exception_support import JOINED, YOUNG, county, fields, filed
from .support import denied

pytestmark = pytest.mark.django_db
Status = AgeExceptionRequest.Status


@pytest.fixture
def c(tree):
    return {**tree, **county(tree)}


def form_data(**over) -> dict:
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields(**over).items()}
    return data


# --- filing -----------------------------------------------------------------------------------------------

def test_the_branch_files_from_the_page(client_as, c):
    client = client_as(c["branch_admin"], c["branch"])
    assert client.get(reverse("age_exceptions:file")).status_code == 200
    resp = client.post(reverse("age_exceptions:file"), form_data())
    req = AgeExceptionRequest.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("age_exceptions:detail", args=[req.pk])
    assert req.branch == c["branch"] and req.filed_by == c["branch_admin"]


def test_a_bad_form_keeps_what_was_typed(client_as, c):
    client = client_as(c["branch_admin"], c["branch"])
    data = form_data(explanation="", phone="123")
    html = client.post(reverse("age_exceptions:file"), data).content.decode()
    assert data["name"] in html and data["id_number"] in html and "请写明情况说明" in html and "手机号码应为11位" in html
    assert not AgeExceptionRequest.objects.exists()


def test_the_county_chooses_among_its_branches_only(client_as, c):
    client = client_as(c["county_admin"], c["county"])
    html = client.get(reverse("age_exceptions:file")).content.decode()
    assert c["branch"].full_name in html and c["b1"].full_name not in html
    resp = client.post(reverse("age_exceptions:file"), {**form_data(), "branch": c["b1"].pk})
    assert resp.status_code == 200 and "请从列表中选择团支部" in resp.content.decode()


def test_a_committee_between_may_not_file(client_as, c):
    resp = client_as(c["school_admin"], c["school"]).get(reverse("age_exceptions:file"))
    assert resp.status_code == 403 and denied(c["school_admin"], "age_exception.file")


def test_a_plain_member_is_refused(client_as, c, member):
    assert client_as(member).get(reverse("age_exceptions:list")).status_code == 403


def test_the_entry_forms_refusal_offers_the_request_with_what_was_typed(client_as, c):
    client = client_as(c["branch_admin"], c["branch"])
    data = {"name": "李小年", "id_number": make_id_number(YOUNG), "joined_on": JOINED.isoformat(),
            "development_number": "202000000123", "phone": "13800138000"}
    html = client.post(reverse("people:enter_member"), data).content.decode()
    url = reverse("age_exceptions:file")
    assert f'formaction="{url}"' in html and "申请例外录入" in html
    carried = client.post(url, {**data, "carry": "1"})
    page = carried.content.decode()
    assert carried.status_code == 200 and f'value="{data["id_number"]}"' in page and 'value="13800138000"' in page
    assert not AgeExceptionRequest.objects.exists()  # carrying only fills the form


def test_the_root_admin_is_not_offered_the_request(client_as, c):
    # R-ENT-3: the central admin enters with an explanation directly.
    client = client_as(c["central_admin"], c["central"])
    data = {"branch": c["branch"].pk, "name": "李小年", "id_number": make_id_number(YOUNG),
            "joined_on": JOINED.isoformat(), "development_number": "202000000123", "phone": "13800138000"}
    html = client.post(reverse("people:enter_member"), data).content.decode()
    assert f'formaction="{reverse("age_exceptions:file")}"' not in html


def test_an_import_row_refused_by_the_age_rule_carries_its_data(client_as, c):
    client = client_as(c["branch_admin"], c["branch"])
    young = make_id_number(YOUNG)
    upload(client, fill([member_row(c, 姓名="李小年", 身份证号=young, 入团时间=JOINED, 所在团支部全称=c["branch"].full_name,
                                    发展团员编号="202000000123")]))
    job = latest_job()
    html = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    action = reverse("imports:age_exception", args=[job.pk])
    assert f'action="{action}"' in html and young not in html
    assert client.post(action, {"row": "3"}).status_code == 404  # no such refused row
    resp = client.post(action, {"row": "2"})
    assert resp.status_code == 302 and resp.url == reverse("age_exceptions:file")
    page = client.get(resp.url).content.decode()
    assert f'value="{young}"' in page and 'value="2020-05-04"' in page and 'value="202000000123"' in page
    assert client_as(c["b1_admin"], c["b1"]).post(action, {"row": "2"}).status_code == 404  # not their job


# --- lists and detail ---------------------------------------------------------------------------------------

def test_the_list_masks_id_numbers_and_shows_where_each_stands(client_as, c):
    req = filed(c)
    html = client_as(c["branch_admin"], c["branch"]).get(reverse("age_exceptions:list")).content.decode()
    assert req.name in html and mask_id_number(req.id_number) in html and req.id_number not in html
    assert "待省级汇总" in html


def test_another_organizations_request_is_404(client_as, c):
    req = filed(c)
    client = client_as(c["b1_admin"], c["b1"])
    assert client.get(reverse("age_exceptions:detail", args=[req.pk])).status_code == 404
    assert client.post(reverse("age_exceptions:withdraw", args=[req.pk])).status_code == 404
    assert AgeExceptionRequest.objects.get().status == Status.FILED


def test_the_detail_page_masks_the_id_number(client_as, c):
    req = filed(c)
    html = client_as(c["province_admin"], c["province"]).get(
        reverse("age_exceptions:detail", args=[req.pk])).content.decode()
    assert mask_id_number(req.id_number) in html and req.id_number not in html


def test_the_list_costs_the_same_queries_for_5_or_50(client_as, c, django_assert_max_num_queries):
    client = client_as(c["province_admin"], c["province"])
    _rows(c, 5)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("age_exceptions:list"))
    _rows(c, 45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("age_exceptions:list")).status_code == 200
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("age_exceptions:province"))


def test_the_province_page_and_inbox_cost_the_same_for_5_or_50(client_as, c, django_assert_max_num_queries):
    province = client_as(c["province_admin"], c["province"])
    _rows(c, 5)
    with django_assert_max_num_queries(30) as few:
        province.get(reverse("age_exceptions:province"))
    _rows(c, 45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        province.get(reverse("age_exceptions:province"))
    forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    centre = client_as(c["central_admin"], c["central"])
    with django_assert_max_num_queries(30) as many:
        assert centre.get(reverse("age_exceptions:inbox")).status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries) + 3


def _rows(c, n):
    for _i in range(n):
        filed(c, id_number=make_id_number(YOUNG))


# --- the province -------------------------------------------------------------------------------------------

def test_the_province_forwards_and_exports_the_faq_list(client_as, c):
    one, two = filed(c), filed(c, name="王小岁", phone="13900139000")
    client = client_as(c["province_admin"], c["province"])
    html = client.get(reverse("age_exceptions:province")).content.decode()
    assert "待汇总报送：共 2 人" in html and one.id_number not in html
    resp = client.post(reverse("age_exceptions:forward"))
    assert resp.status_code == 302
    batch = AgeExceptionRequest.objects.get(pk=one.pk).batch
    export = client.get(reverse("age_exceptions:export", args=[batch.pk]))
    assert export.status_code == 200
    ws = load_workbook(io.BytesIO(export.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert "总数 2 人" in rows[0][0]
    assert rows[1] == ("序号", "团员姓名", "身份证号", "联系方式", "当前所在团组织名称")
    assert {r[1:] for r in rows[2:]} == {(one.name, one.id_number, one.phone, c["branch"].full_name),
                                         (two.name, two.id_number, two.phone, c["branch"].full_name)}
    event = AuditEvent.objects.get(action="export.age_exceptions")
    assert event.actor == c["province_admin"] and event.detail["rows"] == 2
    assert one.id_number not in str(event.detail) and one.id_number not in event.target_label


def test_the_export_is_refused_to_another_province_and_a_county(client_as, c):
    filed(c)
    batch = forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    url = reverse("age_exceptions:export", args=[batch.pk])
    assert client_as(c["xj_admin"], c["xj"]).get(url).status_code == 404
    assert client_as(c["county_admin"], c["county"]).get(url).status_code == 403
    assert denied(c["county_admin"], "export.age_exceptions")
    assert client_as(c["central_admin"], c["central"]).get(url).status_code == 200
    assert AuditEvent.objects.filter(action="export.age_exceptions", result=AuditEvent.Result.OK).count() == 1


def test_the_province_pages_are_refused_to_others(client_as, c):
    filed(c)
    county_client = client_as(c["county_admin"], c["county"])
    assert county_client.get(reverse("age_exceptions:province")).status_code == 403
    assert county_client.post(reverse("age_exceptions:forward")).status_code == 403
    assert AgeExceptionRequest.objects.get().status == Status.FILED


# --- the centre ---------------------------------------------------------------------------------------------

def test_the_centre_enters_from_the_inbox_and_a_second_click_does_not(client_as, c):
    req = filed(c)
    forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    client = client_as(c["central_admin"], c["central"])
    html = client.get(reverse("age_exceptions:inbox")).content.decode()
    assert req.name in html and req.id_number not in html
    resp = client.post(reverse("age_exceptions:enter", args=[req.pk]), {"back": "inbox"})
    assert resp.status_code == 302 and resp.url == reverse("age_exceptions:inbox")
    again = client.post(reverse("age_exceptions:enter", args=[req.pk]), follow=True)
    assert "已录入" in again.content.decode()
    assert Person.objects.filter(id_number=req.id_number).count() == 1


def test_the_inbox_and_entering_are_refused_to_the_province(client_as, c):
    req = filed(c)
    forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    client = client_as(c["province_admin"], c["province"])
    assert client.get(reverse("age_exceptions:inbox")).status_code == 403
    assert client.post(reverse("age_exceptions:enter", args=[req.pk])).status_code == 403
    assert not Person.objects.filter(id_number=req.id_number).exists()


def test_the_centre_returns_and_the_filer_edits_and_refiles(client_as, c):
    req = filed(c)
    forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    centre = client_as(c["central_admin"], c["central"])
    centre.post(reverse("age_exceptions:return", args=[req.pk]), {"reason": "请补充发展经过"})
    filer = client_as(c["branch_admin"], c["branch"])
    html = filer.get(reverse("age_exceptions:detail", args=[req.pk])).content.decode()
    assert "请补充发展经过" in html and reverse("age_exceptions:edit", args=[req.pk]) in html
    assert client_as(c["county_admin"], c["county"]).get(reverse("age_exceptions:edit", args=[req.pk])).status_code == 403
    filer = client_as(c["branch_admin"], c["branch"])  # one test client: sign the filer in again
    resp = filer.post(reverse("age_exceptions:edit", args=[req.pk]),
                      form_data(id_number=req.id_number, explanation="补充：发展经过见入团志愿书。"))
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.FILED and req.explanation.startswith("补充")
