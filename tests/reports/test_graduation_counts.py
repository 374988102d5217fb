"""The kept graduation counts (reports/graduation_sql.py, issue 13) equal a live recount after every kind of change:
a transfer started, decided, completed, rejected, withdrawn; a flag set, changed, cleared; a branch's graduation date
changed or cleared; a member entered or left; and a graduate who moved between two graduating classes on either side
of a subtree's border. Each check recounts live (reports.graduation.graduates) at every level of the tree and
compares branch by branch, state by state. PostgreSQL only: SQLite counts live."""
import datetime as dt
import zoneinfo
from unittest import mock

import pytest
from django.db import connection, transaction

from members.models import Person
from members.services.leaving import change_league_status
from orgs.models import OrgType
from orgs.services import create_org, move_org
from reports.graduation import (
    State,
    branch_counts,
    counts_by_branch,
    graduates,
    graduating_branches,
    kept_counts_of,
    season_counts,
)
from reports.services import clear_graduation, flag_graduate, set_graduation, unflag_graduate
from tests.transfers.support import new_member, pending_step
from transfers.services import apply_for_transfer, approve, batch_transfer, reject
from transfers.services.decide import assign_branch, withdraw

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
YEAR = 2027
LEVELS = ("central", "province", "uni", "school", "b1", "firm")


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def season(tree):
    set_graduation(actor=None, acting_org=None, branches=[tree["b1"], tree["b2"]], expected_on=dt.date(YEAR, 6, 30))
    set_graduation(actor=None, acting_org=None, branches=[tree["fb"]], expected_on=dt.date(YEAR, 7, 10))
    tree["b3"] = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    tree["b4"] = create_org(actor=None, full_name="示范大学研究生1班团支部", org_type=OrgType.BRANCH, parent=tree["uni"])
    set_graduation(actor=None, acting_org=None, branches=[tree["b4"]], expected_on=dt.date(YEAR, 6, 30))
    tree["people"] = [new_member(tree["b1"], f"甲{i}") for i in range(4)] + [new_member(tree["b2"], "乙")]
    return tree


def live(acting, year=YEAR) -> dict[int, dict[str, int]]:
    return {pk: n for pk, n in counts_by_branch(graduates(acting_org=acting, year=year)).items() if any(n.values())}


def kept(acting, year=YEAR) -> dict[int, dict[str, int]]:
    ids = list(graduating_branches(acting_org=acting, year=year).values_list("branch_id", flat=True))
    return {pk: n for pk, n in branch_counts(acting_org=acting, year=year, branch_ids=ids).items() if any(n.values())}


def agree(tree, *, years=(YEAR,)):
    """Kept == live, for every level of the tree and season; the totals too. Returns the uni's counts."""
    for year in years:
        for level in LEVELS:
            acting = tree[level]
            assert kept(acting, year) == live(acting, year), (level, year)
            totals = season_counts(acting_org=acting, year=year)
            recount = live(acting, year)
            assert totals["total"] == sum(n["total"] for n in recount.values()), (level, year)
            assert totals["delayed"] == sum(n["delayed"] for n in recount.values()), (level, year)
    return season_counts(acting_org=tree["uni"], year=years[0])


def moved(tree, person, when, *, source="b1", to="b3"):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return batch_transfer(actor=tree["uni_admin"], acting_org=tree["uni"], from_branch=tree[source],
                              members=[person], to_branch=tree[to], reason="employed_with_org")[0]


def test_the_counts_start_right(season):
    counts = agree(season)
    assert counts[State.NOT_STARTED] == counts["total"] == 5


def test_a_transfer_started_decided_step_by_step_and_completed(season):
    tree = season
    person = tree["people"][0]
    request = apply_for_transfer(member=person, to_org=tree["firm"], reason="employed_with_org")
    assert agree(tree)[State.PENDING_OUT] == 1
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    assert agree(tree)[State.PENDING_IN] == 1
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    assert agree(tree)[State.PENDING_ASSIGN] == 1
    assign_branch(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request), branch=tree["fb"])
    counts = agree(tree)   # fb graduates in the same year: the person is fb's now; uni sees them leave b1, done
    assert counts["completed"] == 1 and counts["total"] == 5


def test_a_transfer_rejected_or_withdrawn_leaves_the_graduate_not_started(season):
    tree = season
    one, two = tree["people"][:2]
    request = apply_for_transfer(member=one, to_org=tree["fb"], reason="employed_with_org")
    reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request), reason="单位名称有误")
    other = apply_for_transfer(member=two, to_org=tree["fb"], reason="employed_with_org")
    assert agree(tree)[State.PENDING_OUT] == 1
    withdraw(actor=two, request=other)
    assert agree(tree)[State.NOT_STARTED] == 5


def test_completed_on_time_late_and_before_the_season(season):
    tree = season
    a, b, c = tree["people"][:3]
    moved(tree, a, dt.datetime(YEAR, 6, 30, 23, 59, 59, tzinfo=SH))
    moved(tree, b, dt.datetime(YEAR, 7, 1, tzinfo=SH))
    moved(tree, c, dt.datetime(YEAR - 1, 8, 31, 23, 59, tzinfo=SH))   # before the season opened
    counts = agree(tree)
    assert (counts[State.DONE_ON_TIME], counts[State.DONE_LATE], counts["total"]) == (1, 1, 4)


def test_flags_set_changed_and_cleared(season):
    tree = season
    person = tree["people"][0]
    flag_graduate(actor=None, acting_org=None, person=person, year=YEAR, kind="kept", note="保研本校")
    assert agree(tree)[State.KEPT] == 1
    flag_graduate(actor=None, acting_org=None, person=person, year=YEAR, kind="delayed", note="")
    counts = agree(tree)
    assert (counts[State.KEPT], counts[State.DELAYED], counts["total"]) == (0, 1, 4)
    unflag_graduate(actor=None, acting_org=None, person=person, year=YEAR)
    assert agree(tree)["total"] == 5


def test_a_branch_graduation_date_moved_to_another_year_or_cleared(season):
    tree = season
    set_graduation(actor=None, acting_org=None, branches=[tree["b2"]], expected_on=dt.date(YEAR + 1, 6, 30))
    assert agree(tree, years=(YEAR, YEAR + 1))["total"] == 4
    assert season_counts(acting_org=tree["uni"], year=YEAR + 1)["total"] == 1
    clear_graduation(actor=None, acting_org=None, branch=tree["b1"])
    assert agree(tree, years=(YEAR, YEAR + 1))["total"] == 0


def test_a_member_entered_and_one_left(season):
    tree = season
    new_member(tree["b1"], "丁")
    assert agree(tree)["total"] == 6
    change_league_status(actor=tree["b1_admin"], person=tree["people"][1], to_status=Person.LeagueStatus.WITHDREW,
                         reason="本人申请退团")
    assert agree(tree)["total"] == 5


def test_a_graduate_who_moved_across_a_subtrees_border_counts_on_both_sides_as_live(season):
    """b1 (in the school) and b4 (in the uni, outside the school) both graduate this season: who left b1 for b4 is
    b4's graduate, not started; the school sees them leave b1, done. Moving b4 into the school, then out again,
    keeps both views right (where the two branches meet moved)."""
    tree = season
    moved(tree, tree["people"][0], dt.datetime(YEAR, 5, 1, tzinfo=SH), to="b4")
    agree(tree)
    assert season_counts(acting_org=tree["school"], year=YEAR)[State.DONE_ON_TIME] == 1
    uni = season_counts(acting_org=tree["uni"], year=YEAR)
    assert (uni[State.DONE_ON_TIME], uni[State.NOT_STARTED], uni["total"]) == (0, 5, 5)
    move_org(actor=None, org=tree["b4"], new_parent=tree["school"])
    for key in LEVELS:
        tree[key].refresh_from_db()
    assert agree(tree)[State.DONE_ON_TIME] == 0
    assert season_counts(acting_org=tree["school"], year=YEAR)[State.DONE_ON_TIME] == 0
    move_org(actor=None, org=tree["b4"], new_parent=tree["uni"])
    agree(tree)
    assert season_counts(acting_org=tree["school"], year=YEAR)[State.DONE_ON_TIME] == 1


def test_a_truncate_rebuilds(season):
    with connection.cursor() as cur:
        cur.execute("SELECT tuanji_grad_rebuild()")
    agree(season)
    new = create_org(actor=None, full_name="信息学院9班团支部", org_type=OrgType.BRANCH, parent=season["school"])
    set_graduation(actor=None, acting_org=None, branches=[new], expected_on=dt.date(YEAR, 6, 1))
    new_member(new, "戊")
    assert agree(season)["total"] == 6


def test_a_search_by_name_counts_the_kept_states_of_those_found(season):
    tree = season
    flag_graduate(actor=None, acting_org=None, person=tree["people"][0], year=YEAR, kind="kept", note="")
    new_member(tree["b1"], "甲_%")
    for name in ("甲", "甲0", "乙", "_%", "无此人"):
        ids = list(graduating_branches(acting_org=tree["uni"], year=YEAR).values_list("branch_id", flat=True))
        kept = kept_counts_of(acting_org=tree["uni"], year=YEAR, branch_ids=ids, name=name)
        live = counts_by_branch(graduates(acting_org=tree["uni"], year=YEAR, name=name))
        assert kept == {pk: n for pk, n in live.items() if any(n.values())}, name


def test_a_deferred_refresh_waits_for_the_flush_of_the_figures_and_then_agrees(season):
    """The sweep defers the kept figures to one refresh a chunk (orgs/figures_sql.py DEFER): the graduation counts
    defer with them and are refreshed by the same flush (tuanji.flush_hooks), once."""
    tree = season
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT tuanji_stats_defer()")
        apply_for_transfer(member=tree["people"][0], to_org=tree["firm"], reason="employed_with_org")
        assert season_counts(acting_org=tree["uni"], year=YEAR)[State.PENDING_OUT] == 0   # noted, not refreshed
        with connection.cursor() as cursor:
            cursor.execute("SELECT tuanji_stats_flush()")
            cursor.execute("SELECT current_setting('tuanji.grad_people', true), current_setting('tuanji.flush_hooks', true)")
            assert cursor.fetchone() == ("", "")
    assert agree(tree)[State.PENDING_OUT] == 1


def _noted_by_a_deferred_approval(tree, person, side: str) -> set[int]:
    """Who the graduation triggers note when an OUT step is approved (and the IN step opened), the refresh deferred
    as in the sweep's chunk."""
    request = apply_for_transfer(member=person, to_org=tree["firm"], reason="employed_with_org")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT tuanji_stats_defer()")
        approve(actor=tree[f"{side}_admin"], acting_org=tree[side], step=pending_step(request))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('tuanji.grad_people', true)")
            noted = {int(pk) for pk in cursor.fetchone()[0].split(",") if pk}  # once a statement
            cursor.execute("SELECT tuanji_stats_flush()")
    return noted


def test_a_step_decided_refreshes_a_graduate_and_leaves_anyone_else_alone(season):
    """Issue 13: a step changes a graduate's state, never whether someone is a graduate; the steps' triggers note
    only graduates (a sweep's chunk decides ~1,000 steps, ~200 of them graduates')."""
    tree = season
    graduate = tree["people"][0]
    other = new_member(tree["b3"], "丙")  # b3 graduates in no season
    assert _noted_by_a_deferred_approval(tree, graduate, "b1") == {graduate.pk}
    assert _noted_by_a_deferred_approval(tree, other, "school") == set()
    assert agree(tree)[State.PENDING_IN] == 1


def _fold_now_and_left() -> int:
    """Fire the deferred folds queued so far (as a commit would), then the deltas left unfolded."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS tuanji_grad_fold IMMEDIATE")
        cursor.execute("SET CONSTRAINTS tuanji_grad_fold DEFERRED")
        cursor.execute("SELECT count(*) FROM reports_graduationdelta")
        return cursor.fetchone()[0]


def _mark() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('tuanji.grad_unfolded', true)")
        return cursor.fetchone()[0]


class _Undo(Exception):
    pass


def test_a_transactions_deltas_fold_once_and_a_rolled_back_savepoint_takes_its_mark_back(season):
    """FOLD: the first deferred fold takes every delta, the others return at once (tuanji.grad_unfolded). Deltas
    written after a fold fold at the next; a savepoint rolled back takes back its deltas and its mark together."""
    tree = season
    people = tree["people"]
    with transaction.atomic():
        for person in people[:2]:
            apply_for_transfer(member=person, to_org=tree["firm"], reason="employed_with_org")
        assert _fold_now_and_left() == 0
        assert _mark() == "off"  # the later firings of this fold returned at once
        with pytest.raises(_Undo), transaction.atomic():
            apply_for_transfer(member=people[2], to_org=tree["firm"], reason="employed_with_org")
            assert _mark() == "on"
            raise _Undo
        assert _mark() == "off"
        apply_for_transfer(member=people[3], to_org=tree["firm"], reason="employed_with_org")
        assert _mark() == "on"
        assert _fold_now_and_left() == 0
    assert agree(tree)[State.PENDING_OUT] == 3
