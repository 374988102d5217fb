"""Issue 15: every organization-upkeep page (rename, move, dissolve, term, merge, rebuild) at a desk (1280 px) and on a
phone (375 px): it opens for the committee's admin, says what will happen before any button, passes the checks
(CSP, axe-core) and never scrolls sideways; a screenshot of each for the guide. The journeys that carry each action
through are test_org_upkeep.py and test_merge_rebuild.py."""
import pytest
from playwright.sync_api import expect

from orgs.models import OrgType

from .world import PASSWORD, league, member, org

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("phone", [True, False], ids=["375", "1280"])
def test_each_upkeep_page_fits_and_passes_the_checks(ui, phone):
    ui.journey = f"upkeep-{'phone' if phone else 'desk'}"
    w = league()
    member(w.sales, "周晓东", actor=w.firm_admin)
    empty = org("北京示范科技有限公司工会团总支", OrgType.GENERAL_BRANCH, w.firm)
    page = ui.open(phone=phone)
    ui.sign_in(page, w.firm_admin.id_number, PASSWORD)
    pages = [("rename", "orgs:rename", w.sales, "改名"), ("move", "orgs:move", w.sales, "调整隶属"),
             ("dissolve", "orgs:dissolve", w.sales, "撤销"), ("term", "orgs:term", w.sales, "届满"),
             ("merge", "transfers:merge", w.sales, "合并"), ("rebuild", "orgs:rebuild", empty, "改建")]
    for step, (name, url, target, word) in enumerate(pages, start=1):
        page.goto(ui.url(url, target.pk))
        expect(page.get_by_role("heading", level=1)).to_contain_text(word)
        assert page.evaluate(NO_SIDEWAYS), f"{page.url} scrolls sideways at {page.viewport_size['width']} px"
        ui.see(page, f"{step}-{name}")
