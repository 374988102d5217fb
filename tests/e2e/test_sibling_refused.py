"""Journey e: the admin of a sibling branch tries the first branch's URLs and is refused; nothing changes."""
import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from transfers.models import ApprovalStep, Reason
from transfers.services import apply_for_transfer

from .world import PASSWORD, league, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_e_an_admin_of_a_sibling_branch_is_refused(ui):
    ui.journey = "sibling-refused"
    w = league()
    theirs = member(w.class1, "张小明", actor=w.class1_admin)
    mine = member(w.class2, "刘洋", actor=w.class2_admin)
    their_step = apply_for_transfer(member=theirs, to_org=w.firm, reason=Reason.EMPLOYED_WITH_ORG).steps.get()
    my_step = apply_for_transfer(member=mine, to_org=w.firm, reason=Reason.EMPLOYED_WITH_ORG).steps.get()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    page = ui.open()
    ui.sign_in(page, w.class2_admin.id_number, PASSWORD)

    for step, path in (("1-org", ui.url("orgs:detail", w.class1.pk)), ("2-person", ui.url("people:detail", theirs.pk)),
                       ("3-transfer", ui.url("transfers:detail", their_step.request_id))):
        response = page.goto(path)
        assert response.status in (403, 404), (path, response.status)
        expect(page.get_by_role("heading", level=1)).to_have_text("没有找到" if response.status == 404 else "无权访问")
        expect(page.get_by_role("main")).not_to_contain_text(theirs.name)
        ui.see(page, step)

    # The approve button of their own inbox, aimed at the other branch's step: what a tampered form would post.
    page.goto(ui.url("transfers:inbox"))
    ui.check(page)
    expect(page.locator("article", has_text=theirs.name)).to_have_count(0)
    form = page.locator("article", has_text=mine.name).locator("form", has=page.get_by_role("button", name="同意"))
    form.evaluate("(f, url) => { f.action = url; }", ui.url("transfers:approve", their_step.pk))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="同意").click()
    assert posted.value.status in (403, 404)
    expect(page.get_by_role("heading", level=1)).to_have_text("没有找到" if posted.value.status == 404 else "无权访问")
    ui.see(page, "4-approve")

    their_step.refresh_from_db()
    my_step.refresh_from_db()
    assert (their_step.status, my_step.status) == (ApprovalStep.Status.PENDING, ApprovalStep.Status.PENDING)
    # Nothing of the transfers' was written since: no decision, no step (sign-ins are not audited as transfers).
    assert not AuditEvent.objects.filter(pk__gt=last_event, action__startswith="transfer.",
                                         result=AuditEvent.Result.OK).exists()
