"""Issue 18: the season page counts the graduates by the reason of their transfer (in progress or completed), with
those who have none ('尚未办理转接' — still without a target) and the kept apart; the delayed are not counted. One
grouped query: the page asks as often with 5 graduates as with 50."""
import datetime as dt
import zoneinfo
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.graduation import NO_TRANSFER, graduates, reason_counts
from reports.services import flag_graduate, set_graduation
from tests.transfers.support import new_member, pending_step
from transfers.services import apply_for_transfer, batch_transfer, reject

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
YEAR = 2027
URL = reverse("reports:graduation")


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def season(tree):
    set_graduation(actor=None, acting_org=None, branches=[tree["b1"]], expected_on=dt.date(YEAR, 6, 30))
    return tree


def _counts(tree) -> dict[str, int]:
    return {key: n for key, _label, n in reason_counts(graduates(acting_org=tree["uni"], year=YEAR)) if n}


def _moved(tree, person, when, reason):
    with mock.patch("django.utils.timezone.now", return_value=when):
        batch_transfer(actor=tree["uni_admin"], acting_org=tree["uni"], from_branch=tree["b1"], members=[person],
                       to_branch=tree["b2"], reason=reason)


def test_graduates_are_counted_by_the_reason_of_their_transfer(season):
    tree = season
    people = [new_member(tree["b1"], f"甲{i}") for i in range(7)]
    apply_for_transfer(member=people[0], to_org=tree["fb"], reason="unemployed")            # pending
    _moved(tree, people[1], dt.datetime(YEAR, 6, 30, 23, 59, tzinfo=SH), "unemployed")        # done on time
    _moved(tree, people[2], dt.datetime(YEAR, 7, 1, tzinfo=SH), "further_study")              # done late
    rejected = apply_for_transfer(member=people[3], to_org=tree["fb"], reason="enlisted")
    reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(rejected), reason="部队全称有误")
    flag_graduate(actor=None, acting_org=None, person=people[4], year=YEAR, kind="kept")
    flag_graduate(actor=None, acting_org=None, person=people[5], year=YEAR, kind="delayed")
    assert _counts(tree) == {"unemployed": 2, "further_study": 1, NO_TRANSFER: 2, "kept": 1}   # 3 (rejected), 6


def test_a_transfer_completed_before_the_season_opened_is_not_the_graduates(season):
    tree = season
    early, late = new_member(tree["b1"], "早"), new_member(tree["b1"], "晚")
    _moved(tree, early, dt.datetime(YEAR - 1, 8, 31, 23, 59, tzinfo=SH), "moved")   # the day before: not a graduate
    _moved(tree, late, dt.datetime(YEAR - 1, 9, 1, 0, 0, tzinfo=SH), "moved")       # the day the season opens
    assert _counts(tree) == {"moved": 1}


def test_every_reason_is_listed_with_none_first(season):
    tree = season
    new_member(tree["b1"], "甲")
    rows = reason_counts(graduates(acting_org=tree["uni"], year=YEAR))
    assert rows[0][0] == NO_TRANSFER and rows[0][2] == 1
    assert [key for key, _label, _n in rows][1:4] == ["further_study", "employed_with_org", "employed_without_org"]


def _page_queries(client, tree) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(URL, {"year": YEAR}).content.decode()
    return len(ctx), html


def test_the_page_shows_them_and_asks_as_often_for_5_as_for_50(season, client_as):
    tree = season
    client = client_as(tree["uni_admin"], tree["uni"])
    for i in range(5):
        new_member(tree["b1"], f"乙{i}")
    apply_for_transfer(member=new_member(tree["b1"], "丙"), to_org=tree["fb"], reason="unemployed")
    client.get(URL, {"year": YEAR})
    few, html = _page_queries(client, tree)
    assert "按转接原因" in html and "尚未办理转接（仍无去向）" in html and "未落实就业去向" in html
    for i in range(45):
        new_member(tree["b1"], f"丁{i}")
    many, html = _page_queries(client, tree)
    assert many == few
    assert ">50<" in html.replace(" ", "")   # 5 + 45 without a transfer


def test_no_graduating_branch_no_reason_table(tree, client_as):
    html = client_as(tree["uni_admin"], tree["uni"]).get(URL, {"year": YEAR}).content.decode()
    assert "按转接原因" not in html


def test_above_the_bound_of_graduating_branches_the_reasons_are_not_counted(season, client_as, monkeypatch):
    """Live counts cost what the graduates do: a subtree of many graduating branches is told to look lower down."""
    from reports import season_views

    tree = season
    set_graduation(actor=None, acting_org=None, branches=[tree["b2"]], expected_on=dt.date(YEAR, 6, 30))
    new_member(tree["b1"], "甲")
    client = client_as(tree["uni_admin"], tree["uni"])
    monkeypatch.setattr(season_views, "REASONS_MAX_BRANCHES", 2)
    client.get(URL, {"year": YEAR})
    at_bound, html = _page_queries(client, tree)
    assert "按转接原因" in html
    monkeypatch.setattr(season_views, "REASONS_MAX_BRANCHES", 1)
    above, html = _page_queries(client, tree)
    assert "reasons-title" not in html and "请在下级团委或某个毕业班的页面查看" in html and above == at_bound - 1
    html = client.get(URL, {"year": YEAR, "branch": tree["b1"].pk}).content.decode()
    assert "reasons-title" in html   # one graduating branch chosen: counted
