"""The weekly study roster (青年大学习, R-TR-15). The server and the database run in UTC here (settings.TIME_ZONE
is switched to UTC for every test); the cut-off is still Tuesday 22:00 Asia/Shanghai, i.e. 14:00 UTC.

Week 2026-W11: Monday 9 March … Sunday 15 March 2026; the cut-off is Tuesday 10 March 22:00 Shanghai.
A membership counts when started_at <= cut-off < ended_at: the instant 22:00:00 itself belongs to the row
that starts then (a transfer completes by ending one row and starting the next at the same instant)."""
import datetime as dt
import io
import zoneinfo
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from members.models import Membership
from orgs.models import OrgType
from reports.roster import Week, branch_counts, counted_members, current_week, exempt_members, parse_week, totals
from tests.factories import CadrePostFactory, MembershipFactory, OrganizationFactory, PersonFactory
from tests.transfers.support import new_member
from transfers.models import TransferRequest
from transfers.services import apply_for_transfer, batch_transfer

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
WEEK = Week(2026, 11)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def tree(tree):
    """The shared tree, its people (branch admins are members of their branch) on record since January."""
    Membership.objects.update(started_at=LONG_AGO)
    return tree


def at(hour, minute=0, second=0, micro=0, day=10):
    """An instant of March 2026, Asia/Shanghai wall time."""
    return dt.datetime(2026, 3, day, hour, minute, second, micro, tzinfo=SH)


def joined_long_ago(person):
    Membership.objects.filter(person=person).update(started_at=LONG_AGO)
    return person


def move(tree, person, when):
    """Batch-transfer `person` from branch 1 to branch 2, completed at `when` (the services see that time)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        return batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"],
                              members=[person], to_branch=tree["b2"], reason="further_study")[0]


def counts(tree, week=WEEK):
    return {b.pk: (b.counted, b.exempt) for b in branch_counts(acting_org=tree["uni"], week=week)}


def names(qs):
    return [m.person.name for m in qs]


# --- the cut-off --------------------------------------------------------------------------------------------

def test_the_cut_off_is_tuesday_22_00_in_shanghai_which_is_14_00_utc():
    assert WEEK.cutoff == dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert WEEK.start == dt.datetime(2026, 3, 8, 16, 0, tzinfo=UTC)   # Monday 00:00 Shanghai
    assert WEEK.monday == dt.date(2026, 3, 9) and WEEK.sunday == dt.date(2026, 3, 15)


def test_a_week_is_chosen_by_iso_week_or_by_any_day_of_it():
    assert parse_week("2026-W11") == WEEK
    assert parse_week("", "2026-03-15") == WEEK            # a Sunday belongs to the ISO week of its Monday
    assert parse_week("", "2026-03-16") == Week(2026, 12)
    assert parse_week("2026-W54") is None and parse_week("", "yesterday") is None
    assert WEEK.shifted(-1) == Week(2026, 10) and Week(2026, 1).shifted(-1) == Week(2025, 52)


def test_the_default_week_is_the_current_one_in_shanghai():
    # Sunday 15 March 23:30 Shanghai is still week 11 there, though 15:30 UTC that day.
    assert current_week(at(23, 30, day=15)) == WEEK
    assert current_week(at(0, 30, day=16)) == Week(2026, 12)   # Sunday 16:30 UTC, Monday in Shanghai


def test_a_transfer_completed_at_21_59_59_counts_at_the_new_branch_and_exempts_at_the_old(tree):
    person = joined_long_ago(new_member(tree["b1"]))
    move(tree, person, at(21, 59, 59))
    assert counts(tree)[tree["b1"].pk] == (0, 1)   # not counted there: exempt
    assert counts(tree)[tree["b2"].pk] == (1, 0)
    assert names(counted_members(branch=tree["b2"], week=WEEK)).count(person.name) == 1
    assert person.name not in names(counted_members(branch=tree["b1"], week=WEEK))
    assert names(exempt_members(branch=tree["b1"], week=WEEK)) == [person.name]


def test_a_transfer_completed_at_22_00_00_exactly_counts_at_the_new_branch(tree):
    # At the instant of the cut-off the new membership has started and the old one has ended.
    person = joined_long_ago(new_member(tree["b1"]))
    move(tree, person, at(22))
    assert counts(tree)[tree["b2"].pk] == (1, 0)
    assert counts(tree)[tree["b1"].pk] == (0, 1)


def test_a_transfer_completed_at_22_00_01_counts_at_the_old_branch_this_week_and_the_new_one_next_week(tree):
    person = joined_long_ago(new_member(tree["b1"]))
    move(tree, person, at(22, 0, 1))
    assert counts(tree)[tree["b1"].pk] == (1, 0)   # not exempt: it moved after the cut-off
    assert counts(tree)[tree["b2"].pk] == (0, 0)
    assert counts(tree, WEEK.shifted(1))[tree["b2"].pk] == (1, 0)
    assert counts(tree, WEEK.shifted(1))[tree["b1"].pk] == (0, 0)   # last week's move exempts nothing now


def test_a_transfer_completed_in_between_21_59_59_and_22_00_00_counts_at_the_new_branch(tree):
    person = joined_long_ago(new_member(tree["b1"]))
    move(tree, person, at(21, 59, 59, 500_000))
    assert counts(tree)[tree["b2"].pk] == (1, 0)
    assert names(exempt_members(branch=tree["b1"], week=WEEK)) == [person.name]


def test_membership_times_moved_directly_obey_the_same_boundary(tree):
    """Entered at 21:59:59 counts; entered at 22:00:01 does not; a row ended at 22:00:00 does not count."""
    early, late, gone = (joined_long_ago(new_member(tree["b1"], n)) for n in ("早到", "晚到", "离开"))
    Membership.objects.filter(person=early).update(started_at=at(21, 59, 59))
    Membership.objects.filter(person=late).update(started_at=at(22, 0, 1))
    Membership.objects.filter(person=gone).update(ended_at=at(22), end_reason="other")
    listed = names(counted_members(branch=tree["b1"], week=WEEK))
    assert "早到" in listed and "晚到" not in listed and "离开" not in listed
    assert exempt_members(branch=tree["b1"], week=WEEK).count() == 0   # ended, but not by a transfer


def test_a_pending_transfer_changes_nothing(tree):
    person = joined_long_ago(new_member(tree["b1"]))
    with mock.patch("django.utils.timezone.now", return_value=at(9)):
        apply_for_transfer(member=person, to_org=tree["b2"], reason="further_study")
    assert counts(tree)[tree["b1"].pk] == (1, 0)
    assert counts(tree)[tree["b2"].pk] == (0, 0)


def test_a_member_is_counted_once_in_the_whole_subtree(tree):
    people = [joined_long_ago(new_member(tree["b1"], f"团员{i}")) for i in range(3)]
    move(tree, people[0], at(10, day=9))      # Monday: exempt at branch 1 this week
    move(tree, people[1], at(21, 59, 59))
    found = totals(acting_org=tree["uni"], week=WEEK)
    assert found["counted"] == 3                 # whatever moved where, and when
    assert found["exempt"] == 2
    assert sum(c for c, _e in counts(tree).values()) == 3
    assert counts(tree)[tree["b1"].pk] == (1, 2) and counts(tree)[tree["b2"].pk] == (2, 0)


def test_only_a_move_this_week_exempts(tree):
    person = joined_long_ago(new_member(tree["b1"]))
    move(tree, person, at(23, 59, day=8))     # Sunday of the week before
    assert counts(tree)[tree["b1"].pk] == (0, 0)
    assert counts(tree)[tree["b2"].pk] == (1, 0)


def test_the_exempt_list_says_where_the_member_went(tree):
    person = joined_long_ago(new_member(tree["b1"]))
    move(tree, person, at(8, day=10))
    (row,) = exempt_members(branch=tree["b1"], week=WEEK)
    assert row.moved_to == tree["b2"].full_name


# --- the pages --------------------------------------------------------------------------------------------

URL = reverse("reports:roster")


def test_it_shows_each_branch_of_the_subtree_with_its_count(tree, client_as):
    joined_long_ago(new_member(tree["b1"], "王同学"))
    resp = client_as(tree["uni_admin"], tree["uni"]).get(URL, {"week": "2026-W11"})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert tree["b1"].full_name in page and tree["b2"].full_name in page
    assert tree["fb"].full_name not in page                      # another committee's branch
    assert "3月10日（周二）22:00" in page                        # the cut-off, in Shanghai time
    assert resp.context["totals"]["counted"] == 1


def test_it_defaults_to_the_current_week(tree, client_as):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(URL)
    assert resp.context["week"] == current_week()


def test_the_names_of_a_branch_expand_on_demand(tree, client_as):
    person = joined_long_ago(new_member(tree["b1"], "王同学"))
    url = reverse("reports:roster_branch", args=[tree["b1"].pk])
    client = client_as(tree["school_admin"], tree["school"])
    full = client.get(url, {"week": "2026-W11"})
    assert full.status_code == 200 and "王同学" in full.content.decode()
    assert person.id_number not in full.content.decode() and person.masked_id_number in full.content.decode()
    partial = client.get(url, {"week": "2026-W11"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "王同学" in partial.content.decode()


def test_it_refuses_a_plain_member(member, client_as):
    assert client_as(member).get(URL).status_code == 403


def test_it_sends_the_anonymous_to_sign_in(client):
    resp = client.get(URL)
    assert resp.status_code == 302 and resp.url.startswith(reverse("login"))


def test_a_sibling_branch_admin_gets_404_for_another_branch(tree, client_as):
    client = client_as(tree["b2_admin"], tree["b2"])
    assert client.get(reverse("reports:roster_branch", args=[tree["b1"].pk])).status_code == 404
    page = client.get(URL).content.decode()
    assert tree["b1"].full_name not in page


def test_the_export_masks_id_numbers_and_quotes_formulas(tree, client_as):
    person = joined_long_ago(new_member(tree["b1"], "王同学"))
    formula = PersonFactory(name="=HYPERLINK(\"http://x\")")
    MembershipFactory(person=formula, branch=tree["b1"], started_at=LONG_AGO)
    moved = joined_long_ago(new_member(tree["b1"], "李同学"))
    move(tree, moved, at(8))
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse("reports:roster_export"), {"week": "2026-W11"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert person.masked_id_number in cells and person.id_number not in "".join(cells)
    assert "'=HYPERLINK(\"http://x\")" in cells
    rows = {(r[1], r[2]): r for r in wb["名单"].iter_rows(min_row=3, values_only=True)}
    assert rows[(tree["b1"].full_name, "李同学")][4].startswith("免计")
    assert tree["b2"].full_name in rows[(tree["b1"].full_name, "李同学")][5]
    assert rows[(tree["b2"].full_name, "李同学")][4] == "计入"
    summary = {r[1]: r for r in wb["各团支部人数"].iter_rows(min_row=3, values_only=True)}
    assert summary[tree["b1"].full_name][2:] == (2, 1)   # 王同学 and the formula; 李同学 exempt
    assert summary[tree["b2"].full_name][2:] == (1, 0)


def _subtree_of(n_branches, members_each=3):
    """A committee with n branches of a few members each, and its admin; plain rows (factories), for counting."""
    top = OrganizationFactory(full_name=f"测试大学{n_branches}团委", org_type=OrgType.COMMITTEE)
    for i in range(n_branches):
        branch = OrganizationFactory(full_name=f"测试大学{n_branches}第{i}团支部", parent=top)
        for _ in range(members_each):
            MembershipFactory(branch=branch, started_at=LONG_AGO)
    admin = CadrePostFactory(org=top, is_admin=True).person
    return top, admin


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [URL, reverse("reports:roster_export")])
def test_the_roster_costs_the_same_queries_for_10_and_500_organizations(client_as, url):
    small, small_admin = _subtree_of(9)
    large, large_admin = _subtree_of(499, members_each=1)
    few = _queries(client_as(small_admin, small), url, {"week": "2026-W11"})
    many = _queries(client_as(large_admin, large), url, {"week": "2026-W11"})
    assert few == many
    assert many <= 12


def test_transfers_are_what_the_roster_follows(tree):
    """The data the roster reads is what the transfer services wrote: one row ended, one started, same instant."""
    person = joined_long_ago(new_member(tree["b1"]))
    request = move(tree, person, at(21, 59, 59))
    old, new = Membership.objects.filter(person=person).order_by("started_at")
    assert old.ended_at == new.started_at == at(21, 59, 59)
    assert old.end_reason == f"transfer:{request.pk}"
    assert TransferRequest.objects.get(pk=request.pk).finished_at == at(21, 59, 59)
