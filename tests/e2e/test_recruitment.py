"""Issue 16, first landing: a branch admin finds an applicant in the recruitment list, records the branch meeting,
reads the rule's refusal next to the votes (exactly half in favour), corrects it and sees the timeline; the same
pages on a phone. Screenshots at 1280 and 375 px."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from recruitment.models import Application
from recruitment.services import (
    apply_to_join,
    approve_prereview,
    choose_activist,
    propose_candidate,
    record_training,
    start_notice,
)
from tests.factories import make_id_number
from tests.transfers.support import new_member

from .world import PASSWORD, league

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _in_notice(w) -> Application:
    a = apply_to_join(actor=None, branch=w.class1, id_number=make_id_number(dt.date(2010, 1, 1)), name="林小雨",
                      applied_on=dt.date(2026, 1, 5), expected_join_on=dt.date(2026, 6, 1), work_unit="示范大学附中")
    a = choose_activist(actor=None, application=a, activist_on=dt.date(2026, 2, 2), decision="支部委员会决定",
                        introducers=[new_member(w.class1, "介绍人甲"), new_member(w.class1, "介绍人乙")])
    record_training(actor=None, application=a, held_on=dt.date(2026, 2, 10), hours="8", topic="团章学习")
    a = propose_candidate(actor=None, application=a, candidate_on=dt.date(2026, 5, 4))
    a = approve_prereview(actor=None, application=a, decided_on=dt.date(2026, 5, 6))
    return start_notice(actor=None, application=a, notice_from=dt.date(2026, 5, 11))


def test_branch_admin_records_the_meeting_of_a_candidate(ui):
    ui.journey = "recruitment"
    w = league()
    application = _in_notice(w)
    apply_to_join(actor=None, branch=w.class1, id_number=make_id_number(dt.date(2011, 3, 3)), name="陈一鸣",
                  applied_on=dt.date(2026, 9, 1), expected_join_on=dt.date(2026, 12, 1))
    page = ui.open()
    ui.sign_in(page, w.class1_admin.id_number, PASSWORD)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="发展团员").click()
    expect(page.get_by_role("heading", name="发展团员")).to_be_visible()
    ui.see(page, "1-list")
    page.get_by_role("link", name="林小雨").click()
    expect(page.get_by_role("heading", name="林小雨")).to_be_visible()
    ui.see(page, "2-file")

    form = page.locator("form", has=page.get_by_role("heading", name="记录支部大会"))
    form.get_by_label("支部大会日期").fill("2026-05-18")
    form.get_by_label("应到会有表决权团员数").fill("20")
    form.get_by_label("实到会有表决权团员数").fill("16")
    form.get_by_label("赞成").fill("10")
    form.get_by_label("反对").fill("6")
    form.get_by_label("弃权").fill("0")
    form.get_by_label("入团志愿书编号").fill("2026-015")
    form.get_by_role("button", name="记录支部大会").click()
    expect(page.get_by_text("赞成人数须超过应到会有表决权团员的半数")).to_be_visible()
    ui.see(page, "3-refused")
    assert Application.objects.get(pk=application.pk).stage == "notice"

    form = page.locator("form", has=page.get_by_role("heading", name="记录支部大会"))
    expect(form.get_by_label("入团志愿书编号")).to_have_value("2026-015")  # nothing typed is lost
    form.get_by_label("赞成").fill("11")
    form.get_by_label("反对").fill("5")
    form.get_by_role("button", name="记录支部大会").click()
    expect(page.get_by_role("status")).to_contain_text("支部大会决议已记录")
    ui.see(page, "4-passed")
    assert Application.objects.get(pk=application.pk).stage == "passed"

    phone = ui.open(phone=True)
    ui.sign_in(phone, w.class1_admin.id_number, PASSWORD)
    phone.goto(ui.url("recruitment:list"))
    ui.see(phone, "5-phone-list")
    phone.goto(ui.url("recruitment:detail", application.pk))
    ui.see(phone, "6-phone-file")
