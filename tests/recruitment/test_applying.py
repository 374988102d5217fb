"""R-REC-1, R-REC-2, R-REC-3, R-REC-15: applying, and closing an application."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from recruitment.models import Application, StageEvent
from recruitment.services import apply_to_join, close_application
from tests.factories import make_id_number

from .support import APPLIED, codes, new_application, new_member

pytestmark = pytest.mark.django_db


def _apply(tree, *, born, expected, branch="b1", actor=None, id_number=None):
    return apply_to_join(actor=actor or tree[f"{branch}_admin"], branch=tree[branch],
                         id_number=id_number or make_id_number(born), name="赵小青", applied_on=APPLIED,
                         expected_join_on=expected)


def test_it_records_an_application_with_its_first_timeline_row_and_audit_event(tree):
    application = new_application(tree)
    assert application.stage == "applied" and application.birth_date == dt.date(2010, 1, 1)
    event = StageEvent.objects.get(application=application)
    assert (event.action, event.from_stage, event.to_stage, event.actor_id) == ("apply", "", "applied",
                                                                                 tree["b1_admin"].pk)
    audit = AuditEvent.objects.get(action="recruitment.apply", target_id=str(application.pk))
    assert application.id_number not in audit.target_label  # R-AUTH-6: masked


def test_r_rec_3_the_day_before_the_14th_birthday_is_refused(tree):
    born = dt.date(2012, 3, 10)
    with pytest.raises(ValidationError) as exc:
        _apply(tree, born=born, expected=dt.date(2026, 3, 9))
    assert codes(exc.value) == {"recruit_age"}
    assert _apply(tree, born=born, expected=dt.date(2026, 3, 10)).stage == "applied"


def test_r_rec_3_the_day_of_the_28th_birthday_is_refused_the_day_before_accepted(tree):
    born = dt.date(1998, 3, 10)
    with pytest.raises(ValidationError) as exc:
        _apply(tree, born=born, expected=dt.date(2026, 3, 10))
    assert codes(exc.value) == {"recruit_age"}
    assert _apply(tree, born=born, expected=dt.date(2026, 3, 9)).stage == "applied"


def test_r_rec_2_an_id_number_on_record_goes_to_the_transfer_path(tree):
    member = new_member(tree["b2"])
    with pytest.raises(ValidationError) as exc:
        _apply(tree, born=None, expected=dt.date(2026, 3, 10), id_number=member.id_number)
    assert codes(exc.value) == {"id_registered"}
    assert "转接" in " ".join(exc.value.messages)


def test_r_rec_2_one_open_application_per_id_number_until_it_is_closed(tree):
    first = new_application(tree)
    with pytest.raises(ValidationError) as exc:
        _apply(tree, born=None, branch="b2", expected=dt.date(2026, 5, 4), id_number=first.id_number)
    assert codes(exc.value) == {"application_open"}
    close_application(actor=tree["b1_admin"], application=first, reason="本人撤回申请")
    again = _apply(tree, born=None, branch="b2", expected=dt.date(2026, 5, 4), id_number=first.id_number)
    assert again.stage == "applied"


def test_r_rec_2_the_database_holds_one_open_application_per_id_number(tree):
    first = new_application(tree)
    copy = Application(branch=tree["b2"], org_path=tree["b2"].path, name="x", id_number=first.id_number,
                       birth_date=first.birth_date, applied_on=APPLIED, expected_join_on=APPLIED)
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_r_rec_2_the_application_date_is_not_in_the_future(tree):
    with pytest.raises(ValidationError) as exc:
        apply_to_join(actor=tree["b1_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2010, 1, 1)),
                      name="钱", applied_on=dt.date.today() + dt.timedelta(days=2),
                      expected_join_on=dt.date.today() + dt.timedelta(days=90))
    assert "date_invalid" in codes(exc.value)


@pytest.mark.parametrize("who", ["b2_admin", "school_admin", "uni_admin"])
def test_r_rec_1_only_the_branch_s_own_admins_apply_and_the_refusal_is_audited(tree, who):
    with pytest.raises(PermissionDenied):
        _apply(tree, born=dt.date(2010, 1, 1), expected=dt.date(2026, 5, 4), actor=tree[who])
    assert not Application.objects.exists()
    assert AuditEvent.objects.filter(action="recruitment.apply", result="denied", actor=tree[who]).exists()


def test_r_rec_2_an_application_goes_to_a_branch_only(tree):
    with pytest.raises(ValidationError) as exc:
        apply_to_join(actor=tree["school_admin"], branch=tree["school"], id_number=make_id_number(dt.date(2010, 1, 1)),
                      name="孙", applied_on=APPLIED, expected_join_on=dt.date(2026, 5, 4))
    assert codes(exc.value) == {"org_type_not_allowed"}


def test_r_rec_15_closing_needs_a_reason_and_an_open_application(tree):
    application = new_application(tree)
    with pytest.raises(ValidationError) as exc:
        close_application(actor=tree["b1_admin"], application=application, reason="  ")
    assert codes(exc.value) == {"reason_required"}
    close_application(actor=tree["b1_admin"], application=application, reason="本人撤回")
    with pytest.raises(ValidationError) as exc:
        close_application(actor=tree["b1_admin"], application=application, reason="再次")
    assert codes(exc.value) == {"wrong_stage"}
