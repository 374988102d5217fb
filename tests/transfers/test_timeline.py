"""Issue 15 item 3: the timeline shows the steps still to come, greyed (IN after OUT unless the initiator approved
it, ASSIGN when the target is not a branch: R-TR-1..6), and names its two clocks: the time to decide before the step
is overdue (R-TR-8, 72 hours) and the automatic approval (R-TR-7, 15 days; never for ASSIGN)."""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from transfers.models import ApprovalStep, TransferRequest
from transfers.selectors import steps_to_come, with_timeline
from transfers.services import apply_for_transfer, approve, transfer_in

pytestmark = pytest.mark.django_db

FUTURE = re.compile(r'<li class="future">\s*<div class="ev-head"><strong>([^<]+)</strong>(?: <span>([^<]+)</span>)?')


def _to_come(transfer):
    return [(kind, org.pk) for kind, org in steps_to_come(with_timeline(transfer.pk))]


def _future(page: str) -> list[tuple[str, str]]:
    return FUTURE.findall(page)


def _detail(client, transfer) -> str:
    resp = client.get(reverse("transfers:detail", args=[transfer.pk]))
    assert resp.status_code == 200
    return resp.content.decode()


# selectors.steps_to_come --------------------------------------------------------------------------------


def test_a_self_service_transfer_to_a_committee_has_in_and_assign_to_come(tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    assert _to_come(t) == [("in", tree["firm"].pk), ("assign", tree["firm"].pk)]  # R-TR-1, R-TR-6
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"))
    assert _to_come(t) == [("assign", tree["firm"].pk)]
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=t.steps.get(status="pending"))
    assert _to_come(t) == []  # the ASSIGN step is open: only the completion is left


def test_a_transfer_to_a_branch_has_only_in_to_come(tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    assert _to_come(t) == [("in", tree["fb"].pk)]  # R-TR-6: the branch's IN approval completes it


def test_a_transfer_in_by_a_committee_skips_in_and_keeps_assign(tree, member):
    # R-TR-2/4: the initiating side counts as having approved its IN side; the committee assigns after OUT.
    t = transfer_in(actor=tree["firm_admin"], acting_org=tree["firm"], id_number=member.id_number, name=member.name,
                    reason="moved")
    assert t.steps.get(status="pending").kind == "out"
    assert _to_come(t) == [("assign", tree["firm"].pk)]


def test_a_finished_transfer_has_nothing_to_come(tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    TransferRequest.objects.filter(pk=t.pk).update(status=TransferRequest.Status.WITHDRAWN)
    assert _to_come(t) == []


# the pages ----------------------------------------------------------------------------------------------


def test_the_members_detail_page_shows_the_steps_to_come_greyed(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    page = _detail(client_as(member), t)
    assert _future(page) == [("转入审批", tree["firm"].full_name), ("分配团支部", tree["firm"].full_name),
                             ("转接完成", "")]
    assert page.count("尚未开始") == 3


def test_mine_shows_the_steps_to_come_too(client_as, tree, member):
    apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    page = client_as(member).get(reverse("transfers:mine")).content.decode()
    assert _future(page) == [("转入审批", tree["fb"].full_name), ("转接完成", "")]


def test_a_completed_transfer_shows_no_step_to_come(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"))
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=t.steps.get(status="pending"))
    page = _detail(client_as(member), t)
    assert _future(page) == [] and "尚未开始" not in page and "转接完成" in page


def test_the_clocks_are_named_with_their_rules(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    ApprovalStep.objects.filter(request=t).update(created_at=timezone.now() - dt.timedelta(hours=24, minutes=1),
                                                  due_at=timezone.now() + dt.timedelta(days=14, hours=1))
    page = _detail(client_as(member), t)
    # R-TR-8: 72 hours to decide, 48 left; R-TR-7: approved automatically after 15 days, 14 left.
    assert re.search(r'<span class="clock-name">处理时限</span> <span class="deadline" [^>]*>还剩 1 天</span>', page)
    assert "收到后 72 小时内未处理即为超时，上级组织会督办" in page
    assert re.search(r'<span class="clock-name">自动同意</span> <span class="auto-note" [^>]*>.*14 天后自动同意</span>',
                     page)
    assert "收到后 15 天内无人处理，系统自动同意" in page


def test_an_overdue_step_says_so_under_the_same_name(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    ApprovalStep.objects.filter(request=t).update(created_at=timezone.now() - dt.timedelta(hours=77))
    page = _detail(client_as(member), t)
    assert re.search(r'<span class="clock-name">处理时限</span> <span class="deadline late" [^>]*>已超时 5 小时</span>',
                     page)


def test_an_assign_step_says_it_is_never_automatic(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=t.steps.get(status="pending"))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=t.steps.get(status="pending"))
    page = _detail(client_as(member), t)
    assert "分配团支部须由管理员办理，不会自动同意" in page and "后自动同意" not in page  # R-TR-7


def test_the_inbox_rows_show_the_steps_to_come_in_their_chain(client_as, tree, member):
    """An inbox row's chain is read when opened (htmx asks the detail page for its timeline alone): the steps to
    come are in it."""
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    client = client_as(tree["b1_admin"], tree["b1"])
    detail = reverse("transfers:detail", args=[t.pk])
    assert f'hx-get="{detail}"' in client.get(reverse("transfers:inbox")).content.decode()
    chain = client.get(detail, headers={"HX-Request": "true"}).content.decode()
    assert ("分配团支部", tree["firm"].full_name) in _future(chain)


def test_the_timeline_of_another_members_transfer_stays_hidden(client_as, tree, member):
    t = apply_for_transfer(member=member, to_org=tree["firm"], reason="moved")
    assert client_as(tree["b2_admin"], tree["b2"]).get(reverse("transfers:detail", args=[t.pk])).status_code == 404


def test_the_apply_page_names_the_clock_of_the_transfer_in_progress(client_as, tree, member):
    apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    page = client_as(member).get(reverse("transfers:apply")).content.decode()
    assert re.search(r'处理时限 <span class="deadline" [^>]*>还剩 \d 天</span>', page)  # R-TR-8, named
