"""Journey (issue 15): a committee admin merges a small branch into its sibling at a desk (1280 px) — the page says
what will happen (members, cadres, open transfers) before the button — and, on a phone (375 px), another admin of
the committee is refused a rebuild of a branch that still has members, then rebuilds an empty general branch into
a branch."""
import pytest
from playwright.sync_api import expect

from members.models import Membership
from orgs.models import Organization, OrgType
from transfers.models import Reason, TransferRequest
from transfers.services import apply_for_transfer

from .world import PASSWORD, admin, league, member, org

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_merge_a_branch_and_rebuild_a_general_branch(ui):
    ui.journey = "merge-rebuild"
    w = league()
    movers = [member(w.sales, name, actor=w.firm_admin) for name in ("周晓东", "吴思琪")]
    leaving = apply_for_transfer(member=movers[0], to_org=w.class1, reason=Reason.JOB_CHANGE)
    staying = [member(w.lab, name, actor=w.firm_admin) for name in ("郑子涵", "钱浩宇", "孙雨欣")]
    union = org("北京示范科技有限公司工会团总支", OrgType.GENERAL_BRANCH, w.firm)
    deputy = admin(w.firm, "李副书记")

    page = ui.open()
    ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
    page.goto(ui.url("orgs:detail", w.sales.pk))
    ui.see(page, "1-branch")
    page.get_by_role("link", name="合并到其他团支部").click()
    ui.check(page)
    page.get_by_label("合并到", exact=True).select_option(label=w.lab.full_name)
    page.get_by_role("button", name="查看合并结果").click()
    expect(page.get_by_role("heading", name="合并将会：")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("2 人，转入" + w.lab.full_name)
    ui.see(page, "2-merge-plan")
    page.get_by_role("button", name="确认合并（转入 2 人）").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(w.lab.full_name)
    expect(page.get_by_role("main")).to_contain_text("已将“" + w.sales.full_name)
    ui.see(page, "3-merged")
    assert {m.person_id for m in Membership.objects.filter(branch=w.lab, ended_at__isnull=True)} == {
        p.pk for p in movers + staying}
    assert TransferRequest.objects.filter(kind="reorg", reason="reorganization", status="completed").count() == 2
    leaving.refresh_from_db()
    assert leaving.status == "pending" and leaving.from_branch_id == w.lab.pk
    assert not Organization.objects.get(pk=w.sales.pk).is_active

    phone = ui.open(phone=True)
    ui.sign_in(phone, deputy.id_number, PASSWORD)
    phone.goto(ui.url("orgs:detail", w.lab.pk))
    ui.check(phone)
    phone.get_by_role("link", name="改建").click()
    phone.get_by_label("团总支").check()
    phone.get_by_role("button", name="确认改建").click()
    expect(phone.get_by_role("alert")).to_contain_text("该团支部还有5名团员")
    expect(phone.get_by_label("团总支")).to_be_checked()  # the choice kept
    ui.see(phone, "4-rebuild-refused-phone")
    phone.goto(ui.url("orgs:rebuild", union.pk))
    ui.see(phone, "5-rebuild-phone")
    phone.get_by_role("button", name="确认改建").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("团支部")
    ui.see(phone, "6-rebuilt-phone")
    assert Organization.objects.get(pk=union.pk).org_type == OrgType.BRANCH
