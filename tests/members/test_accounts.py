"""Accounts (R-ACC): the initial password, reset codes and the login lockout, at their boundaries."""
import contextlib
import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password, get_hasher
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from audit.context import client_ip
from members.models import Person, ResetCode
from members.services import enter_cadre, issue_reset_code, reset_password
from tests.factories import make_id_number

from .support import codes, denied

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qing-Chun-2026!"
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def _fresh(person) -> Person:
    return Person.objects.get(pk=person.pk)


def _reset_codes(exc) -> set[str]:
    return codes(exc.value)


# R-ACC-1: the initial password ---------------------------------------------------------------------------


def test_the_initial_password_is_the_last_8_characters_of_the_id_number(member):
    person = _fresh(member)
    assert person.check_password(member.id_number[-8:])
    assert not person.check_password(member.id_number[-7:])
    assert not person.check_password(member.id_number[-9:])
    assert not person.check_password("")
    assert person.must_change_password


def test_the_initial_password_stops_working_once_a_password_is_set(member):
    person = _fresh(member)
    person.set_password(NEW_PASSWORD)
    person.save()
    person = _fresh(member)
    assert person.check_password(NEW_PASSWORD)
    assert not person.check_password(member.id_number[-8:])
    assert not person.must_change_password


# R-ACC-2: who issues reset codes -------------------------------------------------------------------------


@pytest.mark.parametrize("admin", ["b1_admin", "school_admin"])
def test_the_admins_of_the_members_branch_and_of_its_direct_superior_issue_reset_codes(tree, member, admin):
    code = issue_reset_code(actor=tree[admin], person=member)
    live = ResetCode.objects.get(person=member, closed_at__isnull=True)
    assert live.issued_by_id == tree[admin].pk and check_password(code, live.code_hash)


@pytest.mark.parametrize("admin", ["b2_admin", "uni_admin", "fb_admin", "central_admin"])
def test_it_refuses_a_reset_code_from_a_sibling_a_grand_superior_or_an_outsider(tree, member, admin):
    with pytest.raises(PermissionDenied):
        issue_reset_code(actor=tree[admin], person=member)
    assert not ResetCode.objects.filter(person=member).exists()
    assert denied(tree[admin], "account.reset_code")


def test_it_refuses_a_reset_code_to_the_person_themself(member):
    with pytest.raises(PermissionDenied):
        issue_reset_code(actor=member, person=member)
    assert not ResetCode.objects.exists()


@pytest.mark.parametrize("admin, allowed", [("uni_admin", True), ("province_admin", True), ("school_admin", False)])
def test_a_cadre_of_a_committee_gets_codes_from_that_committee_or_its_superior(tree, admin, allowed):
    """R-ACC-2: for a cadre of another type, 'their organization' is the organization of the post."""
    cadre = enter_cadre(actor=None, org=tree["uni"], id_number=make_id_number(dt.date(1998, 3, 3)), name="赵书记",
                        title="委员")
    if allowed:
        assert issue_reset_code(actor=tree[admin], person=cadre)
    else:
        with pytest.raises(PermissionDenied):
            issue_reset_code(actor=tree[admin], person=cadre)


# R-ACC-2: the code itself ---------------------------------------------------------------------------------


def test_a_reset_code_is_not_stored_in_clear(tree, member):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    stored = ResetCode.objects.get(person=member)
    assert stored.code_hash != code and code not in stored.code_hash
    assert check_password(code, stored.code_hash)


def test_a_reset_code_sets_a_new_password_once(tree, member):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    person = _fresh(member)
    assert person.check_password(NEW_PASSWORD) and not person.must_change_password
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=code, new_password="Another-Pass-2026")
    assert _reset_codes(exc) == {"reset_code_invalid"}
    assert _fresh(member).check_password(NEW_PASSWORD)


def test_a_reset_code_is_typed_as_read(tree, member):
    """The ID number with a lower-case x or full-width digits, the code in lower case with spaces around."""
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    typed_id = "".join(chr(ord(c) + 0xFEE0) for c in member.id_number).lower()
    reset_password(id_number=typed_id, code=f"  {code.lower()} ", new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


def test_a_reset_code_works_for_its_own_person_only(tree, member):
    other = enter_cadre(actor=None, org=tree["b1"], id_number=make_id_number(dt.date(1998, 3, 3)), name="赵书记",
                        title="委员")
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=other.id_number, code=code, new_password=NEW_PASSWORD)
    assert _reset_codes(exc) == {"reset_code_invalid"}


def test_a_reset_code_lives_24_hours(tree, member):
    with mock.patch("django.utils.timezone.now", return_value=T0):
        issue_reset_code(actor=tree["b1_admin"], person=member)
    live = ResetCode.objects.get(person=member)
    assert (live.created_at, live.expires_at) == (T0, T0 + dt.timedelta(hours=24))


def test_a_reset_code_still_works_one_minute_before_24_hours(tree, member):
    with mock.patch("django.utils.timezone.now", return_value=T0):
        code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with mock.patch("django.utils.timezone.now", return_value=T0 + dt.timedelta(hours=24) - dt.timedelta(minutes=1)):
        reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


def test_a_reset_code_has_expired_at_24_hours_exactly(tree, member):
    with mock.patch("django.utils.timezone.now", return_value=T0):
        code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with mock.patch("django.utils.timezone.now", return_value=T0 + dt.timedelta(hours=24)):
        with pytest.raises(ValidationError) as exc:
            reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _reset_codes(exc) == {"reset_code_invalid"}
    assert _fresh(member).must_change_password


def test_a_new_code_replaces_the_old_one(tree, member):
    old = issue_reset_code(actor=tree["b1_admin"], person=member)
    new = issue_reset_code(actor=tree["school_admin"], person=member)
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=old, new_password=NEW_PASSWORD)
    assert _reset_codes(exc) == {"reset_code_invalid"}
    assert ResetCode.objects.filter(person=member, closed_at__isnull=True).count() == 1
    reset_password(id_number=member.id_number, code=new, new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


def _miss(member, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ValidationError):
            reset_password(id_number=member.id_number, code="WRONG23456", new_password=NEW_PASSWORD)


@contextlib.contextmanager
def _from(address: str):
    """The client address the middleware would set (audit.middleware.ClientAddressMiddleware)."""
    token = client_ip.set(address)
    try:
        yield
    finally:
        client_ip.reset(token)


def test_junk_guesses_from_one_address_are_refused_before_they_touch_the_code(tree, member, settings):
    """R-ACC-2: the address pays for its misses, not the person: past the limit its guesses are refused
    unchecked, and the code still works for its owner from another address."""
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with _from("203.0.113.66"):
        _miss(member, settings.RESET_CODE_GUESS_LIMIT)
        for guess in ("WRONG23456", code):  # refused unchecked, the right code included
            with pytest.raises(ValidationError) as exc:
                reset_password(id_number=member.id_number, code=guess, new_password=NEW_PASSWORD)
            assert _reset_codes(exc) == {"reset_code_throttled"}
    live = ResetCode.objects.get(person=member)
    assert live.closed_at is None and live.failed_attempts == settings.RESET_CODE_GUESS_LIMIT
    with _from("198.51.100.5"):
        reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


def test_misses_on_any_id_number_count_against_the_address(tree, member, settings):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with _from("203.0.113.67"):
        for n in range(settings.RESET_CODE_GUESS_LIMIT):
            with pytest.raises(ValidationError):
                reset_password(id_number=make_id_number(dt.date(2001, 1, 1 + n)), code=code, new_password=NEW_PASSWORD)
        with pytest.raises(ValidationError) as exc:
            reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _reset_codes(exc) == {"reset_code_throttled"}


def test_an_address_may_guess_again_after_the_window(tree, member, settings):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with _from("203.0.113.68"):
        _miss(member, settings.RESET_CODE_GUESS_LIMIT)
    later = timezone.now() + settings.RESET_CODE_GUESS_WINDOW + dt.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later), _from("203.0.113.68"):
        reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


def test_the_code_closes_only_after_misses_from_many_addresses(tree, member, settings):
    """R-ACC-2: a guessing campaign spread over RESET_CODE_CLOSE_AFTER_ADDRESSES addresses closes the code
    (the admin issues a new one); fewer addresses, however many misses, leave it alive."""
    settings.RESET_CODE_CLOSE_AFTER_ADDRESSES = 3
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    for n in (1, 2):
        with _from(f"203.0.113.{n}"):
            _miss(member, settings.RESET_CODE_GUESS_LIMIT)
    assert ResetCode.objects.get(person=member).closed_at is None
    with _from("203.0.113.3"):
        _miss(member, 1)
    assert ResetCode.objects.get(person=member).closed_at is not None
    with _from("198.51.100.5"), pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _reset_codes(exc) == {"reset_code_invalid"}


@contextlib.contextmanager
def _hasher_calls():
    """Every call of the configured hasher's verify and encode, whoever makes it."""
    hasher = type(get_hasher())
    calls = []
    verify, encode = hasher.verify, hasher.encode

    def counted_verify(self, *args, **kwargs):
        calls.append("verify")
        return verify(self, *args, **kwargs)

    def counted_encode(self, *args, **kwargs):
        calls.append("encode")
        return encode(self, *args, **kwargs)

    with mock.patch.object(hasher, "verify", counted_verify), mock.patch.object(hasher, "encode", counted_encode):
        yield calls


def _forgot(client, id_number, code="WRONG23456", **extra):
    return client.post(reverse("forgot_password"), {"id_number": id_number, "code": code,
                                                    "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
                       **extra)


def test_forgot_password_hashes_as_often_whether_or_not_a_live_code_exists(client, tree, member):
    """R-ACC-2: no timing oracle. A wrong code for an ID number with a live code, for one without, and for an
    ID number not on record cost the same hasher calls (the real hasher makes each call ~1 s)."""
    other = enter_cadre(actor=None, org=tree["b1"], id_number=make_id_number(dt.date(1998, 3, 3)), name="赵书记",
                        title="委员")
    issue_reset_code(actor=tree["b1_admin"], person=member)
    unknown = make_id_number(dt.date(2001, 1, 1))
    _forgot(client, unknown, "WARMUP2345")  # a process makes its stand-in hash once
    counts = {}
    for label, id_number in (("live", member.id_number), ("none", other.id_number), ("unknown", unknown)):
        with _hasher_calls() as calls:
            resp = _forgot(client, id_number)
        assert resp.status_code == 200 and "重置码不正确" in resp.content.decode(), label
        counts[label] = sorted(calls)
    assert counts["live"] == counts["none"] == counts["unknown"] and "verify" in counts["live"]


def test_the_forgot_password_page_limits_the_address_it_is_served_to(client, tree, member, settings):
    """The address comes from the request (axes' resolver, via the audit middleware), not from the ID number."""
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    for _ in range(settings.RESET_CODE_GUESS_LIMIT):
        _forgot(client, member.id_number, REMOTE_ADDR="203.0.113.80")
    resp = _forgot(client, member.id_number, code, REMOTE_ADDR="203.0.113.80")
    assert resp.status_code == 200 and "尝试次数过多" in resp.content.decode()
    resp = _forgot(client, member.id_number, code, REMOTE_ADDR="198.51.100.80")
    assert resp.status_code == 302 and _fresh(member).check_password(NEW_PASSWORD)


# New passwords: not blank, not the current one -------------------------------------------------------------


@pytest.mark.parametrize("blank", [" " * 8, "\t" * 10, "\u3000" * 8])
def test_reset_password_refuses_a_blank_password(tree, member, blank):
    reset_code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=reset_code, new_password=blank)
    assert "password_blank" in _reset_codes(exc)


def test_reset_password_refuses_the_current_password(tree, member):
    person = _fresh(member)
    person.set_password(NEW_PASSWORD)
    person.save()
    reset_code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=reset_code, new_password=NEW_PASSWORD)
    assert "password_unchanged" in _reset_codes(exc)
    reset_password(id_number=member.id_number, code=reset_code, new_password="Another-Pass-2026")
    assert _fresh(member).check_password("Another-Pass-2026")


def _change(client, old, new):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})


def test_the_password_change_page_refuses_eight_spaces(client_as, member):
    client = client_as(member)  # the password is "Tuan-2026-strong"
    resp = _change(client, "Tuan-2026-strong", " " * 8)
    assert resp.status_code == 200
    assert "password_blank" in {e.code for e in resp.context["form"].errors.as_data()["new_password2"]}
    assert _fresh(member).check_password("Tuan-2026-strong")


def test_the_password_change_page_refuses_the_current_password(client_as, member):
    client = client_as(member)
    resp = _change(client, "Tuan-2026-strong", "Tuan-2026-strong")
    assert resp.status_code == 200
    assert "password_unchanged" in {e.code for e in resp.context["form"].errors.as_data()["new_password2"]}
    assert _change(client, "Tuan-2026-strong", NEW_PASSWORD).status_code == 302
    assert _fresh(member).check_password(NEW_PASSWORD)


def test_four_wrong_attempts_leave_the_code_usable(tree, member):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    _miss(member, 4)
    reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("password, code", [
    ("Ab1!xyz", "password_too_short"),
    ("12345678901", "password_entirely_numeric"),
    ("password123", "password_too_common"),
])
def test_reset_password_runs_djangos_password_validators(tree, member, password, code):
    reset_code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=reset_code, new_password=password)
    assert code in _reset_codes(exc)
    assert _fresh(member).must_change_password


@pytest.mark.parametrize("take", [slice(0, 6), slice(6, 14), slice(-6, None), slice(-8, None)])
def test_reset_password_refuses_a_password_holding_6_consecutive_characters_of_the_id_number(tree, member, take):
    reset_code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with pytest.raises(ValidationError) as exc:
        reset_password(id_number=member.id_number, code=reset_code, new_password=f"Tuan-{member.id_number[take]}-qc")
    assert "password_has_id_digits" in _reset_codes(exc)


def test_a_refused_new_password_does_not_use_up_the_code(tree, member):
    reset_code = issue_reset_code(actor=tree["b1_admin"], person=member)
    with pytest.raises(ValidationError):
        reset_password(id_number=member.id_number, code=reset_code, new_password="short")
    reset_password(id_number=member.id_number, code=reset_code, new_password=NEW_PASSWORD)
    assert _fresh(member).check_password(NEW_PASSWORD)


# Login lockout (django-axes) -------------------------------------------------------------------------------


def _login(client, person, password):
    return client.post(reverse("login"), {"username": person.id_number, "password": password})


def _is_locked_out(resp) -> bool:
    return resp.status_code == 429 or "registration/locked_out.html" in [t.name for t in resp.templates]


def test_five_failed_logins_lock_the_id_number_even_against_the_right_password(client, member):
    for _ in range(5):
        _login(client, member, "wrong-password")
    resp = _login(client, member, member.id_number[-8:])
    assert _is_locked_out(resp)
    assert "_auth_user_id" not in client.session


def test_four_failed_logins_do_not_lock(client, member):
    for _ in range(4):
        assert not _is_locked_out(_login(client, member, "wrong-password"))
    resp = _login(client, member, member.id_number[-8:])
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(member.pk)


def test_a_successful_login_resets_the_count_of_failures(client, member):
    for _ in range(4):
        _login(client, member, "wrong-password")
    assert _login(client, member, member.id_number[-8:]).status_code == 302
    client.logout()
    for _ in range(4):
        assert not _is_locked_out(_login(client, member, "wrong-password"))
    resp = _login(client, member, member.id_number[-8:])
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(member.pk)


def test_the_lockout_ends_after_the_cool_off_time(client, member, settings):
    """Locked for AXES_COOLOFF_TIME, never for good: the failures are moved back past it."""
    from axes.models import AccessAttempt

    for _ in range(5):
        _login(client, member, "wrong-password")
    assert _is_locked_out(_login(client, member, member.id_number[-8:]))
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
    resp = _login(client, member, member.id_number[-8:])
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(member.pk)
