"""R-ACC-4: failed logins are counted per normalized ID number and per client address (the real client behind
the configured proxies); five failures on one ID number lock that ID number from every address, and failures on
other ID numbers never lock an innocent person out."""
import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from members.services import enter_member
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

WRONG = "wrong-password"


def _post(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _locked(resp) -> bool:
    return resp.status_code == 429 or "registration/locked_out.html" in [t.name for t in resp.templates]


def _signed_in(client, person) -> bool:
    return client.session.get("_auth_user_id") == str(person.pk)


@pytest.fixture
def x_member(tree):
    """A member whose ID number ends in X: the spelling with a lower-case x must count as the same ID."""
    id_number = next(n for n in (make_id_number(dt.date(2003, 7, 9)) for _ in range(2000)) if n.endswith("X"))
    return enter_member(actor=tree["b1_admin"], branch=tree["b1"], id_number=id_number, name="李小红",
                        joined_on=dt.date(2016, 5, 4))


def test_five_failures_on_one_id_number_from_five_addresses_lock_it(client, member):
    for n in range(5):
        _post(client, member.id_number, WRONG, REMOTE_ADDR=f"203.0.113.{n + 1}")
    resp = _post(client, member.id_number, member.id_number[-8:], REMOTE_ADDR="198.51.100.9")
    assert _locked(resp) and not _signed_in(client, member)
    # Recorded under the ID number, one row per address (R-ACC-4: counted per ID number and per address).
    rows = AccessAttempt.objects.filter(username=member.id_number)
    assert {f"203.0.113.{n}" for n in range(1, 6)} <= set(rows.values_list("ip_address", flat=True))


def test_every_spelling_of_one_id_number_counts_as_that_id_number(client, x_member):
    id_number = x_member.id_number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in id_number)
    spellings = [id_number.lower(), f"  {id_number} ", full_width, f"{id_number[:6]} {id_number[6:]}", id_number]
    for n, spelling in enumerate(spellings):
        resp = _post(client, spelling, WRONG, REMOTE_ADDR=f"203.0.113.{n + 1}")
        assert _locked(resp) == (n == 4)  # the fifth failure locks
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {id_number}
    assert _locked(_post(client, id_number.lower(), id_number[-8:], REMOTE_ADDR="198.51.100.9"))
    assert not _signed_in(client, x_member)


def test_failures_on_other_id_numbers_never_lock_an_innocent_person_out(client, member):
    """Someone at the same address (a school's network, one proxy) fails on many other ID numbers."""
    for n in range(12):
        _post(client, make_id_number(dt.date(2001, 1, 1 + n)), WRONG)
    resp = _post(client, member.id_number, member.id_number[-8:])
    assert not _locked(resp)
    assert resp.status_code == 302 and _signed_in(client, member)


def test_a_first_typo_after_someone_elses_failures_is_not_a_lockout(client, member):
    for n in range(5):
        _post(client, make_id_number(dt.date(2001, 2, 1 + n)), WRONG)
    assert not _locked(_post(client, member.id_number, WRONG))
    assert _post(client, member.id_number, member.id_number[-8:]).status_code == 302


def test_a_locked_id_number_leaves_the_others_alone(client, member, x_member):
    for _ in range(5):
        _post(client, member.id_number, WRONG)
    assert _locked(_post(client, member.id_number, member.id_number[-8:]))
    resp = _post(client, x_member.id_number, x_member.id_number[-8:])
    assert resp.status_code == 302 and _signed_in(client, x_member)


def test_the_cool_off_is_never_permanent(settings):
    assert settings.AXES_COOLOFF_TIME and settings.AXES_COOLOFF_TIME <= dt.timedelta(hours=24)
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_behind_one_proxy_two_clients_are_counted_apart(client, member, settings):
    """The proxy at 10.0.0.2 appends the address it saw to X-Forwarded-For; whatever a client wrote before it
    is not trusted. Two clients behind it are two addresses, never the proxy's."""
    from config.settings.base import proxy_settings

    for name, value in proxy_settings(1).items():  # what DJANGO_PROXY_COUNT=1 sets
        setattr(settings, name, value)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    _post(client, member.id_number, WRONG, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    _post(client, member.id_number, WRONG, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.8", **proxy)  # 1.2.3.4 forged
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.8", "203.0.113.7"]


def test_the_proxy_count_setting_drives_the_address():
    """DJANGO_PROXY_COUNT=1 in production's environment trusts exactly one X-Forwarded-For hop."""
    from config.settings.base import proxy_settings

    assert proxy_settings(0) == {"AXES_IPWARE_PROXY_COUNT": None, "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",)}
    assert proxy_settings(1) == {"AXES_IPWARE_PROXY_COUNT": 0,
                                 "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")}
    assert proxy_settings(2)["AXES_IPWARE_PROXY_COUNT"] == 1


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(client, member):
    _post(client, member.id_number, WRONG, REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.20"]
