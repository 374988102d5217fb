"""R-ACC-5 (issue 12): a session ends after 30 minutes without activity and 12 hours after sign-in (config/sessions.py),
the keep-alive call renews it, sign-out ends it on the server, and a password change ends the person's other
sessions while keeping the current one. Time is moved by rewriting the session's own stamps."""
import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from config.sessions import LAST_ACTIVITY, SIGNED_IN_AT, now
from members.models import Person
from members.services import issue_reset_code, reset_password

pytestmark = pytest.mark.django_db

PASSWORD = "Tuan-2026-strong"
NEW_PASSWORD = "Qing-Chun-2026!"
MINUTE, HOUR = 60, 3600


def _signed_in(member) -> Client:
    """A client of its own, signed in through the login form (each client is one browser, one session)."""
    if not member.password_set:
        member.set_password(PASSWORD)
        member.save(update_fields=["password", "password_set"])
    client = Client()
    resp = client.post(reverse("login"), {"username": member.id_number, "password": PASSWORD})
    assert resp.status_code == 302 and resp.url == reverse("home")
    return client


def _set(client, **stamps):
    """Move the session's stamps into the past: last_activity=29 * MINUTE means 29 minutes ago."""
    session = client.session
    keys = {"last_activity": LAST_ACTIVITY, "signed_in": SIGNED_IN_AT}
    for name, seconds_ago in stamps.items():
        session[keys[name]] = now() - seconds_ago
    session.save()
    return session.session_key


def _is_signed_in(client) -> bool:
    resp = client.get(reverse("home"))
    if resp.status_code == 302:
        assert resp.url.startswith(reverse("login"))
        return False
    assert resp.status_code == 200
    return True


# Idle time ------------------------------------------------------------------------------------------------------

def test_the_sign_in_request_stamps_the_session(member):
    client = _signed_in(member)
    session = client.session
    assert now() - 5 < session[SIGNED_IN_AT] <= now()
    assert now() - 5 < session[LAST_ACTIVITY] <= now()


def test_29_minutes_59_seconds_without_activity_keep_the_session(member):
    client = _signed_in(member)
    _set(client, last_activity=30 * MINUTE - 1)
    assert _is_signed_in(client)


def test_30_minutes_without_activity_end_the_session_on_the_server(member):
    client = _signed_in(member)
    key = _set(client, last_activity=30 * MINUTE)
    assert not _is_signed_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(reverse("login"))
    assert "您已 30 分钟没有操作，为了安全已自动退出登录，请重新登录。" in page.content.decode()


def test_the_idle_timeout_is_a_setting(member, settings):
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=10)
    client = _signed_in(member)
    _set(client, last_activity=10 * MINUTE - 1)
    assert _is_signed_in(client)
    _set(client, last_activity=10 * MINUTE)
    assert not _is_signed_in(client)


def test_a_request_renews_the_idle_time(member):
    client = _signed_in(member)
    _set(client, last_activity=29 * MINUTE)
    assert _is_signed_in(client)
    assert now() - client.session[LAST_ACTIVITY] < 5
    _set(client, last_activity=29 * MINUTE)  # 29 more minutes: 58 since sign-in, still in
    assert _is_signed_in(client)


def test_activity_is_written_at_most_once_a_minute(member):
    client = _signed_in(member)
    stamp = now() - 59
    session = client.session
    session[LAST_ACTIVITY] = stamp
    session.save()
    assert _is_signed_in(client)
    assert client.session[LAST_ACTIVITY] == stamp  # not rewritten: the session row is left alone
    _set(client, last_activity=MINUTE)
    assert _is_signed_in(client)
    assert now() - client.session[LAST_ACTIVITY] < 5


# Absolute lifetime -------------------------------------------------------------------------------------------

def test_activity_does_not_extend_the_session_past_12_hours(member):
    client = _signed_in(member)
    _set(client, signed_in=12 * HOUR - 1, last_activity=0)
    assert _is_signed_in(client)
    key = _set(client, signed_in=12 * HOUR, last_activity=0)
    assert not _is_signed_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    assert "本次登录已满 12 小时" in client.get(reverse("login")).content.decode()


def test_the_keep_alive_call_does_not_extend_the_absolute_lifetime(member):
    client = _signed_in(member)
    _set(client, signed_in=12 * HOUR - 10)
    resp = client.post(reverse("session_keepalive"))
    assert resp.status_code == 200 and resp.json()["absolute_left"] <= 10
    _set(client, signed_in=12 * HOUR)
    assert client.post(reverse("session_keepalive")).status_code == 401


def test_the_absolute_lifetime_is_a_setting(member, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = dt.timedelta(hours=1)
    client = _signed_in(member)
    _set(client, signed_in=HOUR, last_activity=0)
    assert not _is_signed_in(client)


# The keep-alive call ------------------------------------------------------------------------------------------

def test_continuing_renews_the_idle_time(member):
    client = _signed_in(member)
    _set(client, last_activity=29 * MINUTE + 30)
    resp = client.post(reverse("session_keepalive"))
    assert resp.status_code == 200
    data = resp.json()
    assert data["signed_in"] and 30 * MINUTE - 5 <= data["idle_left"] <= 30 * MINUTE
    assert data["csrf"]
    _set(client, last_activity=29 * MINUTE)  # were it not renewed, this would be 58 minutes without activity
    assert _is_signed_in(client)


def test_asking_how_long_is_left_renews_nothing(member):
    client = _signed_in(member)
    _set(client, last_activity=20 * MINUTE)
    data = client.get(reverse("session_keepalive")).json()
    assert data["signed_in"] and 10 * MINUTE - 5 <= data["idle_left"] <= 10 * MINUTE
    assert now() - client.session[LAST_ACTIVITY] >= 20 * MINUTE


def test_the_keep_alive_call_answers_401_once_the_session_has_ended(member, client):
    assert client.get(reverse("session_keepalive")).status_code == 401
    signed_in = _signed_in(member)
    _set(signed_in, last_activity=30 * MINUTE)
    resp = signed_in.post(reverse("session_keepalive"))
    assert resp.status_code == 401 and resp.json() == {"signed_in": False}


def test_the_keep_alive_call_needs_the_csrf_token(member):
    client = _signed_in(member)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(reverse("session_keepalive")).status_code == 403
    token = strict.get(reverse("session_keepalive")).json()["csrf"]
    assert strict.post(reverse("session_keepalive"), headers={"X-CSRFToken": token}).status_code == 200


def test_the_keep_alive_call_is_open_before_the_first_password_is_set(member):
    client = Client()
    client.post(reverse("login"), {"username": member.id_number, "password": member.id_number[-8:]})
    assert client.get(reverse("home")).url == reverse("password_change")  # R-ACC-1 still sends them there
    assert client.post(reverse("session_keepalive")).status_code == 200


def test_pages_with_forms_carry_the_warning_and_its_numbers(member, settings):
    client = _signed_in(member)
    html = client.get(reverse("password_change")).content.decode()
    assert 'id="session-notice"' in html and 'js/session.js' in html
    assert 'data-idle-left="1800"' in html or 'data-idle-left="1799"' in html
    assert 'data-warn-before="120"' in html
    assert f'data-keepalive="{reverse("session_keepalive")}"' in html
    assert "继续" in html
    anonymous = Client().get(reverse("login")).content.decode()
    assert 'id="session-notice"' not in anonymous and "js/session.js" not in anonymous


# Sign-out and password changes --------------------------------------------------------------------------------

def test_sign_out_ends_the_session_on_the_server(member):
    client = _signed_in(member)
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key  # whoever kept a copy of the cookie
    assert not _is_signed_in(replay)


def test_a_password_change_keeps_this_session_and_ends_the_others(member):
    here, elsewhere = _signed_in(member), _signed_in(member)
    assert here.cookies["sessionid"].value != elsewhere.cookies["sessionid"].value
    resp = here.post(reverse("password_change"),
                     {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302
    assert _is_signed_in(here)  # update_session_auth_hash: the current session carries the new hash
    assert not _is_signed_in(elsewhere)  # its stored hash is the old password's: Django flushes it


def test_a_reset_code_ends_every_session(tree, member):
    signed_in = _signed_in(member)
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    reset_password(id_number=member.id_number, code=code, new_password=NEW_PASSWORD)
    assert Person.objects.get(pk=member.pk).check_password(NEW_PASSWORD)
    assert not _is_signed_in(signed_in)
