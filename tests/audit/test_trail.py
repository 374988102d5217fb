"""R-TR-16: what the trail must hold beyond the services' own writes, one test per action: signing in and out,
failed sign-ins and lockouts (Django's and django-axes' signals, audit/signin.py), the second factor (written by
access/services.py), every export with what, how many rows and which filters, every whole-ID reveal and every
reset code. R-AUTH-6: none of them holds a whole ID number."""
import datetime as dt
import io
import json
import re
from binascii import unhexlify

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import TOTP
from openpyxl import load_workbook

from access.factors import new_key
from access.services import enrol_authenticator, reset_second_factor, verify_code
from audit.models import AuditEvent
from tests.factories import make_id_number
from transfers.services import apply_for_transfer

pytestmark = pytest.mark.django_db

WHOLE_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
WRONG = "wrong-password"


def _only(action) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def _no_whole_id(event):
    text = event.target_label + json.dumps(event.detail, ensure_ascii=False)
    assert not WHOLE_ID.search(text), text


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


# sign-in ----------------------------------------------------------------------------------------------------

def test_signing_in_is_audited(client, member):
    assert _login(client, member.id_number, member.id_number[-8:]).status_code == 302
    event = _only("auth.login")
    assert event.actor == member and event.target_id == str(member.pk) and event.result == "ok"
    assert event.ip == "127.0.0.1"
    _no_whole_id(event)


def test_signing_out_is_audited(client, member):
    _login(client, member.id_number, member.id_number[-8:])
    client.post(reverse("logout"))
    event = _only("auth.logout")
    assert event.actor == member and event.target_id == str(member.pk)


def test_a_failed_sign_in_is_audited_with_the_id_number_masked(client, member):
    _login(client, member.id_number.lower(), WRONG)
    event = _only("auth.login_failed")
    assert event.result == "denied" and event.actor is None
    assert event.target_type == "person" and event.target_id == str(member.pk)  # the ID number as axes counts it
    assert event.detail["login"] == member.id_number[:6] + "*" * 11 + member.id_number[-1].lower()
    _no_whole_id(event)


def test_a_failed_sign_in_on_a_mistyped_number_keeps_no_long_run_of_it(client, db):
    typed = make_id_number()[:17]  # one character short: not an ID number, still most of one
    _login(client, typed, WRONG)
    event = _only("auth.login_failed")
    assert event.target_id == "" and event.detail["login"] == typed[:6] + "*" * 10 + typed[-1]


def test_a_lockout_is_audited(client, member):
    for _ in range(5):
        _login(client, member.id_number, WRONG)
    event = AuditEvent.objects.filter(action="auth.locked_out").first()
    assert event is not None and event.result == "denied" and event.target_id == str(member.pk)
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5
    _no_whole_id(event)


# the second factor (R-ACC-5, access/services.py) ------------------------------------------------------------

def _code(key: str) -> str:
    return f"{TOTP(unhexlify(key), step=30, digits=6).token():06d}"


def test_enrolling_a_second_factor_is_audited(tree):
    admin = tree["b1_admin"]
    key = new_key()
    enrol_authenticator(actor=admin, key=key, code=_code(key), session_verified=False)
    event = _only("account.otp_enrol")
    assert event.actor == admin and event.target_id == str(admin.pk) and event.result == "ok"


def test_a_wrong_second_factor_code_is_audited(tree):
    admin = tree["b1_admin"]
    key = new_key()
    enrol_authenticator(actor=admin, key=key, code=_code(key), session_verified=False)
    wrong = f"{(int(_code(key)) + 500_000) % 1_000_000:06d}"
    with pytest.raises(ValidationError):
        verify_code(actor=admin, code=wrong)
    event = _only("account.otp_fail")
    assert event.actor == admin and event.result == "denied"


def test_resetting_someones_second_factor_is_audited(tree):
    key = new_key()
    enrol_authenticator(actor=tree["b1_admin"], key=key, code=_code(key), session_verified=False)
    reset_second_factor(actor=tree["school_admin"], acting_org=tree["school"], person=tree["b1_admin"])
    event = _only("account.otp_reset")
    assert event.actor == tree["school_admin"] and event.acting_org == tree["school"]
    assert event.target_id == str(tree["b1_admin"].pk)


# exports: what, how many rows, which filters ----------------------------------------------------------------

def _data_rows(content: bytes, *, sheet: int = 0, above: int = 2) -> int:
    """Rows of one sheet under its title and header rows."""
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[sheet]
    return sum(1 for _ in ws.iter_rows()) - above


EXPORTS = {
    # action: (url name, query, (sheet, rows above the data), filters expected in the detail)
    "export.members": ("imports:export_members", {"q": "张"}, (0, 2), {"query": "张"}),
    "export.cadres": ("imports:export_cadres", {"incomplete": "1"}, (0, 2), {"incomplete": True, "branches": True}),
    "export.roster": ("reports:roster_export", {"week": "2026-W11"}, (1, 2), {"week": "2026-W11"}),
    "export.graduates": ("reports:graduation_export", {"year": "2026", "state": "pending"}, (0, 2),
                         {"year": 2026, "state": "pending"}),
    "export.transfers": ("transfers:history_export", {"status": "pending"}, (0, 1), {"status": "pending"}),
    "export.audit": ("reports:audit_export", {"action": "transfer."}, (0, 2), {"action": "transfer."}),
}


@pytest.mark.parametrize("action", list(EXPORTS))
def test_every_export_is_audited_with_its_row_count_and_filters(client_as, tree, member, action):
    apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    name, query, (sheet, above), filters = EXPORTS[action]
    resp = client_as(tree["b1_admin"], tree["b1"]).get(reverse(name), query)
    assert resp.status_code == 200
    event = _only(action)
    assert event.actor == tree["b1_admin"] and event.acting_org == tree["b1"]
    assert event.detail["rows"] == _data_rows(resp.content, sheet=sheet, above=above)
    assert event.detail["filters"] == filters
    if action in ("export.members", "export.transfers"):
        assert event.detail["rows"] == 1  # 张小明, and the transfer he applied for


def test_an_export_searched_by_id_number_keeps_it_masked(client_as, tree, member):
    client_as(tree["b1_admin"], tree["b1"]).get(reverse("imports:export_members"), {"q": member.id_number})
    event = _only("export.members")
    assert event.detail["rows"] == 1 and event.detail["filters"]["query"] == member.masked_id_number
    _no_whole_id(event)


# whole-ID reveals and reset codes ----------------------------------------------------------------------------

def test_a_whole_id_reveal_is_audited(client_as, tree, member):
    resp = client_as(tree["b1_admin"], tree["b1"]).get(reverse("people:detail", args=[member.pk]), {"show_id": "1"})
    assert member.id_number in resp.content.decode()
    event = _only("person.view_id_number")
    assert event.actor == tree["b1_admin"] and event.acting_org == tree["b1"] and event.target_id == str(member.pk)
    _no_whole_id(event)


def test_a_reset_code_is_audited_with_the_acting_organization(client_as, tree, member):
    resp = client_as(tree["school_admin"], tree["school"]).post(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 200
    event = _only("account.reset_code")
    assert event.actor == tree["school_admin"] and event.acting_org == tree["school"]
    assert event.target_id == str(member.pk)
    _no_whole_id(event)


def test_the_roster_week_of_the_export_is_recorded_even_when_empty(client_as, tree):
    client_as(tree["xjb_admin"], tree["xjb"]).get(reverse("reports:roster_export"), {"week": "2026-W02"})
    assert _only("export.roster").detail == {"rows": 0, "filters": {"week": "2026-W02"}}


def test_dates_filter_values_are_stored_as_text(client_as, tree):
    client_as(tree["central_admin"], tree["central"]).get(reverse("reports:audit_export"),
                                                          {"since": "2026-01-01", "until": "2026-12-31"})
    assert _only("export.audit").detail["filters"] == {"since": "2026-01-01", "until": "2026-12-31"}
    assert dt.date.fromisoformat(_only("export.audit").detail["filters"]["since"])
