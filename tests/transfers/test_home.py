"""Issue 15 item 2: the home page shows the person's own transfer first: where it stands, which organization acts
next, by when (the open step's clocks, R-TR-7/8), and a link to its timeline; a finished one through the 30th
Asia/Shanghai day after the day it finished (RULES.md: every "day" is Shanghai's), not on the 31st."""
import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from transfers.models import TransferRequest
from transfers.selectors import transfer_for_home
from transfers.services import apply_for_transfer, approve, reject, withdraw

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CARD = re.compile(r'<section class="card state [a-z]+ home-transfer".*?</section>', re.S)
FINISHED = dt.datetime(2026, 5, 1, 0, 0, 30, tzinfo=SHANGHAI)  # Shanghai's 1 May, 30 seconds in (UTC: 30 April)


def _home(client) -> str:
    resp = client.get(reverse("home"))
    assert resp.status_code == 200
    return resp.content.decode()


def _card(page: str) -> str:
    found = CARD.search(page)
    return found.group(0) if found else ""


def _completed(tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"))
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=t.steps.get(status="pending"))
    TransferRequest.objects.filter(pk=t.pk).update(finished_at=FINISHED)
    return t


def test_the_open_transfer_comes_first_with_who_acts_next_by_when_and_the_link(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    page = _home(client_as(member))
    card = _card(page)
    assert page.index("home-transfer") < page.index("我的组织关系</h2>")  # first, above the membership card
    assert "办理中" in card and f"{tree['b1'].full_name} <span aria-hidden=\"true\">→</span>" in card
    assert f"现在由 {tree['b1'].full_name} 处理" in card and "转出审批" in card  # who acts next
    assert re.search(r'<span class="clock-name">处理时限</span> <span class="deadline"[^>]*>还剩 2 天</span>', card)
    assert "后自动同意" in card  # R-TR-7
    assert f'href="{reverse("transfers:detail", args=[t.pk])}"' in card
    # Where it stands: the OUT step now, IN and ASSIGN (the target is a committee, R-TR-6) and the end to come.
    stages = re.findall(r'<li class="(now|done|future)">([^<]+)<', card)
    assert stages == [("now", "转出审批"), ("future", "转入审批"), ("future", "分配团支部"), ("future", "转接完成")]


def test_the_card_follows_the_transfer_to_the_next_side(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"))
    card = _card(_home(client_as(member)))
    assert f"现在由 {tree['fb'].full_name} 处理" in card and "转入审批" in card
    assert re.findall(r'<li class="(now|done|future)">', card) == ["done", "now", "future"]


@pytest.mark.parametrize(("moment", "shown"), [
    (dt.datetime(2026, 5, 31, 23, 59, 59, tzinfo=SHANGHAI), True),   # day 30 after 1 May, its last second
    (dt.datetime(2026, 6, 1, 0, 0, 1, tzinfo=SHANGHAI), False),      # day 31
])
def test_a_completed_transfer_stays_through_day_30(client_as, tree, member, moment, shown):
    _completed(tree, member)
    with time_machine.travel(moment, tick=False):
        card = _card(_home(client_as(member)))
    assert bool(card) is shown
    if shown:
        assert "已完成" in card and "转接已完成" in card and tree["fb"].full_name in card


def test_the_window_counts_shanghai_days_not_utc_days(tree, member):
    _completed(tree, member)  # finished on Shanghai's 1 May, still 30 April in UTC
    assert transfer_for_home(member, now=dt.datetime(2026, 5, 31, 23, 0, tzinfo=SHANGHAI)) is not None
    assert transfer_for_home(member, now=dt.datetime(2026, 6, 1, 0, 0, tzinfo=SHANGHAI)) is None


def test_a_rejection_shows_its_reason_and_what_to_do(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"), reason="请补充说明材料")
    card = _card(_home(client_as(member)))
    assert "已退回" in card and "退回原因：请补充说明材料" in card and "重新申请" in card  # R-TR-11


def test_an_open_transfer_beats_a_recent_finished_one(client_as, tree, member):
    first = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    withdraw(actor=member, request=first)
    second = apply_for_transfer(member=member, to_org=tree["uni"], reason="moved")
    card = _card(_home(client_as(member)))
    assert reverse("transfers:detail", args=[second.pk]) in card and "办理中" in card


def test_no_card_without_a_transfer_and_never_someone_elses(client_as, tree, member):
    apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    assert _card(_home(client_as(tree["b1_admin"], tree["b1"]))) == ""  # R-AUTH-5: their own transfers only
    assert "home-transfer" not in _home(client_as(tree["b2_admin"], tree["b2"]))


def test_home_sends_anonymous_visitors_to_login(client):
    assert client.get(reverse("home")).url.startswith(reverse("login"))


def _count(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _home(client)
    return len(ctx.captured_queries)


def test_the_card_costs_the_same_queries_for_one_step_or_three(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    client = client_as(member)
    one = _count(client)
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=t.steps.get(status="pending"))
    assert _count(client) == one
