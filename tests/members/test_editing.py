"""Editing people (issue 3): profile edits (R-AUTH-2/5, R-ENT-5), identity corrections (R-VER-2), ending a post."""
import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from members.models import CadrePost, Person
from members.services import correct_identity, end_post, enter_cadre, update_profile
from orgs.models import Organization
from tests.factories import make_id_number
from tests.members.profiles import FULL_PROFILE, codes, fill_profile, id_number

ALL_PROFILE_FIELDS = {**FULL_PROFILE, "occupation": "学生", "email": "zhang@example.com",
                      "party_joined_on": dt.date(2024, 7, 1), "league_card_number": "TY2016001"}


def _denied(actor, action):
    return AuditEvent.objects.filter(actor=actor, action=action, result=AuditEvent.Result.DENIED)


# --- update_profile: who may edit what ---------------------------------------------------------------

def test_a_person_edits_their_own_contact_and_study_fields(member):
    # R-AUTH-5: SELF_EDITABLE fields are the person's own to change.
    update_profile(actor=member, person=member, phone="139 1234 5678", email="me@example.com",
                   work_unit="示范中学", occupation="学生", full_time_education="普通高中",
                   highest_education="普通高中", province="11", city="北京市")
    member.refresh_from_db()
    assert (member.phone, member.email, member.work_unit, member.full_time_education) == \
        ("13912345678", "me@example.com", "示范中学", "普通高中")
    event = AuditEvent.objects.get(action="person.update", actor=member)
    assert "phone" in event.detail["fields"]


def test_a_person_edits_their_own_development_number(member):
    # R-ENT-5: the person may fix their own number; full-width digits are normalized (R-ENT-4).
    update_profile(actor=member, person=member, development_number="２０１６００００００１２")
    member.refresh_from_db()
    assert member.development_number == "201600000012"


@pytest.mark.parametrize("field, value", [("ethnicity", "汉族"), ("political_status", "league")])
def test_a_person_may_not_edit_fields_kept_for_admins(member, field, value):
    # R-AUTH-5 / R-AUTH-2: 民族 and 政治面貌 are changed by the admins.
    with pytest.raises(PermissionDenied):
        update_profile(actor=member, person=member, **{field: value})
    member.refresh_from_db()
    assert getattr(member, field) == ""
    assert _denied(member, "person.update").exists()


def test_identity_fields_do_not_go_through_update_profile(member, tree):
    with pytest.raises(TypeError):
        update_profile(actor=tree["b1_admin"], person=member, name="张晓明")


@pytest.mark.parametrize("admin", ["b1_admin", "school_admin"])
def test_admins_of_the_branch_and_its_direct_superior_edit_every_profile_field(tree, member, admin):
    # R-AUTH-2: the person's own organization and its direct superior.
    update_profile(actor=tree[admin], person=member, **ALL_PROFILE_FIELDS)
    member.refresh_from_db()
    assert {f: getattr(member, f) for f in ALL_PROFILE_FIELDS} == ALL_PROFILE_FIELDS
    assert member.is_complete


@pytest.mark.parametrize("outsider", ["b2_admin", "uni_admin", "fb_admin"])
def test_a_sibling_or_a_grand_superior_admin_is_refused_and_audited(tree, member, outsider):
    # R-AUTH-2 (only the own organization and its direct superior), R-AUTH-6 (refusals audited).
    with pytest.raises(PermissionDenied):
        update_profile(actor=tree[outsider], person=member, ethnicity="汉族")
    member.refresh_from_db()
    assert member.ethnicity == ""
    assert _denied(tree[outsider], "person.update").count() == 1


@pytest.mark.parametrize("field, value, code", [
    ("ethnicity", "火星族", "choice_invalid"),
    ("political_status", "群众", "choice_invalid"),
    ("highest_education", "大学", "choice_invalid"),
    ("province", "99", "choice_invalid"),
    ("phone", "12345678901", "phone_invalid"),
    ("phone", "1380000000", "phone_invalid"),
    ("email", "not-an-email", "email_invalid"),
])
def test_bad_values_are_refused_with_their_code(tree, member, field, value, code):
    with pytest.raises(ValidationError) as exc:
        update_profile(actor=tree["b1_admin"], person=member, **{field: value})
    assert codes(exc.value) == {field: [code]}
    member.refresh_from_db()
    assert getattr(member, field) == ""


def test_every_bad_value_is_reported_at_once_and_nothing_is_saved(tree, member):
    with pytest.raises(ValidationError) as exc:
        update_profile(actor=tree["b1_admin"], person=member, ethnicity="火星族", phone="abc",
                       email="x@", work_unit="示范中学")
    assert codes(exc.value) == {"ethnicity": ["choice_invalid"], "phone": ["phone_invalid"],
                                "email": ["email_invalid"]}
    member.refresh_from_db()
    assert member.work_unit == ""


def test_a_development_number_breaking_r_ent_4_is_refused(member):
    with pytest.raises(ValidationError) as exc:
        update_profile(actor=member, person=member, development_number="201700000001")
    assert codes(exc.value) == {"development_number": ["dev_number_year"]}


# --- correct_identity (姓名, 身份证号, 入团时间) ----------------------------------------------------------

def test_the_person_may_not_correct_their_own_identity(member):
    with pytest.raises(PermissionDenied):
        correct_identity(actor=member, person=member, reason="姓名录错了", name="张晓明")
    member.refresh_from_db()
    assert member.name == "张小明"
    assert _denied(member, "person.correct_identity").exists()


@pytest.mark.parametrize("outsider", ["b2_admin", "uni_admin"])
def test_identity_corrections_are_refused_to_admins_outside_the_two_levels(tree, member, outsider):
    with pytest.raises(PermissionDenied):
        correct_identity(actor=tree[outsider], person=member, reason="姓名录错了", name="张晓明")
    assert _denied(tree[outsider], "person.correct_identity").exists()


@pytest.mark.parametrize("reason", ["", "   ", "错了"])
def test_a_correction_needs_a_written_reason(tree, member, reason):
    with pytest.raises(ValidationError) as exc:
        correct_identity(actor=tree["b1_admin"], person=member, reason=reason, name="张晓明")
    assert codes(exc.value) == {"reason": ["reason_required"]}
    member.refresh_from_db()
    assert member.name == "张小明"


def test_an_id_number_already_on_record_is_refused(tree, member):
    # R-VER-2 case 2 / R-ENT-6: overwriting with someone else's ID number and name.
    other = tree["b2_admin"]
    with pytest.raises(ValidationError) as exc:
        correct_identity(actor=tree["b1_admin"], person=member, reason="身份证号录错了",
                         id_number=other.id_number.lower(), name=other.name)
    assert codes(exc.value) == {"id_number": ["id_registered"]}
    member.refresh_from_db()
    assert member.name == "张小明"


def test_an_invalid_new_id_number_is_refused(tree, member):
    bad = member.id_number[:17] + ("0" if member.id_number[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        correct_identity(actor=tree["b1_admin"], person=member, reason="身份证号录错了", id_number=bad)
    assert codes(exc.value) == {"id_number": ["id_number_invalid"]}


@pytest.mark.parametrize("change", [{"name": "张晓明"}, {"id_number": id_number(dt.date(2003, 7, 9), "024")}])
def test_changing_the_name_or_id_number_sends_verification_back_to_pending_then_reverifies(
        tree, member, change, django_capture_on_commit_callbacks):
    # R-VER-2: pending at once, verified again after the commit.
    Person.objects.filter(pk=member.pk).update(verification_status="verified")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        correct_identity(actor=tree["school_admin"], person=member, reason="登记时录错", **change)
        member.refresh_from_db()
        assert member.verification_status == "pending"
    assert len(callbacks) == 1
    member.refresh_from_db()
    assert member.verification_status == "verified"
    for field, value in change.items():
        assert getattr(member, field) == value


def test_a_failed_verification_after_a_correction_keeps_its_reason(tree, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        correct_identity(actor=tree["b1_admin"], person=member, reason="登记时录错", name="张")
    member.refresh_from_db()
    assert member.verification_status == "failed"
    assert "姓名" in member.verification_reason


def test_correcting_only_the_joining_date_keeps_the_verification(tree, member, django_capture_on_commit_callbacks):
    Person.objects.filter(pk=member.pk).update(verification_status="verified")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        correct_identity(actor=tree["b1_admin"], person=member, reason="入团时间录错", joined_on=dt.date(2016, 10, 1))
    member.refresh_from_db()
    assert (member.joined_on, member.verification_status) == (dt.date(2016, 10, 1), "verified")
    assert callbacks == []


def test_birth_date_and_gender_follow_a_new_id_number(tree, member):
    woman = id_number(dt.date(2003, 7, 9), "024")
    correct_identity(actor=tree["b1_admin"], person=member, reason="身份证号录错了", id_number=woman)
    member.refresh_from_db()
    assert (member.id_number, member.birth_date, member.gender) == (woman, dt.date(2003, 7, 9), "female")

    man = id_number(dt.date(2003, 8, 1), "015")
    correct_identity(actor=tree["b1_admin"], person=member, reason="身份证号又录错了", id_number=man)
    member.refresh_from_db()
    assert (member.birth_date, member.gender) == (dt.date(2003, 8, 1), "male")


def test_a_new_id_number_must_still_meet_the_joining_age(tree, member):
    # R-ENT-2: joined 2016-05-04 needs 12 full years; born 2004-05-05 had only 11.
    with pytest.raises(ValidationError) as exc:
        correct_identity(actor=tree["b1_admin"], person=member, reason="身份证号录错了",
                         id_number=id_number(dt.date(2004, 5, 5), "036"))
    assert codes(exc.value) == {"joined_on": ["join_age"]}


def test_the_audit_event_holds_the_reason_and_never_a_whole_id_number(tree, member):
    old = member.id_number
    new = id_number(dt.date(2003, 7, 9), "024")
    correct_identity(actor=tree["b1_admin"], person=member, reason="登记时把身份证号录错了", id_number=new)
    event = AuditEvent.objects.get(action="person.correct_identity", result=AuditEvent.Result.OK)
    assert event.actor == tree["b1_admin"]
    assert event.detail["reason"] == "登记时把身份证号录错了"
    assert event.detail["fields"] == ["id_number"]
    written = json.dumps(event.detail, ensure_ascii=False) + event.target_label
    for whole in (old, new):
        assert whole not in written
        assert whole[-8:] not in written  # the initial password (R-ACC-1)
    assert event.detail["old"]["id_number"] == old[:6] + "*" * 11 + old[-1]


def test_a_correction_that_changes_nothing_writes_nothing(tree, member):
    correct_identity(actor=tree["b1_admin"], person=member, reason="核对无误", name="张小明")
    assert not AuditEvent.objects.filter(action="person.correct_identity").exists()


# --- end_post -------------------------------------------------------------------------------------------

@pytest.fixture
def firm_with_two_complete_cadres(tree):
    # R-CMP-2: a committee meets its standard with 2 complete cadres.
    deputy = enter_cadre(actor=None, org=tree["firm"], id_number=make_id_number(dt.date(1998, 1, 1)),
                         name="李副书记", title="副书记", joined_on=dt.date(2012, 5, 4))
    fill_profile(tree["firm_admin"])
    fill_profile(deputy)
    assert Organization.objects.get(pk=tree["firm"].pk).meets_standard
    return CadrePost.objects.get(person=deputy, org=tree["firm"])


def test_ending_a_post_ends_it_and_refreshes_the_standard(tree, firm_with_two_complete_cadres):
    post = firm_with_two_complete_cadres
    end_post(actor=tree["province_admin"], post=post)
    post.refresh_from_db()
    assert post.ended_at is not None
    assert not Organization.objects.get(pk=tree["firm"].pk).meets_standard
    assert AuditEvent.objects.filter(action="cadre.end_post", actor=tree["province_admin"]).exists()


def test_ending_a_post_twice_is_refused(tree, firm_with_two_complete_cadres):
    post = firm_with_two_complete_cadres
    end_post(actor=tree["firm_admin"], post=post)
    with pytest.raises(ValidationError) as exc:
        end_post(actor=tree["firm_admin"], post=post)
    assert exc.value.code == "post_ended"


@pytest.mark.parametrize("outsider", ["b2_admin", "uni_admin"])
def test_ending_a_post_is_refused_outside_the_two_levels(tree, outsider):
    post = CadrePost.objects.get(person=tree["b1_admin"], org=tree["b1"])
    with pytest.raises(PermissionDenied):
        end_post(actor=tree[outsider], post=post)
    post.refresh_from_db()
    assert post.ended_at is None
    assert _denied(tree[outsider], "cadre.end_post").exists()
