"""The season page's list read branch by branch (issue 13): each page reads the graduates of the graduating branches
it falls in, and shows what one query over every graduate would have shown, in the same order; the boundaries of
the season (its opening instant, the 30 June deadline instant) hold for the page's figures too.

Branches 1 and 2 of the shared tree graduate in 2027 (branch 3 does not); the server runs in UTC."""
import datetime as dt
import zoneinfo
from unittest import mock

import pytest

from orgs.models import OrgType
from orgs.services import create_org
from reports.graduation import State, filter_state, graduates, season_list
from reports.services import set_graduation
from tests.transfers.support import new_member
from transfers.services import batch_transfer

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
YEAR = 2027
FIELDS = ("pk", "name", "state", "grad_branch_id", "grad_branch_name", "done_id", "pending_id")


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def two_classes(tree):
    set_graduation(actor=None, acting_org=None, branches=[tree["b1"], tree["b2"]], expected_on=dt.date(YEAR, 6, 30))
    for i in range(7):
        new_member(tree["b1"], f"甲{i}")
    for i in range(5):
        new_member(tree["b2"], f"乙{i}")
    tree["b3"] = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    return tree


def moved(tree, person, when, *, to="b2", source="b1"):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree[source],
                              members=[person], to_branch=tree[to], reason="employed_with_org")[0]


def rows(listed, start, stop):
    return [tuple(getattr(r, f) for f in FIELDS) for r in listed[start:stop]]


@pytest.mark.parametrize("state", ["", State.NOT_STARTED, "completed"])
def test_every_page_shows_the_rows_of_one_query_over_every_graduate(two_classes, state):
    tree = two_classes
    leaver = new_member(tree["b1"], "丙")
    moved(tree, leaver, dt.datetime(YEAR, 6, 1, tzinfo=SH), to="b3")
    _marks, counts, listed = season_list(acting_org=tree["uni"], year=YEAR, state=state)
    everyone = list(filter_state(graduates(acting_org=tree["uni"], year=YEAR), state).values_list(*FIELDS))
    assert len(listed) == len(everyone) == counts[state or "total"]
    for start in range(0, len(everyone) + 3, 3):   # pages of 3: some inside one branch, some across two
        assert rows(listed, start, start + 3) == everyone[start:start + 3]


def test_a_page_reads_only_the_branches_it_falls_in(two_classes, django_assert_num_queries):
    _marks, _counts, listed = season_list(acting_org=two_classes["uni"], year=YEAR)
    with django_assert_num_queries(1):
        first = listed[0:5]
    assert {r.grad_branch_id for r in first} == {two_classes["b1"].pk}


def test_a_graduate_who_moved_between_two_graduating_classes_is_the_second_ones(two_classes):
    """Read branch by branch, the page still judges each graduate against every graduating branch: one who left
    class 1 for class 2 is class 2's graduate, not started, and not class 1's 'completed'."""
    tree = two_classes
    person = new_member(tree["b1"], "丁")
    moved(tree, person, dt.datetime(YEAR, 3, 1, tzinfo=SH))
    _marks, counts, listed = season_list(acting_org=tree["uni"], year=YEAR)
    (row,) = [r for r in listed[0:len(listed)] if r.pk == person.pk]
    assert (row.grad_branch_id, row.state) == (tree["b2"].pk, State.NOT_STARTED)
    assert counts["completed"] == 0 and counts["total"] == 13


def test_the_deadline_instant_itself_is_late_and_the_second_before_it_on_time(two_classes):
    tree = two_classes
    on_time, late = new_member(tree["b1"], "准时"), new_member(tree["b1"], "逾期")
    moved(tree, on_time, dt.datetime(YEAR, 6, 30, 15, 59, 59, 999999, tzinfo=dt.UTC), to="b3")
    moved(tree, late, dt.datetime(YEAR, 6, 30, 16, 0, tzinfo=dt.UTC), to="b3")    # 1 July 00:00 in Shanghai
    _marks, counts, _listed = season_list(acting_org=tree["uni"], year=YEAR)
    assert (counts[State.DONE_ON_TIME], counts[State.DONE_LATE]) == (1, 1)


def test_the_season_opens_at_midnight_on_1_september_shanghai_time(two_classes):
    tree = two_classes
    before, opening = new_member(tree["b1"], "早走"), new_member(tree["b1"], "开学走")
    moved(tree, before, dt.datetime(YEAR - 1, 8, 31, 15, 59, 59, tzinfo=dt.UTC), to="b3")
    moved(tree, opening, dt.datetime(YEAR - 1, 8, 31, 16, 0, tzinfo=dt.UTC), to="b3")   # 1 September 00:00
    _marks, counts, listed = season_list(acting_org=tree["uni"], year=YEAR)
    names = {r.name for r in listed[0:len(listed)]}
    assert "开学走" in names and "早走" not in names
    assert counts[State.DONE_ON_TIME] == 1


def test_a_subtree_without_graduating_branches_asks_nothing(tree, django_assert_num_queries):
    with django_assert_num_queries(1):   # the graduating branches: none
        marks, counts, listed = season_list(acting_org=tree["uni"], year=YEAR)
        assert (marks, counts["total"], len(listed), listed[0:50]) == ([], 0, 0, [])
