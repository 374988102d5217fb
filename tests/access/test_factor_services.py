"""R-ACC-5: the second-factor services — enrolment, codes, backup codes, the limit on wrong codes, and a
custodian's reset (R-AUTH-7), each audited."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from access import services
from access.factors import authenticator_of, new_key, otpauth_uri
from access.services import enrol_authenticator, reset_second_factor, verify_code
from audit.models import AuditEvent
from tests.factories.otp import next_code, totp_code, wrong_code
from transfers.models import Message

pytestmark = pytest.mark.django_db


def codes_of(exc) -> set[str]:
    return {e.code for e in exc.error_list}


@pytest.fixture
def admin(tree):
    return tree["b1_admin"]


@pytest.fixture
def enrolled(admin):
    """The admin after enrolment: their authenticator and their 10 backup codes."""
    key = new_key()
    device, codes = enrol_authenticator(actor=admin, key=key, code=totp_code(key), session_verified=False)
    return device, codes


def audited(person, action, result="denied"):
    return AuditEvent.objects.filter(actor=person, action=action, result=result)


# enrolment ---------------------------------------------------------------------------------------------------


def test_it_creates_a_confirmed_device_only_after_a_correct_code(admin):
    key = new_key()
    with pytest.raises(ValidationError) as exc:
        enrol_authenticator(actor=admin, key=key, code=wrong_code(totp_code(key)), session_verified=False)
    assert codes_of(exc.value) == {"otp_invalid"}
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert not StaticDevice.objects.filter(user=admin).exists()

    device, codes = enrol_authenticator(actor=admin, key=key, code=totp_code(key), session_verified=False)
    device.refresh_from_db()
    assert device.confirmed and device.key == key and device.user_id == admin.pk
    assert len(codes) == 10 and len(set(codes)) == 10 and all(len(c) == 10 and c.isdigit() for c in codes)
    assert set(StaticToken.objects.filter(device__user=admin).values_list("token", flat=True)) == set(codes)
    assert audited(admin, "account.otp_enrol", "ok").count() == 1


def test_a_wrong_code_at_enrolment_is_audited(admin):
    key = new_key()
    with pytest.raises(ValidationError):
        enrol_authenticator(actor=admin, key=key, code="000000" if totp_code(key) != "000000" else "111111",
                            session_verified=False)
    event = audited(admin, "account.otp_fail").get()
    assert event.detail["step"] == "enrol"


def test_it_accepts_a_code_one_step_off_for_a_slow_clock(admin):
    key = new_key()
    device, _codes = enrol_authenticator(actor=admin, key=key, code=totp_code(key, offset=-1), session_verified=False)
    assert device.confirmed


def test_a_member_has_nothing_to_enrol(member):
    key = new_key()
    with pytest.raises(PermissionDenied):
        enrol_authenticator(actor=member, key=key, code=totp_code(key), session_verified=False)
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert audited(member, "account.otp_enrol").exists()


def test_a_password_alone_never_replaces_a_factor(admin, enrolled):
    device, _codes = enrolled
    key = new_key()
    with pytest.raises(PermissionDenied):
        enrol_authenticator(actor=admin, key=key, code=totp_code(key), session_verified=False)
    assert authenticator_of(admin) == device
    assert audited(admin, "account.otp_enrol").count() == 1  # the refusal, beside the first enrolment


def test_re_enrolment_replaces_the_app_and_every_backup_code(admin, enrolled):
    old_device, old_codes = enrolled
    key = new_key()
    device, codes = enrol_authenticator(actor=admin, key=key, code=totp_code(key), session_verified=True)
    assert list(TOTPDevice.objects.filter(user=admin)) == [device]
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert not set(old_codes) & set(StaticToken.objects.filter(device__user=admin).values_list("token", flat=True))
    with pytest.raises(ValidationError):
        verify_code(actor=admin, code=old_codes[0])
    assert AuditEvent.objects.filter(actor=admin, action="account.otp_enrol", result="ok").last().detail["replaced"]


def test_the_owner_is_told_of_an_enrolment(admin, django_capture_on_commit_callbacks):
    key = new_key()
    with django_capture_on_commit_callbacks(execute=True):
        enrol_authenticator(actor=admin, key=key, code=totp_code(key), session_verified=False)
    message = Message.objects.get(recipient=admin)
    assert message.event == "otp_enrolled" and "身份验证器" in message.text


def test_the_app_names_the_person_never_the_id_number(admin):
    uri = otpauth_uri(key_hex=new_key(), account=admin.name)
    assert uri.startswith("otpauth://totp/") and "issuer=" in uri
    assert admin.id_number not in uri and admin.id_number[-6:] not in uri


# codes -------------------------------------------------------------------------------------------------------


def test_a_code_of_the_app_verifies(admin, enrolled):
    device, _codes = enrolled
    assert verify_code(actor=admin, code=next_code(device)) == device
    event = audited(admin, "account.otp_verify", "ok").get()
    assert event.detail["kind"] == "totp"


def test_a_code_is_accepted_once(admin, enrolled):
    device, _codes = enrolled
    code = next_code(device)
    verify_code(actor=admin, code=code)
    with pytest.raises(ValidationError):
        verify_code(actor=admin, code=code)


def test_a_wrong_code_is_refused_and_audited(admin, enrolled):
    device, _codes = enrolled
    with pytest.raises(ValidationError) as exc:
        verify_code(actor=admin, code=wrong_code(next_code(device)))
    assert codes_of(exc.value) == {"otp_invalid"}
    event = audited(admin, "account.otp_fail").get()
    assert event.detail["step"] == "verify" and event.target_id == str(admin.pk)


def test_a_backup_code_works_once(admin, enrolled):
    _device, codes = enrolled
    typed = f"{codes[3][:5]} {codes[3][5:]}"  # as the page shows it, with its space
    accepted = verify_code(actor=admin, code=typed)
    assert isinstance(accepted, StaticDevice)
    assert AuditEvent.objects.get(actor=admin, action="account.otp_verify").detail == {
        "kind": "backup", "backup_codes_left": 9}
    with pytest.raises(ValidationError):
        verify_code(actor=admin, code=codes[3])
    assert StaticToken.objects.filter(device__user=admin).count() == 9


def test_full_width_digits_are_read_as_digits(admin, enrolled):
    device, _codes = enrolled
    code = next_code(device)
    assert verify_code(actor=admin, code=code.translate(str.maketrans("0123456789", "０１２３４５６７８９")))


def test_someone_elses_code_is_no_code(admin, enrolled, tree):
    _device, codes = enrolled
    with pytest.raises(ValidationError):
        verify_code(actor=tree["b2_admin"], code=codes[0])


def test_five_wrong_codes_then_even_the_right_one_waits(admin, enrolled, monkeypatch):
    device, _codes = enrolled
    for _ in range(5):
        with pytest.raises(ValidationError):
            verify_code(actor=admin, code=wrong_code(next_code(device)))
    with pytest.raises(ValidationError) as exc:
        verify_code(actor=admin, code=next_code(device))
    assert codes_of(exc.value) == {"otp_throttled"}
    assert audited(admin, "account.otp_throttled").count() == 1
    assert audited(admin, "account.otp_fail").count() == 5  # the refusal unchecked is not counted again

    later = timezone.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    assert verify_code(actor=admin, code=next_code(device)) == device


def test_a_success_starts_the_count_again(admin, enrolled):
    device, _codes = enrolled
    for _ in range(4):
        with pytest.raises(ValidationError):
            verify_code(actor=admin, code=wrong_code(next_code(device)))
    verify_code(actor=admin, code=next_code(device))
    for _ in range(4):
        with pytest.raises(ValidationError) as exc:
            verify_code(actor=admin, code=wrong_code(next_code(device)))
        assert codes_of(exc.value) == {"otp_invalid"}


def test_one_persons_wrong_codes_never_hold_up_another(admin, enrolled, tree):
    for _ in range(6):
        with pytest.raises(ValidationError):
            verify_code(actor=tree["b2_admin"], code="123456")
    device, _codes = enrolled
    assert verify_code(actor=admin, code=next_code(device)) == device


# reset by a custodian (R-AUTH-7) -----------------------------------------------------------------------------


def test_a_custodian_resets_it_audited_and_the_owner_is_told(admin, enrolled, tree, django_capture_on_commit_callbacks):
    boss = tree["school_admin"]  # the admin of the direct superior of the owner's branch
    with django_capture_on_commit_callbacks(execute=True):
        reset_second_factor(actor=boss, acting_org=tree["school"], person=admin)
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert not StaticDevice.objects.filter(user=admin).exists()
    event = AuditEvent.objects.get(action="account.otp_reset")
    assert (event.actor, event.acting_org, event.target_id, event.result) == (boss, tree["school"], str(admin.pk), "ok")
    told = Message.objects.get(recipient=admin, event="otp_reset")
    assert boss.name in told.text and tree["school"].full_name in told.text
    assert told.link == "/two-factor/enrol/"


@pytest.mark.parametrize("who, acting", [
    ("b2_admin", "b2"),        # a sibling branch: no reach
    ("fb_admin", "fb"),        # another committee's branch
    ("b1_admin", "b1"),        # themself: nobody takes custody of their own account
])
def test_anyone_without_custody_is_refused_and_audited(admin, enrolled, tree, who, acting):
    with pytest.raises(PermissionDenied):
        reset_second_factor(actor=tree[who], acting_org=tree[acting], person=admin)
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert AuditEvent.objects.get(action="account.otp_reset").result == "denied"
    assert not Message.objects.filter(recipient=admin, event="otp_reset").exists()


def test_nobody_resets_an_admin_above_them(tree):
    above = tree["school_admin"]
    key = new_key()
    enrol_authenticator(actor=above, key=key, code=totp_code(key), session_verified=False)
    with pytest.raises(PermissionDenied):
        reset_second_factor(actor=tree["b1_admin"], acting_org=tree["b1"], person=above)
    assert TOTPDevice.objects.filter(user=above).exists()


def test_it_refuses_to_act_as_an_organization_not_ones_own(admin, enrolled, tree):
    with pytest.raises(PermissionDenied):
        reset_second_factor(actor=tree["school_admin"], acting_org=tree["uni"], person=admin)


def test_a_reset_of_nothing_says_so(tree):
    with pytest.raises(ValidationError) as exc:
        reset_second_factor(actor=tree["school_admin"], acting_org=tree["school"], person=tree["b1_admin"])
    assert codes_of(exc.value) == {"otp_no_device"}
    assert not AuditEvent.objects.filter(action="account.otp_reset").exists()
