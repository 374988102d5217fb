"""Identity cases (R-VER-5, issue 18): filing, untangling, verifying by hand, rejecting, the photo's check and its
deletion 30 days after the case closes. Each rule at its boundary; each refusal audited."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from members.case_photos import MAX_PHOTO_BYTES, read_photo
from members.models import IdentityCase, IdentityCasePhoto, Person
from members.services import enter_cadre
from members.services.cases import file_case, mark_verified_by_hand, purge_case_photos, reject_case, untangle
from tests.factories import make_id_number
from tests.members.cases_support import JPEG, PNG, photo, tangled_pair
from transfers.models import Message

Status = IdentityCase.Status


def _codes(exc) -> set[str]:
    return {e.code for errors in exc.value.error_dict.values() for e in errors} if hasattr(exc.value, "error_dict") \
        else {e.code for e in exc.value.error_list}


def _file_tangled(tree, a, b, **kw):
    return file_case(actor=tree["b1_admin"], person=a, acting_org=tree["b1"], kind="tangled",
                     note=kw.pop("note", "两人信息录反了，见身份证"), photo=kw.pop("photo", photo()),
                     claimed_id_number=kw.pop("claimed_id_number", None) or b.id_number, **kw)


def _failed(person, reason="公安核验未通过"):
    Person.objects.filter(pk=person.pk).update(verification_status="failed", verification_reason=reason)
    person.refresh_from_db()
    return person


def _file_failed(tree, person):
    return file_case(actor=tree["b1_admin"], person=person, acting_org=tree["b1"], kind="wrongly_failed",
                     note="姓名身份证号无误，公安数据未更新", photo=photo(PNG, "card.png", "image/png"))


# --- filing -------------------------------------------------------------------------------------------------

def test_a_tangled_case_goes_to_the_province_with_the_other_record_and_the_photo(tree, django_capture_on_commit_callbacks):
    a, b = tangled_pair(tree)
    with django_capture_on_commit_callbacks(execute=True):
        case = _file_tangled(tree, a, b, claimed_name="李乙")
    assert (case.status, case.kind, case.other_id, case.province_id) == (Status.OPEN, "tangled", b.pk, tree["province"].pk)
    assert case.claimed_name == "李乙" and case.filed_org_id == tree["b1"].pk
    stored = IdentityCasePhoto.objects.get(case=case)
    assert (bytes(stored.data), stored.content_type) == (JPEG, "image/jpeg")
    event = AuditEvent.objects.get(action="identity_case.file", actor=tree["b1_admin"])
    assert b.id_number not in str(event.detail)  # R-AUTH-6: masked in the trail
    told = set(Message.objects.filter(code="identity_case_filed").values_list("recipient_id", flat=True))
    assert told == {tree["province_admin"].pk, a.pk}


def test_a_number_on_record_for_nobody_is_a_typo_to_correct_directly(tree):
    a, _b = tangled_pair(tree)
    with pytest.raises(ValidationError) as exc:
        _file_tangled(tree, a, None, claimed_id_number=make_id_number(dt.date(2003, 1, 1)))
    assert "id_not_registered" in _codes(exc)
    assert not IdentityCase.objects.exists()


def test_the_persons_own_number_is_no_case(tree):
    a, _b = tangled_pair(tree)
    with pytest.raises(ValidationError) as exc:
        _file_tangled(tree, a, None, claimed_id_number=a.id_number)
    assert "id_not_registered" in _codes(exc)


def test_a_wrongly_failed_case_needs_a_failed_verification(tree, member):
    member.verification_status = "verified"
    Person.objects.filter(pk=member.pk).update(verification_status="verified")
    with pytest.raises(ValidationError) as exc:
        _file_failed(tree, member)
    assert "not_failed" in _codes(exc)
    case = _file_failed(tree, _failed(member))
    assert case.kind == "wrongly_failed" and case.province_id == tree["province"].pk
    assert IdentityCasePhoto.objects.get(case=case).content_type == "image/png"


def test_a_second_open_case_for_one_person_is_refused_and_a_closed_one_does_not_count(tree, member):
    case = _file_failed(tree, _failed(member))
    with pytest.raises(ValidationError) as exc:
        _file_failed(tree, member)
    assert "case_open" in _codes(exc)
    reject_case(actor=tree["province_admin"], case=case, reason="材料不清楚，请重拍")
    assert _file_failed(tree, member).is_open


@pytest.mark.parametrize("who", ["b1_admin", "school_admin"])
def test_the_admins_who_may_change_the_person_file(tree, member, who):
    org = {"b1_admin": tree["b1"], "school_admin": tree["school"]}[who]
    case = file_case(actor=tree[who], person=_failed(member), acting_org=org, kind="wrongly_failed",
                     note="核验数据滞后", photo=photo())
    assert case.filed_org_id == org.pk


@pytest.mark.parametrize("who, org", [("b2_admin", "b2"), ("uni_admin", "uni"), ("xj_admin", "xj")])
def test_admins_who_may_not_change_the_person_are_refused_and_audited(tree, member, who, org):
    # R-AUTH-2: own organization or its direct superior only (uni is two levels above 1班).
    with pytest.raises(PermissionDenied):
        file_case(actor=tree[who], person=_failed(member), acting_org=tree[org], kind="wrongly_failed",
                  note="核验数据滞后", photo=photo())
    assert AuditEvent.objects.filter(actor=tree[who], action="identity_case.file", result="denied").exists()
    assert not IdentityCase.objects.exists()


def test_an_admin_may_not_file_as_an_organization_they_do_not_run(tree, member):
    with pytest.raises(PermissionDenied):
        file_case(actor=tree["b1_admin"], person=_failed(member), acting_org=tree["school"], kind="wrongly_failed",
                  note="核验数据滞后", photo=photo())


def test_the_person_does_not_file_their_own_case(tree, member):
    with pytest.raises(PermissionDenied):
        file_case(actor=member, person=_failed(member), acting_org=tree["b1"], kind="wrongly_failed",
                  note="核验数据滞后", photo=photo())


def test_a_short_note_and_a_missing_photo_are_both_reported_at_once(tree, member):
    with pytest.raises(ValidationError) as exc:
        file_case(actor=tree["b1_admin"], person=_failed(member), acting_org=tree["b1"], kind="wrongly_failed",
                  note=" 短 ", photo=None)
    assert {"note_required", "photo_required"} <= _codes(exc)


# --- the photo: hostile input ------------------------------------------------------------------------------

class _Huge:
    """Declares a size over the limit; reading it would fail the test."""
    size = MAX_PHOTO_BYTES + 1

    def seek(self, *_):
        raise AssertionError("read before its size was judged")

    read = seek


def test_a_photo_declared_too_large_is_refused_before_it_is_read():
    with pytest.raises(ValidationError) as exc:
        read_photo(_Huge())
    assert _codes(exc) == {"photo_too_large"}


def test_the_size_limit_boundary_exactly_5_mb_is_taken_one_byte_more_is_not():
    body = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_PHOTO_BYTES - 6) + b"\xff\xd9"
    assert len(body) == MAX_PHOTO_BYTES
    assert read_photo(photo(body))[1] == "image/jpeg"
    with pytest.raises(ValidationError) as exc:
        read_photo(photo(body + b"\x00"))
    assert _codes(exc) == {"photo_too_large"}


class _LiesAboutSize:
    """Declares a small size and holds more: never more than the limit plus one byte is read."""
    size = 10

    def __init__(self):
        self.asked = []

    def seek(self, *_):
        pass

    def read(self, n=-1):
        self.asked.append(n)
        return b"\xff\xd8\xff" + b"\x00" * (n - 3)


def test_a_photo_lying_about_its_size_is_read_no_further_than_the_limit():
    upload = _LiesAboutSize()
    with pytest.raises(ValidationError) as exc:
        read_photo(upload)
    assert _codes(exc) == {"photo_too_large"} and upload.asked == [MAX_PHOTO_BYTES + 1]


@pytest.mark.parametrize("data", [
    b"GIF89a" + b"\x00" * 300,                                   # another image type
    b"<html><script>alert(1)</script></html>" + b" " * 100,      # a page named card.jpg
    b"\x00" * 400,                                               # NUL bytes
    b"\xff\xd8\xff" + b"\x00" * 300,                             # a JPEG's start with no end
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 300,                        # a PNG signature with no IHDR or IEND
    JPEG[:50],                                                   # too small to be a card's picture
], ids=["gif", "html", "nul", "jpeg-no-end", "png-no-chunks", "tiny"])
def test_what_is_not_a_jpeg_or_png_is_refused_whatever_its_name_and_declared_type(data):
    with pytest.raises(ValidationError) as exc:
        read_photo(photo(data, "card.jpg", "image/jpeg"))
    assert _codes(exc) == {"photo_invalid"}


def test_the_content_type_is_ours_not_the_uploads():
    assert read_photo(photo(PNG, "card.jpg", "text/html"))[1] == "image/png"


# --- untangling (case 2) -------------------------------------------------------------------------------------

def test_a_swap_exchanges_the_numbers_and_reverifies_both(tree, django_capture_on_commit_callbacks):
    a, b = tangled_pair(tree)
    a_number, b_number = a.id_number, b.id_number
    case = _file_tangled(tree, a, b)
    with django_capture_on_commit_callbacks(execute=True):
        untangle(actor=tree["province_admin"], case=case, decision="swap", reason="核对身份证后互换")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.id_number, b.id_number) == (b_number, a_number)
    assert a.birth_date == dt.date(2004, 4, 1) and b.birth_date == dt.date(2004, 3, 1)
    assert a.verification_status == b.verification_status == "verified"  # re-verified after commit (LocalVerifier)
    case.refresh_from_db()
    assert case.status == Status.UNTANGLED and case.closed_at is not None and case.decided_by_id == tree["province_admin"].pk
    events = AuditEvent.objects.filter(action="identity_case.untangle")
    assert events.count() == 2 and all(a_number not in str(e.detail) and b_number not in str(e.detail) for e in events)
    told = set(Message.objects.filter(code="identity_case_decided").values_list("recipient_id", flat=True))
    assert told == {tree["b1_admin"].pk, a.pk}


def test_assign_gives_the_other_record_its_own_number_and_names_by_hand(tree):
    a, b = tangled_pair(tree)
    b_number, real = b.id_number, make_id_number(dt.date(2004, 6, 1))
    case = _file_tangled(tree, a, b)
    untangle(actor=tree["province_admin"], case=case, decision="assign", other_id_number=real, person_name="张甲",
             other_name="李丙", reason="核对两人身份证", by_hand=True)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.id_number, b.id_number, b.name) == (b_number, real, "李丙")
    assert a.verification_status == b.verification_status == "verified"


def test_assign_refuses_a_number_already_on_record(tree, member):
    a, b = tangled_pair(tree)
    case = _file_tangled(tree, a, b)
    for number in (member.id_number, a.id_number):
        with pytest.raises(ValidationError) as exc:
            untangle(actor=tree["province_admin"], case=case, decision="assign", other_id_number=number,
                     reason="核对两人身份证")
        assert "id_registered" in _codes(exc)
    case.refresh_from_db()
    assert case.is_open


def test_an_other_record_changed_since_filing_is_not_untangled_blindly(tree):
    a, b = tangled_pair(tree)
    case = _file_tangled(tree, a, b)
    Person.objects.filter(pk=b.pk).update(id_number=make_id_number(dt.date(2004, 7, 1)))
    with pytest.raises(ValidationError) as exc:
        untangle(actor=tree["province_admin"], case=case, decision="swap", reason="核对两人身份证")
    assert _codes(exc) == {"case_changed"}


@pytest.mark.parametrize("who", ["uni_admin", "b1_admin", "xj_admin", "central_admin"])
def test_only_the_provinces_admins_decide(tree, who):
    a, b = tangled_pair(tree)
    case = _file_tangled(tree, a, b)
    for decide in (lambda: untangle(actor=tree[who], case=case, decision="swap", reason="核对两人身份证"),
                   lambda: reject_case(actor=tree[who], case=case, reason="不成立的理由")):
        with pytest.raises(PermissionDenied):
            decide()
    assert AuditEvent.objects.filter(actor=tree[who], action="identity_case.untangle", result="denied").exists()
    case.refresh_from_db()
    assert case.is_open


def test_a_decided_case_is_not_decided_again(tree):
    a, b = tangled_pair(tree)
    case = _file_tangled(tree, a, b)
    reject_case(actor=tree["province_admin"], case=case, reason="材料不足以证明")
    with pytest.raises(ValidationError) as exc:
        untangle(actor=tree["province_admin"], case=case, decision="swap", reason="核对两人身份证")
    assert _codes(exc) == {"case_closed"}


def test_a_wrongly_failed_case_is_not_untangled(tree, member):
    case = _file_failed(tree, _failed(member))
    with pytest.raises(ValidationError) as exc:
        untangle(actor=tree["province_admin"], case=case, decision="swap", reason="核对两人身份证")
    assert "not_tangled" in _codes(exc)


# --- by hand, and rejecting ------------------------------------------------------------------------------------

def test_verified_by_hand_with_its_reason(tree, member, django_capture_on_commit_callbacks):
    case = _file_failed(tree, _failed(member))
    with django_capture_on_commit_callbacks(execute=True):
        mark_verified_by_hand(actor=tree["province_admin"], case=case, reason="照片与信息一致，公安数据滞后")
    member.refresh_from_db()
    case.refresh_from_db()
    assert (member.verification_status, member.verification_reason) == ("verified", "")
    assert (case.status, case.decision_reason) == (Status.VERIFIED, "照片与信息一致，公安数据滞后")
    assert AuditEvent.objects.get(action="identity_case.verify").detail["reason"] == "照片与信息一致，公安数据滞后"
    assert Message.objects.filter(code="identity_case_decided", recipient=member).exists()


def test_a_tangled_case_is_not_verified_by_hand(tree):
    a, b = tangled_pair(tree)
    with pytest.raises(ValidationError) as exc:
        mark_verified_by_hand(actor=tree["province_admin"], case=_file_tangled(tree, a, b), reason="照片一致")
    assert "not_wrongly_failed" in _codes(exc)


@pytest.mark.parametrize("reason, ok", [("不成立", False), ("照片模糊", True)])
def test_a_rejection_needs_a_reason_of_four_characters(tree, member, reason, ok):
    case = _file_failed(tree, _failed(member))
    if ok:
        reject_case(actor=tree["province_admin"], case=case, reason=reason)
        member.refresh_from_db()
        assert member.verification_status == "failed"  # rejecting changes nothing on the record
        assert IdentityCase.objects.get(pk=case.pk).status == Status.REJECTED
    else:
        with pytest.raises(ValidationError) as exc:
            reject_case(actor=tree["province_admin"], case=case, reason=reason)
        assert _codes(exc) == {"reason_required"}


def test_the_person_does_not_decide_their_own_case(tree):
    person = tree["province_admin"]
    person_case = IdentityCase.objects.create(kind="wrongly_failed", person=person, note="x", filed_by=tree["central_admin"],
                                              filed_org=tree["central"], province=tree["province"])
    with pytest.raises(PermissionDenied):
        reject_case(actor=person, case=person_case, reason="自己驳回自己")


# --- the photo is deleted 30 days after the case closes ---------------------------------------------------------

@pytest.mark.parametrize("days, kept", [(29, True), (30, False)])
def test_a_closed_cases_photo_is_kept_29_days_and_deleted_on_the_30th(tree, member, days, kept):
    case = _file_failed(tree, _failed(member))
    reject_case(actor=tree["province_admin"], case=case, reason="照片模糊不清")
    closed = IdentityCase.objects.get(pk=case.pk).closed_at
    assert purge_case_photos(now=closed + dt.timedelta(days=days)) == (0 if kept else 1)
    assert IdentityCasePhoto.objects.filter(case=case).exists() is kept
    assert IdentityCase.objects.filter(pk=case.pk).exists()  # the case itself stays


def test_an_open_cases_photo_is_never_deleted(tree, member):
    case = _file_failed(tree, _failed(member))
    assert purge_case_photos(now=timezone.now() + dt.timedelta(days=400)) == 0
    assert IdentityCasePhoto.objects.filter(case=case).exists()


def test_r_auth_7_a_branch_admin_does_not_file_for_a_member_who_is_an_admin_above_them(tree, member):
    enter_cadre(actor=None, org=tree["school"], id_number=member.id_number, name=member.name, title="副书记",
                is_admin=True)
    with pytest.raises(PermissionDenied):
        file_case(actor=tree["b1_admin"], person=_failed(member), acting_org=tree["b1"], kind="wrongly_failed",
                  note="核验数据滞后", photo=photo())
    # the school's own admin outranks them (R-AUTH-7) and files
    assert file_case(actor=tree["school_admin"], person=member, acting_org=tree["school"], kind="wrongly_failed",
                     note="核验数据滞后", photo=photo()).is_open
