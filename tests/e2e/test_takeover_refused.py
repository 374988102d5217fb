"""Journey f (issue 10): a branch admin tries to take over three accounts by entering them as cadres of the own
branch — the root admin, a sibling branch's member, and that member made admin of the attacker's branch. Each
entry becomes a post waiting for its person (R-ENT-9); no reset code, no whole ID number (R-AUTH-7). The target
sees the post on their home page and declines it."""
import pytest
from playwright.sync_api import expect

from members.models import CadrePost, ResetCode

from .world import PASSWORD, admin, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _enter_as_cadre(ui, page, person, *, as_admin: bool, step: str) -> None:
    page.goto(ui.url("people:enter_cadre"))
    ui.check(page)
    page.get_by_label("职务").select_option(label="委员")
    if as_admin:
        page.get_by_label("设为本组织管理员").check()
    page.get_by_label("姓名").fill(person.name)
    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("确认后任职才生效")
    ui.see(page, step)


def _try_to_take_over(ui, page, person) -> None:
    # The person page (and its whole-ID link) is out of reach: the pending post is no tie to the branch.
    response = page.goto(ui.url("people:detail", person.pk) + "?show_id=1")
    assert response.status == 404
    ui.check(page)
    expect(page.get_by_role("main")).not_to_contain_text(person.id_number)
    # A reset code asked for by a forged form post, as an attacker would send it.
    status = page.evaluate("""async (url) => {
        const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
        const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}, credentials: 'same-origin'});
        return r.status; }""", ui.url("members:reset_code_issue", person.pk))
    assert status in (403, 404)


def test_f_a_branch_admin_cannot_take_over_accounts_by_entering_them_as_cadres(ui):
    ui.journey = "takeover-refused"
    w = league()
    root = admin(w.central, "团中央管理员")
    sibling = member(w.class1, "张小明", password=PASSWORD)

    page = ui.open()
    ui.sign_in(page, w.class2_admin.id_number, PASSWORD)
    _enter_as_cadre(ui, page, root, as_admin=False, step="1-root-entered")
    _try_to_take_over(ui, page, root)
    _enter_as_cadre(ui, page, sibling, as_admin=True, step="2-sibling-made-admin")
    _try_to_take_over(ui, page, sibling)
    # Made admin of the attacker's branch, the sibling is still not the attacker's to reset.
    page.goto(ui.url("members:reset_codes") + "?q=" + sibling.name)
    expect(page.get_by_role("main")).to_contain_text("没有找到此人")
    ui.see(page, "3-reset-codes")

    assert not ResetCode.objects.filter(person__in=[root, sibling]).exists()
    assert CadrePost.objects.pending().filter(person__in=[root, sibling], org=w.class2).count() == 2

    # The sibling, on a phone, sees the post waiting for them and declines it.
    phone = ui.open(phone=True)
    ui.sign_in(phone, sibling.id_number, PASSWORD)
    card = phone.get_by_role("region", name="待您确认的任职")
    expect(card).to_contain_text(w.class2.full_name)
    ui.see(phone, "4-target-sees-pending-post")
    card.get_by_role("button", name="拒绝").click()
    expect(phone.get_by_role("status")).to_contain_text("该任职不会生效")
    ui.see(phone, "5-declined")
    post = CadrePost.objects.get(person=sibling, org=w.class2)
    assert post.ended_at is not None and post.confirmed_at is None

    # The root admin sees theirs too.
    desk = ui.open()
    ui.sign_in(desk, root.id_number, PASSWORD)
    expect(desk.get_by_role("region", name="待您确认的任职")).to_contain_text(w.class2.full_name)
    ui.see(desk, "6-root-sees-pending-post")
