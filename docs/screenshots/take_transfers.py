"""Screenshots of the transfer pages (issue 4): apply (phone), inbox (desktop), batch pre-check (desktop),
a request's timeline (phone).

    export DATABASE_URL=sqlite:////tmp/h7.sqlite3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8017 &
    BASE_URL=http://127.0.0.1:8017 .venv/bin/python docs/screenshots/take_transfers.py

Before the browser starts, the script puts transfers in several states into the server's database through
the services (once: it does nothing when that branch already has transfers): fresh and overdue OUT steps,
a transfer in, one approved automatically and waiting for a branch, one rejected, one withdrawn, one
completed. Overdue and automatic need time to pass, so those rows are moved back in time first. The
members who are shot get the demo password (they would otherwise land on "set a new password").
"""
import datetime as dt

from shots import ARGS, CHROMIUM, DEMO_PASSWORD, DESKTOP, PHONE, base_url, setup_django, shoot, sign_in

BASE = base_url(8017)
SCHOOL = "北京示范大学信息学院团总支"
BRANCH = "北京示范大学信息学院2022级1班团支部"
BRANCH2 = "北京示范大学信息学院2022级2班团支部"
MECH = "北京示范大学机械学院2022级1班团支部"
FIRM = "北京示范科技有限公司团委"
FIRM_RD = "北京示范科技有限公司研发部团支部"
STREET = "学院路街道流动团员团支部"


def prepare() -> dict:
    """Transfers in every state, through the services; returns who and what to shoot."""
    setup_django()
    from django.db import connections
    from django.utils import timezone

    from members.models import CadrePost, Person
    from members.selectors.people import members_of
    from orgs.models import Organization
    from transfers.models import ApprovalStep, TransferRequest
    from transfers.services import apply_for_transfer, approve, auto_approve_due, reject, transfer_in, withdraw

    org = {name: Organization.objects.get(full_name=name, is_active=True)
           for name in (SCHOOL, BRANCH, BRANCH2, MECH, FIRM, FIRM_RD, STREET)}
    admin = {name: CadrePost.objects.filter(org=o, is_admin=True, ended_at__isnull=True).order_by("pk").first().person
             for name, o in org.items()}
    cadres = set(CadrePost.objects.filter(ended_at__isnull=True).values_list("person_id", flat=True))
    people = [p for p in members_of(org[BRANCH]) if p.pk not in cadres]
    applicant = next(p for p in members_of(org[BRANCH2]) if p.pk not in cadres)

    def back(request, hours, request_too=True):
        """Time passes for a demo row: its steps (and the request) move `hours` into the past."""
        delta = dt.timedelta(hours=hours)
        for step in ApprovalStep.objects.filter(request=request):
            moved = {"created_at": step.created_at - delta}
            if step.due_at:
                moved["due_at"] = step.due_at - delta
            if step.decided_at:
                moved["decided_at"] = step.decided_at - delta
            ApprovalStep.objects.filter(pk=step.pk).update(**moved)
        if request_too:
            TransferRequest.objects.filter(pk=request.pk).update(created_at=request.created_at - delta)

    if not TransferRequest.objects.filter(from_branch=org[BRANCH]).exists():
        a, b, c, d, e, f, g = people[:7]
        apply_for_transfer(member=a, to_org=org[FIRM_RD], reason="employed_with_org", note="已签约研发部，7月入职。")
        back(apply_for_transfer(member=b, to_org=org[STREET], reason="unemployed"), 100)  # overdue
        back(transfer_in(actor=admin[MECH], acting_org=org[MECH], id_number=c.id_number, name=c.name,
                         reason="further_study", note="转入机械学院继续学习。"), 30)
        # applied 16 days ago; the branch approved the next morning; nobody at the company decided for
        # 15 days, so the sweep approved it (R-TR-7); now the company's committee must assign a branch
        req = apply_for_transfer(member=d, to_org=org[FIRM], reason="employed_with_org",
                                 note="已与北京示范科技有限公司签订劳动合同。")
        back(req, 16 * 24)
        approve(actor=admin[BRANCH], acting_org=org[BRANCH], step=req.steps.get(status="pending"),
                comment="情况属实，同意转出。")
        ApprovalStep.objects.filter(request=req, status="pending").update(
            created_at=timezone.now() - dt.timedelta(days=15, hours=2),
            due_at=timezone.now() - dt.timedelta(hours=2))
        ApprovalStep.objects.filter(request=req, status="approved").update(
            decided_at=timezone.now() - dt.timedelta(days=15, hours=2))
        auto_approve_due()
        timeline = req.pk
        r = apply_for_transfer(member=e, to_org=org[FIRM_RD], reason="other", note="想去朋友的公司看看，还没有签约。")
        reject(actor=admin[BRANCH], acting_org=org[BRANCH], step=r.steps.get(status="pending"),
               reason="尚未签约，请落实工作单位后再申请。")
        withdraw(actor=f, request=apply_for_transfer(member=f, to_org=org[STREET], reason="moved"))
        r = apply_for_transfer(member=g, to_org=org[BRANCH2], reason="other", note="调整班级，随2022级2班上课。")
        approve(actor=admin[BRANCH], acting_org=org[BRANCH], step=r.steps.get(status="pending"))
        approve(actor=admin[BRANCH2], acting_org=org[BRANCH2], step=r.steps.get(status="pending"))
    else:
        timeline = TransferRequest.objects.filter(from_branch=org[BRANCH], to_org=org[FIRM]).order_by("pk").first().pk
    owner = TransferRequest.objects.get(pk=timeline).member
    for person in (owner, applicant):
        person.set_password(DEMO_PASSWORD)
        person.save(update_fields=["password", "password_set"])
    batch = [p.pk for p in members_of(org[BRANCH]) if p.pk not in cadres][:8]
    found = {"branch_admin": admin[BRANCH].id_number, "school_admin": admin[SCHOOL].id_number,
             "owner": owner.id_number, "applicant": applicant.id_number, "timeline": timeline,
             "branch": org[BRANCH].pk, "branch2": org[BRANCH2].pk, "batch": batch}
    Person.objects.filter(pk__in=[owner.pk, applicant.pk]).update(password_set=True)
    connections.close_all()
    return found


def main():
    who = prepare()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        # a member applies, on a phone: the reason's guidance, then the target found as they type
        ctx = browser.new_context(locale="zh-CN", **PHONE)
        page = ctx.new_page()
        sign_in(page, BASE, who["applicant"])
        page.goto(f"{BASE}/transfers/apply/")
        page.select_option("#id_reason", "employed_with_org")
        page.locator("#id_to_org_name").press_sequentially("示范科技", delay=60)
        page.wait_for_selector("#org-results .pick")
        page.locator("#org-results .pick", has_text="研发部").click()
        page.fill("#id_note", "已与北京示范科技有限公司签约，7月1日入职研发部。")
        shoot(page, "transfer-apply-phone.png")
        ctx.close()

        # the member's timeline, on a phone: approved, approved automatically, waiting for a branch
        ctx = browser.new_context(locale="zh-CN", **PHONE)
        page = ctx.new_page()
        sign_in(page, BASE, who["owner"])
        page.goto(f"{BASE}/transfers/{who['timeline']}/")
        shoot(page, "transfer-timeline-phone.png")
        ctx.close()

        # the branch admin's inbox, overdue first, one chain opened
        ctx = browser.new_context(locale="zh-CN", **DESKTOP)
        page = ctx.new_page()
        sign_in(page, BASE, who["branch_admin"])
        page.goto(f"{BASE}/transfers/inbox/")
        page.locator("details.chain").nth(1).locator("summary").click()
        shoot(page, "transfer-inbox-desktop.png")
        ctx.close()

        # the general branch's batch transfer: tick members, pick the target, pre-check
        ctx = browser.new_context(locale="zh-CN", **DESKTOP)
        page = ctx.new_page()
        sign_in(page, BASE, who["school_admin"])
        page.goto(f"{BASE}/transfers/batch/?from_branch={who['branch']}")
        for pk in who["batch"]:
            page.check(f"input[name=members][value='{pk}']")
        page.select_option("#id_to_branch", str(who["branch2"]))
        page.select_option("#id_reason", "other")
        page.fill("#id_note", "2022级1班与2班合班，统一转入2班团支部。")
        page.click("button[name=stage][value=precheck]")
        page.wait_for_selector("text=预检结果")
        shoot(page, "transfer-batch-precheck-desktop.png")
        ctx.close()

        browser.close()


if __name__ == "__main__":
    main()
