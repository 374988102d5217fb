"""The audit page (R-TR-16, R-AUTH-1, R-AUTH-6): an admin reads the events of the acting subtree, the root's admins
all of them; a member is refused; a sibling never sees the other subtree. Filters by actor (name or ID number,
whole, first 6 or masked), action, target, result and dates; paginated at a fixed query count; the Excel export
holds the same rows, ID numbers masked and formulas escaped."""
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from audit.services import record
from members.services import enter_cadre
from reports.audit_views import PER_PAGE
from tests.audit.support import event_at
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

URL = reverse("reports:audit")
EXPORT = reverse("reports:audit_export")
WHOLE_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


@pytest.fixture
def trail(tree, member):
    """One event acted as each of b1, b2, the school and the firm's branch, and one with no organization."""
    return {
        "b1": record(actor=tree["b1_admin"], action="test.b1_work", acting_org=tree["b1"], target=member),
        "b2": record(actor=tree["b2_admin"], action="test.b2_work", acting_org=tree["b2"]),
        "school": record(actor=tree["school_admin"], action="test.school_work", acting_org=tree["school"]),
        "fb": record(actor=tree["fb_admin"], action="test.fb_work", acting_org=tree["fb"]),
        "none": record(actor=None, action="test.system_work"),
    }


def _actions(client, **query) -> set[str]:
    resp = client.get(URL, query)
    assert resp.status_code == 200
    return {e.action for e in resp.context["rows"]}


def _tests(actions) -> set[str]:
    return {a for a in actions if a.startswith("test.")}


# who may read it ----------------------------------------------------------------------------------------------

def test_it_shows_an_admin_the_events_of_the_acting_subtree(client_as, tree, trail):
    client = client_as(tree["school_admin"], tree["school"])
    assert _tests(_actions(client)) == {"test.b1_work", "test.b2_work", "test.school_work"}


def test_a_branch_admin_sees_their_branch_only(client_as, tree, trail):
    assert _tests(_actions(client_as(tree["b1_admin"], tree["b1"]))) == {"test.b1_work"}


def test_a_sibling_admin_never_sees_the_other_subtree(client_as, tree, trail):
    assert _tests(_actions(client_as(tree["b2_admin"], tree["b2"]))) == {"test.b2_work"}
    assert _tests(_actions(client_as(tree["firm_admin"], tree["firm"]))) == {"test.fb_work"}
    content = client_as(tree["firm_admin"], tree["firm"]).get(EXPORT).content
    assert "test.b1_work" not in _cells(content) and "test.fb_work" in _cells(content)


def test_the_root_admin_sees_everything_with_sign_ins_and_system_events(client_as, tree, trail):
    client = client_as(tree["central_admin"], tree["central"])
    actions = _actions(client, result="")
    assert _tests(actions) == {"test.b1_work", "test.b2_work", "test.school_work", "test.fb_work", "test.system_work"}
    assert "auth.login" in actions  # client_as signed in: an event with no organization


def test_it_refuses_a_plain_member(client_as, member):
    assert client_as(member).get(URL).status_code == 403
    assert client_as(member).get(EXPORT).status_code == 403


def test_it_sends_anonymous_to_sign_in(client, db):
    resp = client.get(URL)
    assert resp.status_code == 302 and reverse("login") in resp.url


def test_the_link_is_in_the_admin_navigation_only(client_as, tree, member):
    assert URL in client_as(tree["b1_admin"], tree["b1"]).get(reverse("home")).content.decode()
    assert URL not in client_as(member).get(reverse("home")).content.decode()


# filters ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["name", "whole", "first6", "masked"])
def test_it_filters_by_actor(client_as, tree, trail, who):
    """The tree's admins share one area code; this one comes from Xinjiang (650102)."""
    other = enter_cadre(actor=None, org=tree["b2"], id_number=make_id_number(dt.date(1990, 2, 3), area="650102"),
                        name="古丽2号", title="委员", is_admin=True)
    record(actor=other, action="test.other_work", acting_org=tree["b2"])
    query = {"name": other.name, "whole": other.id_number, "first6": other.id_number[:6],
             "masked": other.masked_id_number}[who]
    client = client_as(tree["school_admin"], tree["school"])
    assert _tests(_actions(client, actor=query)) == {"test.other_work"}


def test_a_longer_prefix_of_an_id_number_finds_nobody(client_as, tree, trail):
    """R-AUTH-6: at most the visible first 6, or a whole number could be rebuilt character by character."""
    client = client_as(tree["school_admin"], tree["school"])
    assert _actions(client, actor=tree["b2_admin"].id_number[:10]) == set()


def test_it_filters_by_action_family(client_as, tree, member):
    client = client_as(tree["b1_admin"], tree["b1"])
    client.get(reverse("imports:export_members"))
    client.get(reverse("people:detail", args=[member.pk]), {"show_id": "1"})
    assert _actions(client, action="export.") == {"export.members"}
    assert _actions(client, action="person.view_id_number") == {"person.view_id_number"}


@pytest.mark.parametrize("how", ["name", "whole", "masked"])
def test_it_filters_by_target(client_as, tree, member, trail, how):
    query = {"name": member.name, "whole": member.id_number, "masked": member.masked_id_number}[how]
    actions = _tests(_actions(client_as(tree["school_admin"], tree["school"]), target=query))
    assert actions == {"test.b1_work"}


def test_it_filters_by_result(client_as, tree, trail):
    record(actor=tree["b1_admin"], action="test.refused", acting_org=tree["b1"], result=AuditEvent.Result.DENIED)
    assert _tests(_actions(client_as(tree["b1_admin"], tree["b1"]), result="denied")) == {"test.refused"}


def test_it_filters_by_dates_in_beijing_time(client_as, tree):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    event_at(dt.datetime(2026, 3, 1, 0, 30, tzinfo=shanghai), "test.march_1", acting_org=tree["b1"])
    event_at(dt.datetime(2026, 2, 28, 23, 30, tzinfo=shanghai), "test.feb_28", acting_org=tree["b1"])
    event_at(dt.datetime(2026, 3, 2, 0, 0, tzinfo=shanghai), "test.march_2", acting_org=tree["b1"])
    client = client_as(tree["b1_admin"], tree["b1"])
    assert _tests(_actions(client, since="2026-03-01", until="2026-03-01")) == {"test.march_1"}
    assert _tests(_actions(client, since="2026-03-01")) == {"test.march_1", "test.march_2"}
    assert _tests(_actions(client, until="2026-02-28")) == {"test.feb_28"}


def test_an_inverted_date_range_says_so(client_as, tree):
    resp = client_as(tree["b1_admin"], tree["b1"]).get(URL, {"since": "2026-03-02", "until": "2026-03-01"})
    assert resp.status_code == 200 and "截止日期不能早于起始日期" in resp.content.decode()


# pages and masking -------------------------------------------------------------------------------------------

def _count_queries(client, query=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, query or {}).status_code == 200
    return len(ctx.captured_queries)


def _events(tree, member, n):
    for i in range(n):
        record(actor=tree["b1_admin"], action=f"test.row_{i}", acting_org=tree["b1"], target=member, i=i)


def test_a_page_costs_the_same_queries_for_5_or_50_rows(client_as, tree, member):
    client = client_as(tree["b1_admin"], tree["b1"])
    client.get(URL)  # the session's first request writes what later ones only read
    _events(tree, member, 5)
    five = _count_queries(client)
    _events(tree, member, 45)
    fifty = _count_queries(client)
    assert five == fifty


def test_it_pages_fifty_at_a_time(client_as, tree, member):
    _events(tree, member, PER_PAGE + 5)
    client = client_as(tree["b1_admin"], tree["b1"])
    first = client.get(URL, {"action": "", "actor": tree["b1_admin"].name})
    total = first.context["page"].paginator.count
    assert len(first.context["rows"]) == PER_PAGE and total > PER_PAGE
    second = client.get(URL, {"actor": tree["b1_admin"].name, "page": 2})
    assert len(second.context["rows"]) == total - PER_PAGE


def test_the_page_shows_id_numbers_masked(client_as, tree, member, trail):
    record(actor=tree["b1_admin"], action="test.detail", acting_org=tree["b1"], note=member.id_number)
    html = client_as(tree["b1_admin"], tree["b1"]).get(URL).content.decode()
    assert tree["b1_admin"].masked_id_number in html and member.masked_id_number in html
    assert not WHOLE_ID.search(html)


def _cells(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


def test_the_export_holds_the_filtered_rows_with_id_numbers_masked(client_as, tree, member, trail):
    record(actor=tree["b1_admin"], action="test.detail", acting_org=tree["b1"], note=member.id_number)
    resp = client_as(tree["b1_admin"], tree["b1"]).get(EXPORT, {"action": ""})
    assert resp.status_code == 200 and "spreadsheetml" in resp["Content-Type"]
    text = _cells(resp.content)
    assert "test.b1_work" in text and "test.detail" in text and "test.b2_work" not in text
    assert tree["b1_admin"].masked_id_number in text and member.masked_id_number in text
    assert not WHOLE_ID.search(text)


def test_the_export_escapes_what_a_spreadsheet_would_run(client_as, tree):
    record(actor=tree["b1_admin"], action="test.formula", acting_org=tree["b1"], formula='=HYPERLINK("http://x")')
    event_at(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "test.label", acting_org=tree["b1"], target_label="=1+1")
    content = client_as(tree["b1_admin"], tree["b1"]).get(EXPORT).content
    values = [v for ws in load_workbook(io.BytesIO(content)).worksheets for row in ws.iter_rows(values_only=True)
              for v in row if isinstance(v, str)]
    assert "'=1+1" in values and "=1+1" not in values
    assert not any(v.startswith("=") for v in values)
