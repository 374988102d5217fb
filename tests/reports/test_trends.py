"""The dashboard's trend charts (issue 15 item 13): figures kept per organization per week and per month
(reports/trends.py), their week boundaries in Asia/Shanghai, a transfer inside a subtree counted once, the
backfill's honesty about completeness, the scheduler's hourly run, the SVG with its accessible fallbacks, and who
may see them. Each test runs on SQLite and on PostgreSQL (where the month is read from the kept figures)."""
import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Membership, Person
from reports import trends
from reports.models import TrendPoint, TrendRun
from reports.selectors.trends import trends as read_trends
from reports.trend_charts import Series, nice_top, trend_chart
from tests.factories import MembershipFactory
from transfers.models import TransferRequest

pytestmark = pytest.mark.django_db

SH = trends.SHANGHAI
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SH)  # a Wednesday: this week began on Monday 30 November


def transfer(t, *, from_key, to_key, created, finished=None):
    member = MembershipFactory(branch=t[from_key]).person
    return TransferRequest.objects.create(
        member=member, from_branch=t[from_key], to_org=t[to_key], reason="moved", kind="out",
        status="completed" if finished else "pending", created_at=created, finished_at=finished)


def point(org, kind, period):
    return TrendPoint.objects.filter(org=org, kind=kind, period=period).first()


def test_ancestors_are_the_paths_prefixes():
    assert trends.ancestors("aaaaaabbbbbbcccccc") == ["aaaaaa", "aaaaaabbbbbb", "aaaaaabbbbbbcccccc"]


def test_weeks_and_months_are_counted_in_shanghai():
    # Sunday 23:30 in Beijing is still that week; Monday 00:10 there (Sunday 16:10 UTC) is the next one.
    assert trends.week_of(trends.local_day(dt.datetime(2026, 11, 29, 15, 30, tzinfo=dt.UTC))) == dt.date(2026, 11, 23)
    assert trends.week_of(trends.local_day(dt.datetime(2026, 11, 29, 16, 10, tzinfo=dt.UTC))) == dt.date(2026, 11, 30)
    assert trends.last_weeks(NOW)[-1] == dt.date(2026, 11, 30) and len(trends.last_weeks(NOW)) == 26
    assert trends.last_months(NOW)[0] == dt.date(2026, 1, 1) and trends.last_months(NOW)[-1] == dt.date(2026, 12, 1)
    assert trends.add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)


def test_a_transfer_within_a_subtree_counts_once_there_and_once_at_each_end(tree):
    t = tree
    transfer(t, from_key="b1", to_key="fb", created=NOW - dt.timedelta(days=1), finished=NOW - dt.timedelta(hours=2))
    transfer(t, from_key="b1", to_key="b2", created=dt.datetime(2026, 11, 29, 23, 30, tzinfo=SH))  # last week, late
    trends.write_weeks(trends.last_weeks(NOW, 2), now=NOW)
    this, last = dt.date(2026, 11, 30), dt.date(2026, 11, 23)
    for key in ("b1", "school", "uni", "province", "central"):
        assert (point(t[key], "week", this).started, point(t[key], "week", this).completed) == (1, 1), key
    assert point(t["fb"], "week", this).started == 1 and point(t["b2"], "week", this) is None
    assert point(t["province"], "week", last).started == 1  # both ends are in the province: once
    assert point(t["b2"], "week", last).started == 1 and point(t["fb"], "week", last) is None
    assert point(t["xj"], "week", this) is None


def test_the_month_under_way_counts_members_and_their_complete_records(tree, member, client_as):
    MembershipFactory(branch=tree["b2"], person__is_complete=True)
    Membership.objects.create(person=Person.objects.create(name="离开", id_number="110101199001010035"),
                              branch=tree["b1"], org_path=tree["b1"].path, ended_at=NOW - dt.timedelta(days=3))
    trends.record_trends(now=NOW)
    school = point(tree["school"], "month", dt.date(2026, 12, 1))
    assert (school.members, school.complete) == (2, 1)
    figures = read_trends(tree["uni"], now=NOW)
    assert figures["members"][-1] == 2 and figures["members"][:-1] == [None] * 11
    assert figures["complete_pct"][-1] == 50.0 and figures["complete_since"] == dt.date(2026, 12, 1)
    assert figures["taken_at"] == NOW


def test_the_backfill_knows_past_members_but_not_their_completeness(tree, member):
    Membership.objects.filter(person=member).update(started_at=dt.datetime(2026, 10, 15, tzinfo=SH))
    moved = MembershipFactory(branch=tree["b2"], started_at=dt.datetime(2026, 9, 1, tzinfo=SH),
                              ended_at=dt.datetime(2026, 11, 10, tzinfo=SH))
    MembershipFactory(branch=tree["fb"], person=moved.person, started_at=dt.datetime(2026, 11, 10, tzinfo=SH))
    trends.backfill(now=NOW, weeks=4, months=4)
    uni = {p.period: p for p in TrendPoint.objects.filter(org=tree["uni"], kind="month")}
    assert {m: (p.members, p.complete) for m, p in uni.items()} == {
        dt.date(2026, 9, 1): (1, None), dt.date(2026, 10, 1): (2, None), dt.date(2026, 11, 1): (1, None),
        dt.date(2026, 12, 1): (1, 0)}
    assert read_trends(tree["uni"], now=NOW)["complete_since"] == dt.date(2026, 12, 1)


def test_the_backfill_keeps_a_month_the_scheduler_took(tree, member):
    november = dt.date(2026, 11, 1)
    trends.record_trends(now=dt.datetime(2026, 11, 30, 20, 0, tzinfo=SH))
    trends.backfill(now=NOW, weeks=2, months=2)
    assert point(tree["b1"], "month", november).complete == 0  # the snapshot's knowledge, not the backfill's None


def test_a_rerun_replaces_the_points_and_drops_those_gone(tree):
    made = transfer(tree, from_key="b1", to_key="fb", created=NOW - dt.timedelta(days=1))
    trends.record_trends(now=NOW)
    TransferRequest.objects.filter(pk=made.pk).update(created_at=NOW - dt.timedelta(days=60))
    trends.record_trends(now=NOW + dt.timedelta(hours=1))
    assert not TrendPoint.objects.filter(kind="week", period=dt.date(2026, 11, 30)).exists()
    assert TrendRun.objects.count() == 4  # a week and a month run each time


def test_runs_older_than_90_days_are_forgotten_the_90th_day_kept(tree):
    trends.record_trends(now=NOW - trends.RUNS_KEPT - dt.timedelta(seconds=1))
    trends.record_trends(now=NOW - trends.RUNS_KEPT)
    trends.record_trends(now=NOW)
    taken = sorted(TrendRun.objects.filter(kind="month").values_list("taken_at", flat=True))
    assert taken == [NOW - trends.RUNS_KEPT, NOW]
    assert trends.last_run() == NOW


def test_the_scheduler_records_trends_once_an_hour(tree, member, settings):
    settings.TREND_EVERY = dt.timedelta(hours=1)
    out = StringIO()
    call_command("run_schedule", stdout=out)
    call_command("run_schedule", stdout=out)
    assert out.getvalue().count("趋势：") == 1
    assert TrendRun.objects.filter(kind="month").count() == 1


def test_the_backfill_command_says_what_it_wrote(tree, member):
    out = StringIO()
    call_command("backfill_trends", "--weeks", "2", "--months", "2", stdout=out)
    assert "趋势：周" in out.getvalue() and TrendPoint.objects.filter(kind="month").exists()


# --- the charts -----------------------------------------------------------------------------------------------

def test_a_chart_leaves_a_gap_for_an_unknown_period_and_rounds_its_axis():
    chart = trend_chart("k", "完成率", ["9月", "10月", "11月", "12月"],
                        [Series("完整", [None, 40.0, None, 50.0], tone="ok", text=lambda v: f"{v:g}%")], scale=100)
    [series] = chart["series"]
    assert len(series["lines"]) == 2 and len(series["dots"]) == 2
    assert [r["cells"] for r in chart["rows"]] == [["—"], ["40%"], ["—"], ["50%"]]
    assert [t["text"] for t in chart["ticks"]] == ["0%", "50%", "100%"]
    assert chart["id"] == "trend-k" and "12月" in chart["desc"] and "50%" in chart["desc"]
    assert [nice_top(v) for v in (0, 3, 7, 12, 240, 1_000_001)] == [1, 5, 10, 20, 250, 2_000_000]


def test_a_long_series_labels_at_most_six_periods_and_always_the_latest():
    labels = [f"w{i}" for i in range(26)]
    chart = trend_chart("w", "每周", labels, [Series("发起", list(range(26)))], bars=True)
    shown = [x["text"] for x in chart["x_labels"]]
    assert len(shown) <= 6 and shown[-1] == "w25" and len(chart["rows"]) == 26
    assert len(chart["series"][0]["bars"]) == 25  # a zero draws no bar


# --- the page -------------------------------------------------------------------------------------------------

def test_the_dashboard_draws_the_trends_with_a_title_and_a_table(tree, member, client_as):
    transfer(tree, from_key="b1", to_key="fb", created=timezone.now() - dt.timedelta(days=1))
    trends.backfill(weeks=26, months=12)
    html = client_as(tree["uni_admin"], tree["uni"]).get(reverse("reports:dashboard")).content.decode()
    svgs = re.findall(r'<svg class="trend"[^>]*role="img"[^>]*aria-labelledby="(trend-\w+)-t \1-d"', html)
    assert svgs == ["trend-transfers", "trend-complete", "trend-members"]
    assert '<title id="trend-transfers-t">每周转接（近26周）</title>' in html
    assert html.count('<details class="trend-table">') == 3 and "<polyline" in html and "<rect class=\"bar\"" in html
    assert "更早的月份无法知道当时的信息是否完整" in html  # the honest note: completeness is known from now on


def test_the_dashboard_says_so_before_anything_is_recorded(tree, client_as):
    html = client_as(tree["uni_admin"], tree["uni"]).get(reverse("reports:dashboard")).content.decode()
    assert "趋势数字还没有记录" in html and '<svg class="trend"' not in html


def test_a_member_does_not_see_the_dashboard(member, client_as):
    trends.record_trends()
    assert client_as(member).get(reverse("reports:dashboard")).status_code == 403


def test_the_trends_are_one_index_read_of_the_acting_organization(tree, member):
    trends.backfill(weeks=26, months=12)
    with CaptureQueriesContext(connection) as ctx:
        read_trends(tree["central"], now=timezone.now())
    assert len(ctx) == 2  # the points, the last run
    assert f"\"org_id\" = {tree['central'].pk}" in ctx.captured_queries[0]["sql"]
