"""R-ENT-11: the age-exception request (the road to R-ENT-3), its services at their boundaries."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from members.models import AgeExceptionRequest, Person
from members.services import (
    enter_from_age_exception,
    enter_member,
    file_age_exception,
    forward_age_exceptions,
    refile_age_exception,
    return_age_exception,
    withdraw_age_exception,
)
from tests.factories import make_id_number
from transfers.models import Message

from .age_exception_support import JOINED, county, fields, filed, young_id
from .support import codes, denied

pytestmark = pytest.mark.django_db
Status = AgeExceptionRequest.Status


@pytest.fixture
def c(tree):
    return {**tree, **county(tree)}


def forwarded(c, req):
    forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    req.refresh_from_db()
    return req


# --- filing -----------------------------------------------------------------------------------------------

def test_the_recruiting_branch_files_and_the_province_admins_hear(c, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = filed(c)
    assert req.status == Status.FILED and req.province == c["province"] and req.filed_as == c["branch"]
    assert AuditEvent.objects.filter(action="age_exception.file", target_id=str(req.pk)).exists()
    assert Message.objects.filter(recipient=c["province_admin"], code="age_exception_filed").exists()


def test_the_county_level_committee_files_for_a_branch_below_it(c):
    req = file_age_exception(actor=c["county_admin"], acting_org=c["county"], branch=c["branch"], **fields())
    assert req.filed_as == c["county"]


@pytest.mark.parametrize("who", ["school", "province", "central"])
def test_it_refuses_anyone_but_the_branch_or_its_county_committee(c, who):
    with pytest.raises(PermissionDenied):
        file_age_exception(actor=c[f"{who}_admin"], acting_org=c[who], branch=c["branch"], **fields())
    assert denied(c[f"{who}_admin"], "age_exception.file")
    assert not AgeExceptionRequest.objects.exists()


def test_it_refuses_an_admin_acting_as_an_organization_they_do_not_hold(c):
    with pytest.raises(PermissionDenied):
        file_age_exception(actor=c["b1_admin"], acting_org=c["branch"], branch=c["branch"], **fields())


def test_someone_old_enough_needs_no_exception(c):
    # R-ENT-2's boundary: 13 full years on the joining day is enough, a day less is not.
    born = dt.date(2007, 5, 4)
    with pytest.raises(ValidationError) as exc:
        filed(c, id_number=make_id_number(born), joined_on=dt.date(2020, 5, 4))
    assert "age_exception_not_needed" in codes(exc.value)
    req = filed(c, id_number=make_id_number(born), joined_on=dt.date(2020, 5, 3))
    assert req.status == Status.FILED


def test_every_missing_field_is_named(c):
    with pytest.raises(ValidationError) as exc:
        filed(c, name="", phone="", joined_on=None, explanation="  ")
    assert set(exc.value.error_dict) >= {"name", "phone", "joined_on", "explanation"}


def test_an_id_number_on_record_is_refused(c, member):
    with pytest.raises(ValidationError) as exc:
        filed(c, id_number=member.id_number)
    assert "id_registered" in codes(exc.value)


def test_one_open_request_per_id_number(c):
    req = filed(c)
    with pytest.raises(ValidationError) as exc:
        file_age_exception(actor=c["county_admin"], acting_org=c["county"], branch=c["branch"],
                           **fields(id_number=req.id_number))
    assert "age_exception_open" in codes(exc.value)


def test_the_development_number_is_checked_when_filed(c):
    with pytest.raises(ValidationError) as exc:
        filed(c, development_number="201900000001")
    assert "dev_number_year" in codes(exc.value)


# --- the province -----------------------------------------------------------------------------------------

def test_the_province_forwards_its_requests_as_one_batch(c, django_capture_on_commit_callbacks):
    one, two = filed(c), filed(c, name="王小岁")
    with django_capture_on_commit_callbacks(execute=True):
        batch = forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"])
    assert batch.size == 2
    assert set(AgeExceptionRequest.objects.values_list("status", "batch")) == {(Status.FORWARDED, batch.pk)}
    assert AuditEvent.objects.filter(action="age_exception.forward").count() == 1
    assert Message.objects.filter(recipient=c["central_admin"], code="age_exception_batch").count() == 1
    assert Message.objects.filter(recipient=c["branch_admin"], code="age_exception_forwarded").exists()
    del one, two


def test_another_province_may_not_forward(c):
    filed(c)
    with pytest.raises(PermissionDenied):
        forward_age_exceptions(actor=c["xj_admin"], acting_org=c["province"])
    assert denied(c["xj_admin"], "age_exception.forward")
    with pytest.raises(ValidationError) as exc:  # its own province has none waiting
        forward_age_exceptions(actor=c["xj_admin"], acting_org=c["xj"])
    assert "age_exception_none" in codes(exc.value)
    assert AgeExceptionRequest.objects.get().status == Status.FILED


def test_a_county_may_not_forward(c):
    with pytest.raises(PermissionDenied):
        forward_age_exceptions(actor=c["county_admin"], acting_org=c["county"])


def test_forwarding_picks_among_the_waiting_only(c):
    one, two = filed(c), filed(c, name="王小岁")
    withdraw_age_exception(actor=c["branch_admin"], acting_org=c["branch"], age_request=two)
    batch = forward_age_exceptions(actor=c["province_admin"], acting_org=c["province"], request_ids=[one.pk, two.pk])
    assert batch.size == 1


def test_the_province_may_return_one_waiting_for_it(c):
    req = filed(c)
    return_age_exception(actor=c["province_admin"], acting_org=c["province"], age_request=req, reason="说明不清")
    req.refresh_from_db()
    assert req.status == Status.RETURNED and req.return_reason == "说明不清"


# --- the centre ---------------------------------------------------------------------------------------------

def test_the_centre_enters_the_person_in_one_action(c, django_capture_on_commit_callbacks):
    req = forwarded(c, filed(c))
    with django_capture_on_commit_callbacks(execute=True):
        person = enter_from_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req)
    req.refresh_from_db()
    assert req.status == Status.ENTERED and req.person == person and req.decided_by == c["central_admin"]
    # R-ENT-3: the explanation is kept on the record, with where it came from.
    assert req.explanation in person.override_reason and f"第 {req.pk} 号" in person.override_reason
    assert person.memberships.get(ended_at__isnull=True).branch == c["branch"]
    assert person.phone == "13800138000" and person.joined_on == JOINED
    assert AuditEvent.objects.filter(action="member.enter", target_id=str(person.pk)).exists()
    assert AuditEvent.objects.filter(action="age_exception.enter", target_id=str(req.pk)).exists()
    assert Message.objects.filter(recipient=c["branch_admin"], code="age_exception_entered").exists()


def test_a_second_click_does_not_enter_twice(c):
    req = forwarded(c, filed(c))
    enter_from_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req)
    with pytest.raises(ValidationError) as exc:
        enter_from_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req)
    assert "age_exception_state" in codes(exc.value)
    assert Person.objects.filter(id_number=req.id_number).count() == 1


def test_only_the_centre_enters(c):
    req = forwarded(c, filed(c))
    for who in ("province", "county", "branch"):
        with pytest.raises(PermissionDenied):
            enter_from_age_exception(actor=c[f"{who}_admin"], acting_org=c[who], age_request=req)
        assert denied(c[f"{who}_admin"], "age_exception.enter")
    # a central admin acting as another organization is refused too
    with pytest.raises(PermissionDenied):
        enter_from_age_exception(actor=c["central_admin"], acting_org=c["province"], age_request=req)
    assert not Person.objects.filter(id_number=req.id_number).exists()


def test_a_request_not_yet_forwarded_is_not_entered(c):
    req = filed(c)
    with pytest.raises(ValidationError) as exc:
        enter_from_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req)
    assert "age_exception_state" in codes(exc.value)


def test_someone_entered_meanwhile_refuses_the_whole_step(c):
    req = forwarded(c, filed(c))
    enter_member(actor=c["central_admin"], branch=c["branch"], id_number=req.id_number, name=req.name,
                 joined_on=req.joined_on, development_number="202000000999", override_reason="直接录入")
    with pytest.raises(ValidationError) as exc:
        enter_from_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req)
    assert "id_registered" in codes(exc.value)
    req.refresh_from_db()
    assert req.status == Status.FORWARDED and req.person is None


def test_the_centre_returns_with_a_reason_and_the_filer_refiles(c, django_capture_on_commit_callbacks):
    req = forwarded(c, filed(c))
    with pytest.raises(ValidationError) as exc:
        return_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req, reason=" ")
    assert "required" in codes(exc.value)
    with django_capture_on_commit_callbacks(execute=True):
        return_age_exception(actor=c["central_admin"], acting_org=c["central"], age_request=req, reason="缺少入团时间证明")
    assert Message.objects.filter(recipient=c["branch_admin"], code="age_exception_returned").exists()
    req.refresh_from_db()
    assert req.status == Status.RETURNED
    with pytest.raises(PermissionDenied):  # the county did not file it
        refile_age_exception(actor=c["county_admin"], acting_org=c["county"], age_request=req,
                             **fields(id_number=req.id_number))
    refile_age_exception(actor=c["branch_admin"], acting_org=c["branch"], age_request=req,
                         **fields(id_number=req.id_number, explanation="补充：入团志愿书存档可查。"))
    req.refresh_from_db()
    assert req.status == Status.FILED and req.batch is None and "补充" in req.explanation


def test_withdrawn_is_final_and_frees_the_id_number(c):
    req = filed(c)
    withdraw_age_exception(actor=c["branch_admin"], acting_org=c["branch"], age_request=req)
    with pytest.raises(ValidationError) as exc:
        withdraw_age_exception(actor=c["branch_admin"], acting_org=c["branch"], age_request=req)
    assert "age_exception_state" in codes(exc.value)
    assert filed(c, id_number=req.id_number).status == Status.FILED


def test_a_forwarded_request_is_not_withdrawn(c):
    req = forwarded(c, filed(c))
    with pytest.raises(ValidationError):
        withdraw_age_exception(actor=c["branch_admin"], acting_org=c["branch"], age_request=req)


def test_the_database_holds_one_open_request_per_id_number(c):
    from django.db import IntegrityError, transaction

    req = filed(c)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgeExceptionRequest.objects.create(**{f: getattr(req, f) for f in (
            "name", "id_number", "phone", "joined_on", "explanation", "org_path")},
            branch=req.branch, province=req.province, filed_as=req.filed_as)


def test_the_database_refuses_entered_without_a_person(c):
    from django.db import IntegrityError, transaction

    req = filed(c)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgeExceptionRequest.objects.filter(pk=req.pk).update(status=Status.ENTERED)


def test_young_id_is_refused_by_r_ent_2_as_the_helpers_say(c):
    with pytest.raises(ValidationError) as exc:
        enter_member(actor=c["branch_admin"], branch=c["branch"], id_number=young_id(), name="甲",
                     joined_on=JOINED, development_number="202000000555")
    assert "join_age" in codes(exc.value)
