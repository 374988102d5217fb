"""The identity case pages (R-VER-5): filing from the person page, the province's inbox, a case, its photo and the
decisions. Each page allowed and refused; other people's ids; ID numbers masked in lists; query counts flat."""
import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from members.case_photos import MAX_PHOTO_BYTES
from members.models import IdentityCase, IdentityCasePhoto, Person
from members.services.cases import file_case, purge_case_photos, reject_case
from tests.factories import PersonFactory
from tests.members.cases_support import JPEG, photo, tangled_pair
from tests.members.test_people_views import count_queries
from tests.test_i18n import data_names, switch_to_english, untranslated


def _failed(person):
    Person.objects.filter(pk=person.pk).update(verification_status="failed", verification_reason="公安核验未通过")
    person.refresh_from_db()
    return person


def _case(tree, person, *, org="b1"):
    return file_case(actor=tree[f"{org}_admin"], person=_failed(person), acting_org=tree[org], kind="wrongly_failed",
                     note="公安数据未更新", photo=photo())


# --- filing ------------------------------------------------------------------------------------------------------

def test_the_filing_page_is_open_to_an_admin_who_may_change_the_person(client_as, tree, member):
    response = client_as(tree["b1_admin"], tree["b1"]).get(reverse("people:file_case", args=[member.pk]))
    assert response.status_code == 200 and 'enctype="multipart/form-data"' in response.content.decode()


@pytest.mark.parametrize("who, org, status", [("fb_admin", "fb", 404), ("b2_admin", "b2", 404), ("uni_admin", "uni", 403)])
def test_the_filing_page_is_refused_to_others(client_as, tree, member, who, org, status):
    # Outside the acting subtree: 404, as for an id that does not exist; inside but not allowed (R-AUTH-2): 403.
    response = client_as(tree[who], tree[org]).get(reverse("people:file_case", args=[member.pk]))
    assert response.status_code == status


def test_filing_with_a_photo_opens_a_case_and_the_person_page_shows_it(client_as, tree, member):
    client = client_as(tree["b1_admin"], tree["b1"])
    _failed(member)
    response = client.post(reverse("people:file_case", args=[member.pk]), {
        "kind": "wrongly_failed", "note": "姓名身份证号无误，公安数据未更新", "photo": photo()})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = IdentityCase.objects.get(person=member)
    assert case.is_open and IdentityCasePhoto.objects.filter(case=case).exists()
    page = client.get(reverse("people:detail", args=[member.pk])).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in page and "待处理" in page


def test_a_photo_over_the_limit_is_refused_and_the_note_kept(client_as, tree, member, monkeypatch):
    # The upload handler stops storing past 5 MB: the service is never asked to read it.
    monkeypatch.setattr("members.views.cases.file_case", lambda **kw: (_ for _ in ()).throw(AssertionError("reached")))
    client = client_as(tree["b1_admin"], tree["b1"])
    _failed(member)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * MAX_PHOTO_BYTES + b"\xff\xd9"
    response = client.post(reverse("people:file_case", args=[member.pk]), {
        "kind": "wrongly_failed", "note": "这段说明不能丢", "photo": photo(big)})
    body = response.content.decode()
    assert response.status_code == 200 and "照片不能超过 5 MB" in body and "这段说明不能丢" in body
    assert not IdentityCase.objects.exists()


def test_a_file_that_is_not_a_picture_is_refused(client_as, tree, member):
    client = client_as(tree["b1_admin"], tree["b1"])
    _failed(member)
    response = client.post(reverse("people:file_case", args=[member.pk]), {
        "kind": "wrongly_failed", "note": "姓名身份证号无误", "photo": photo(b"<script>x</script>" * 20, "card.jpg")})
    assert response.status_code == 200 and "JPG 或 PNG" in response.content.decode()
    assert not IdentityCase.objects.exists()


def test_the_correction_page_offers_a_case_when_the_number_is_someone_elses(client_as, tree):
    a, b = tangled_pair(tree)
    client = client_as(tree["b1_admin"], tree["b1"])
    response = client.post(reverse("people:correct", args=[a.pk]), {
        "name": a.name, "id_number": b.id_number, "joined_on": "2016-05-04", "reason": "身份证号录错了"})
    body = response.content.decode()
    assert f'formaction="{reverse("people:file_case", args=[a.pk])}"' in body
    # R-VER-2's refused number goes along in the body, never in an address, and starts the case form
    response = client.post(reverse("people:file_case", args=[a.pk]), {
        "from_correct": "1", "name": a.name, "id_number": b.id_number, "joined_on": "2016-05-04", "reason": "x"})
    body = response.content.decode()
    assert response.status_code == 200 and f'value="{b.id_number}"' in body and "has-error" not in body
    assert not IdentityCase.objects.exists()


# --- the inbox ---------------------------------------------------------------------------------------------------

def test_the_province_inbox_lists_its_cases_with_masked_numbers(client_as, tree, member):
    case = _case(tree, member)
    body = client_as(tree["province_admin"], tree["province"]).get(reverse("cases:inbox")).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in body
    assert member.masked_id_number in body and member.id_number not in body


def test_another_provinces_inbox_does_not_list_it(client_as, tree, member):
    _case(tree, member)
    body = client_as(tree["xj_admin"], tree["xj"]).get(reverse("cases:inbox")).content.decode()
    assert member.name not in body


@pytest.mark.parametrize("who, org", [("uni_admin", "uni"), ("b1_admin", "b1")])
def test_the_inbox_is_refused_below_the_province(client_as, tree, who, org):
    assert client_as(tree[who], tree[org]).get(reverse("cases:inbox")).status_code == 403
    assert AuditEvent.objects.filter(actor=tree[who], action="identity_case.inbox", result="denied").exists()


def test_the_inbox_costs_the_same_queries_for_5_or_50_cases(client_as, tree):
    client = client_as(tree["province_admin"], tree["province"])

    def add(n):
        for _ in range(n):
            person = PersonFactory()
            IdentityCase.objects.create(kind="wrongly_failed", person=person, note="x", filed_by=tree["b1_admin"],
                                        filed_org=tree["b1"], province=tree["province"])

    add(5)
    url = reverse("cases:inbox") + "?status=all"
    client.get(url)
    five = count_queries(client, url)
    add(45)
    assert count_queries(client, url) == five


# --- a case and its photo ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who, org", [("b1_admin", "b1"), ("province_admin", "province")])
def test_the_cases_parties_see_it_and_its_photo(client_as, tree, member, who, org):
    case = _case(tree, member)
    client = client_as(tree[who], tree[org])
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    response = client.get(reverse("cases:photo", args=[case.pk]))
    assert response.status_code == 200 and response.content == JPEG
    assert response["Content-Type"] == "image/jpeg" and "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline; filename=") and response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(actor=tree[who], action="identity_case.view_photo").exists()


def test_the_person_sees_their_case_and_its_photo(client_as, tree, member):
    case = _case(tree, member)
    client = client_as(member)
    assert client.get(reverse("cases:photo", args=[case.pk])).status_code == 200
    assert reverse("cases:detail", args=[case.pk]) in client.get(reverse("people:me")).content.decode()


@pytest.mark.parametrize("who, org", [("b2_admin", "b2"), ("uni_admin", "uni"), ("xj_admin", "xj"), ("central_admin", "central")])
def test_anyone_else_gets_a_404_for_the_case_and_its_photo(client_as, tree, member, who, org):
    case = _case(tree, member)
    client = client_as(tree[who], tree[org])
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("cases:photo", args=[case.pk])).status_code == 404


def test_another_member_gets_a_404(client_as, tree, member):
    case = _case(tree, member)
    other, _b = tangled_pair(tree)
    assert client_as(other).get(reverse("cases:photo", args=[case.pk])).status_code == 404


def test_signed_out_nobody_sees_the_photo(client, tree, member):
    case = _case(tree, member)
    response = client.get(reverse("cases:photo", args=[case.pk]))
    assert response.status_code == 302 and JPEG not in response.content


def test_a_deleted_photo_is_gone_and_the_case_says_so(client_as, tree, member):
    case = _case(tree, member)
    reject_case(actor=tree["province_admin"], case=case, reason="照片模糊不清")
    purge_case_photos(now=IdentityCase.objects.get(pk=case.pk).closed_at + dt.timedelta(days=30))
    client = client_as(tree["b1_admin"], tree["b1"])
    assert client.get(reverse("cases:photo", args=[case.pk])).status_code == 404
    assert "结案30天后已删除" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


# --- decisions -----------------------------------------------------------------------------------------------------

def test_the_province_admin_verifies_by_hand_from_the_case_page(client_as, tree, member):
    case = _case(tree, member)
    client = client_as(tree["province_admin"], tree["province"])
    assert "人工认证通过" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    response = client.post(reverse("cases:verify", args=[case.pk]), {"reason": "照片与信息一致"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.verification_status == "verified"


def test_the_province_admin_untangles_from_the_case_page(client_as, tree):
    a, b = tangled_pair(tree)
    a_number, b_number = a.id_number, b.id_number
    case = file_case(actor=tree["b1_admin"], person=a, acting_org=tree["b1"], kind="tangled", note="两条记录录反了",
                     photo=photo(), claimed_id_number=b_number)
    client = client_as(tree["province_admin"], tree["province"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert a_number not in page and b_number not in page  # R-AUTH-6: masked, both sides
    response = client.post(reverse("cases:untangle", args=[case.pk]), {"u-decision": "swap", "u-reason": "核对身份证后互换"})
    assert response.status_code == 302
    assert Person.objects.get(pk=a.pk).id_number == b_number and Person.objects.get(pk=b.pk).id_number == a_number


def test_a_decision_without_a_reason_keeps_the_case_open_and_says_why(client_as, tree, member):
    case = _case(tree, member)
    response = client_as(tree["province_admin"], tree["province"]).post(reverse("cases:reject", args=[case.pk]), {"reason": "短"})
    assert response.status_code == 400 and "至少4个字" in response.content.decode()
    assert IdentityCase.objects.get(pk=case.pk).is_open


@pytest.mark.parametrize("who, org, status", [("b1_admin", "b1", 403), ("xj_admin", "xj", 404)])
def test_a_decision_posted_by_someone_else_is_refused(client_as, tree, member, who, org, status):
    # The filer is a party (sees the case) but does not decide (403); a stranger does not even see it (404).
    case = _case(tree, member)
    response = client_as(tree[who], tree[org]).post(reverse("cases:reject", args=[case.pk]), {"reason": "我来驳回它"})
    assert response.status_code == status
    assert IdentityCase.objects.get(pk=case.pk).is_open


def test_the_decision_pages_take_posts_only(client_as, tree, member):
    case = _case(tree, member)
    assert client_as(tree["province_admin"], tree["province"]).get(reverse("cases:reject", args=[case.pk])).status_code == 405


def test_the_case_pages_speak_english(client, client_as, tree):
    a, b = tangled_pair(tree)
    case = file_case(actor=tree["b1_admin"], person=a, acting_org=tree["b1"], kind="tangled", note="两条记录录反了",
                     photo=photo(), claimed_id_number=b.id_number)
    switch_to_english(client)
    names = data_names(tree, a, b) + ["两条记录录反了"]
    problems = {}
    for who, org, urls in (
            ("b1_admin", "b1", [reverse("people:file_case", args=[a.pk]), reverse("people:detail", args=[a.pk]),
                                reverse("cases:detail", args=[case.pk])]),
            ("province_admin", "province", [reverse("cases:inbox"), reverse("cases:detail", args=[case.pk])])):
        signed_in = client_as(tree[who], tree[org])
        for url in urls:
            response = signed_in.get(url)
            assert response.status_code == 200, url
            left = untranslated(response.content.decode(), names)
            if left:
                problems[url] = left
    assert problems == {}


def test_a_body_declared_larger_than_the_photo_limit_is_not_stored(client_as, tree, member, monkeypatch):
    # The declared length alone stops the upload handler at the photo's start (the service is never asked to read
    # it); the text before it is kept.
    def never(**kwargs):
        raise AssertionError("the photo reached the service")

    monkeypatch.setattr("members.views.cases.file_case", never)
    client = client_as(tree["b1_admin"], tree["b1"])
    _failed(member)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_PHOTO_BYTES + 200 * 1024) + b"\xff\xd9"
    response = client.post(reverse("people:file_case", args=[member.pk]), {
        "kind": "wrongly_failed", "note": "这段说明不能丢", "photo": photo(big)})
    body = response.content.decode()
    assert response.status_code == 200 and "照片不能超过 5 MB" in body and "这段说明不能丢" in body
    assert not IdentityCase.objects.exists()


def test_the_person_is_not_shown_the_other_records_holder(client_as, tree):
    a, b = tangled_pair(tree)
    case = file_case(actor=tree["b1_admin"], person=a, acting_org=tree["b1"], kind="tangled", note="两条记录录反了",
                     photo=photo(), claimed_id_number=b.id_number)
    body = client_as(a).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "两条记录录反了" in body and b.name not in body
    assert b.name in client_as(tree["b1_admin"], tree["b1"]).get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_filing_without_the_csrf_token_is_refused_and_opens_no_case(client_as, tree, member):
    """The filing view is csrf_exempt only so that its upload limit is in place before the body is read; the inner
    view is csrf_protect (Django's documented pattern for upload handlers). A cross-site post is still refused."""
    client = client_as(tree["b1_admin"], tree["b1"])
    client.handler.enforce_csrf_checks = True
    _failed(member)
    response = client.post(reverse("people:file_case", args=[member.pk]), {
        "kind": "wrongly_failed", "note": "跨站提交", "photo": photo()})
    assert response.status_code == 403
    assert not IdentityCase.objects.filter(person=member).exists()
