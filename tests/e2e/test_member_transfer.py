"""Journeys a and b: a member applies for a transfer on a phone; the two sides approve it, the target committee
assigns a branch, and the member sees it completed."""
import re

import pytest
from playwright.sync_api import expect

from members.models import Membership
from transfers.models import ApprovalStep, Reason, TransferRequest
from transfers.services import apply_for_transfer

from .world import PASSWORD, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Qing-Chun-2026"


def test_a_member_signs_in_for_the_first_time_and_applies_on_a_phone(ui):
    ui.journey = "member-apply"
    w = league()
    xiaoming = member(w.class1, "张小明", actor=w.class1_admin)
    page = ui.open(phone=True)

    page.goto(ui.url("login"))
    ui.see(page, "1-login")
    page.get_by_label("身份证号").fill(xiaoming.id_number)
    page.get_by_label("密码", exact=True).fill(xiaoming.id_number[-8:])  # R-ACC-1: the first password
    page.get_by_role("button", name="登录", exact=True).click()

    expect(page).to_have_url(ui.url("password_change"))
    ui.see(page, "2-set-password")
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新密码确认").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    expect(page.get_by_role("status")).to_contain_text("密码已设置")
    ui.see(page, "3-home")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="申请转接").click()
    expect(page.get_by_role("heading", name="申请转接")).to_be_visible()
    ui.see(page, "4-apply")
    page.get_by_label("转接原因").select_option(Reason.EMPLOYED_WITH_ORG)
    page.get_by_label("转入哪个团组织").press_sequentially("示范科技", delay=50)
    target = page.get_by_role("radio", name=re.compile(f"^{w.firm.full_name}"))
    expect(target).to_be_visible()
    ui.see(page, "5-target-found")
    target.check()
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_role("status")).to_contain_text("申请已提交")
    ui.see(page, "6-submitted")
    transfer = TransferRequest.objects.get(member=xiaoming)
    assert (transfer.status, transfer.to_org_id, transfer.reason) == ("pending", w.firm.pk, Reason.EMPLOYED_WITH_ORG)
    assert transfer.steps.get().org_id == w.class1.pk  # R-TR-1: the member's branch decides first


def test_b_both_sides_approve_the_committee_assigns_and_the_member_sees_it_completed(ui):
    ui.journey = "transfer-approve"
    w = league()
    xiaoming = member(w.class1, "张小明", actor=w.class1_admin, password=NEW_PASSWORD)
    transfer = apply_for_transfer(member=xiaoming, to_org=w.firm, reason=Reason.EMPLOYED_WITH_ORG)

    branch = ui.open()
    ui.sign_in(branch, w.class1_admin.id_number, PASSWORD)
    ui.see(branch, "1-branch-home")
    nav = branch.get_by_role("navigation", name="主导航")
    nav.locator("summary", has_text="接转").click()
    nav.get_by_role("link", name=re.compile("^待办")).click()
    row = branch.locator("article", has_text="张小明")
    expect(row).to_contain_text("转出审批")
    ui.see(branch, "2-branch-inbox")
    row.get_by_role("button", name="同意").click()
    expect(branch.get_by_role("status")).to_contain_text("已同意 张小明 的转出审批")
    ui.see(branch, "3-branch-approved")

    committee = ui.open()
    ui.sign_in(committee, w.firm_admin.id_number, PASSWORD)
    committee.goto(ui.url("transfers:inbox"))
    row = committee.locator("article", has_text="张小明")
    expect(row).to_contain_text("转入审批")
    ui.see(committee, "4-committee-inbox")
    row.get_by_role("button", name="同意").click()
    expect(committee.get_by_role("status")).to_contain_text("已同意 张小明 的转入审批")
    row = committee.locator("article", has_text="张小明")
    row.locator("summary", has_text="查看完整流程").click()   # the chain, read when opened (htmx)
    expect(row.locator(".timeline")).to_contain_text("转入审批")
    row.get_by_role("link", name="分配团支部…").click()   # the branches, read when asked for (htmx)
    ui.see(committee, "5-committee-assign")
    row.get_by_label("分配到团支部").select_option(label=w.lab.full_name)
    row.get_by_role("button", name="分配").click()
    expect(committee.get_by_role("status")).to_contain_text("转接完成")
    ui.see(committee, "6-committee-assigned")

    phone = ui.open(phone=True)
    ui.sign_in(phone, xiaoming.id_number, NEW_PASSWORD)
    ui.see(phone, "7-member-home")
    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="我的转接").click()
    card = phone.locator("section", has_text=w.firm.full_name)
    expect(card.locator(".badge").first).to_have_text("已完成")
    expect(phone.get_by_text(w.lab.full_name).first).to_be_visible()
    ui.see(phone, "8-member-completed")

    transfer.refresh_from_db()
    assert (transfer.status, transfer.to_branch_id) == (TransferRequest.Status.COMPLETED, w.lab.pk)
    assert not transfer.steps.filter(status=ApprovalStep.Status.PENDING).exists()
    assert Membership.objects.get(person=xiaoming, ended_at__isnull=True).branch_id == w.lab.pk
