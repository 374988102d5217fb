"""Issue 15 items 2 and 3: a member's home page shows their transfer first (where it stands, who acts next, by
when, a link to the timeline); the timeline shows the steps still to come, greyed, and names its two clocks
(R-TR-8: overdue after 72 hours; R-TR-7: approved automatically after 15 days)."""
import re

import pytest
from playwright.sync_api import expect

from transfers.models import Reason
from transfers.services import apply_for_transfer, approve

from .world import PASSWORD, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("phone", [True, False], ids=["375", "1280"])
def test_a_member_sees_the_transfer_first_and_the_steps_to_come(ui, phone):
    ui.journey = f"transfer-home-{'phone' if phone else 'desk'}"
    w = league()
    xiaoming = member(w.class1, "张小明", password=PASSWORD)
    transfer = apply_for_transfer(member=xiaoming, to_org=w.firm, reason=Reason.EMPLOYED_WITH_ORG)
    approve(actor=w.class1_admin, acting_org=w.class1, step=transfer.steps.get(status="pending"))

    page = ui.open(phone=phone)
    ui.sign_in(page, xiaoming.id_number, PASSWORD)
    card = page.locator("section.home-transfer")
    expect(card).to_be_in_viewport()  # the first thing on the page
    expect(card.get_by_role("heading")).to_contain_text("办理中")
    expect(card).to_contain_text(f"现在由 {w.firm.full_name} 处理")  # who acts next: the target's IN side
    expect(card.locator(".clock-name", has_text="处理时限")).to_be_visible()
    expect(card.locator(".deadline")).to_have_text("还剩 2 天")  # R-TR-8: 72 hours from the step's start
    expect(card.locator(".auto-note")).to_contain_text("14 天后自动同意")  # R-TR-7: 15 days
    stages = card.get_by_role("list", name="办理进度").locator("li")
    expect(stages).to_have_count(4)
    expect(stages.nth(1)).to_have_class("now")
    expect(stages.nth(2)).to_have_text(re.compile("^分配团支部"))
    assert page.evaluate(NO_SIDEWAYS)
    ui.see(page, "1-home")

    card.get_by_role("link", name="查看办理过程").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张小明 的组织关系转接")
    timeline = page.locator("ol.timeline")
    future = timeline.locator("li.future")
    expect(future).to_have_count(2)  # ASSIGN by the committee (R-TR-6), then the completion
    expect(future.first).to_contain_text("分配团支部")
    expect(future.first).to_contain_text("尚未开始")
    expect(future.first).to_have_css("color", "rgb(87, 96, 106)")  # greyed
    pending = timeline.locator("li.pending")
    expect(pending.locator(".clock-name")).to_have_text(["处理时限", "自动同意"])
    expect(pending).to_contain_text("收到后 72 小时内未处理即为超时")
    expect(pending).to_contain_text("收到后 15 天内无人处理，系统自动同意")
    assert page.evaluate(NO_SIDEWAYS)
    ui.see(page, "2-timeline")


def test_the_committee_admin_sees_the_steps_to_come_before_deciding(ui):
    ui.journey = "transfer-timeline-admin"
    w = league()
    xiaoming = member(w.class1, "张小明")
    transfer = apply_for_transfer(member=xiaoming, to_org=w.firm, reason=Reason.EMPLOYED_WITH_ORG)

    page = ui.open()
    ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
    page.goto(ui.url("transfers:detail", transfer.pk))
    future = page.locator("ol.timeline li.future")
    expect(future).to_have_count(3)  # IN by the committee, ASSIGN, the completion
    expect(future.nth(0)).to_contain_text("转入审批")
    expect(future.nth(1)).to_contain_text("分配团支部")
    expect(future.nth(1)).to_contain_text("不会自动同意")
    ui.see(page, "1-detail")
