"""Screenshots of the reports (issue 6): the dashboard (desktop and phone) and the transfer statistics
(desktop), as the admin of 共青团北京市海淀区委员会.

    export DATABASE_URL=sqlite:////tmp/h9.sqlite3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8019 &
    BASE_URL=http://127.0.0.1:8019 .venv/bin/python docs/screenshots/take_reports.py

seed_demo's transfers are all decided within a second of their creation. Before the browser starts, the
script adds (once: it does nothing when they are there) a few months of decided transfers through the
services — approved, rejected, approved automatically — and then moves their rows back in time, as
transfers/demo.py does, so that the times to decide are realistic.
"""
import datetime as dt

from shots import ARGS, CHROMIUM, DESKTOP, PHONE, base_url, setup_django, shoot, sign_in

BASE = base_url(8019)
ADMIN_OF = "共青团北京市海淀区委员会"
MARK = "（统计演示）"
C1, C2, C3 = ("北京示范大学信息学院2022级1班团支部", "北京示范大学信息学院2022级2班团支部",
              "北京示范大学信息学院2023级1班团支部")
MECH, GRAD = "北京示范大学机械学院2022级1班团支部", "北京示范大学机械学院研究生团支部"
RD, MARKET = "北京示范科技有限公司研发部团支部", "北京示范科技有限公司市场部团支部"
STREET, NORTH = "学院路街道流动团员团支部", "学院路街道（北区）社区团支部"
AUTO = "auto"
# from, to, reason, hours the OUT side took (or AUTO), hours the IN side took (None: OUT rejected; negative:
# IN rejected after that many hours; AUTO), days since the last decision.
HISTORY = [
    (C1, RD, "employed_with_org", 6, 20, 70), (C1, MARKET, "employed_with_org", 2, 30, 50),
    (C2, STREET, "unemployed", 26, AUTO, 60), (C2, RD, "job_change", 5, None, 40),
    (C3, RD, "employed_with_org", 50, 4, 30), (MECH, GRAD, "further_study", 1, 3, 20),
    (MECH, STREET, "unemployed", 30, None, 15), (GRAD, MARKET, "employed_with_org", 8, 10, 10),
    (RD, C2, "further_study", 3, 48, 45), (RD, STREET, "moved", AUTO, 2, 35), (MARKET, RD, "job_change", 1, 2, 25),
    (MARKET, NORTH, "moved", 72, None, 12), (STREET, RD, "employed_with_org", 20, 5, 8),
    (GRAD, C3, "further_study", 100, 12, 5), (C3, STREET, "moved", 4, -6, 3), (C1, MARKET, "moved", AUTO, 9, 18),
]


def prepare() -> str:
    """A few months of decided transfers; returns the admin's ID number."""
    setup_django()
    from django.db import connections, transaction
    from django.utils import timezone

    from members.models import CadrePost, Membership
    from orgs.models import Organization
    from transfers.models import ApprovalStep, TransferRequest
    from transfers.services import apply_for_transfer, approve, auto_approve_due, reject

    def org(name):
        return Organization.objects.get(full_name=name, is_active=True)

    def admin(o):
        return CadrePost.objects.filter(org=o, is_admin=True, ended_at__isnull=True).order_by("pk").first().person

    def free_member(branch):
        busy = TransferRequest.objects.filter(status="pending").values("member")
        cadres = CadrePost.objects.filter(ended_at__isnull=True).values("person")
        return (Membership.objects.filter(branch=branch, ended_at__isnull=True).exclude(person__in=busy)
                .exclude(person__in=cadres).select_related("person").order_by("-pk").first().person)

    def decide(step, took, side):
        """Approve, reject or let the sweep approve; returns the hours it took."""
        if took == AUTO:
            ApprovalStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
            auto_approve_due()
            return 15 * 24
        if took < 0:
            reject(actor=admin(side), acting_org=side, step=step, reason="地址有误，请核对后重新申请。")
            return -took
        approve(actor=admin(side), acting_org=side, step=step)
        return took

    if not TransferRequest.objects.filter(note__endswith=MARK).exists():
        now = timezone.now()
        with transaction.atomic():  # all or nothing: the marker above then says whether it is done
            for source, target, reason, out_took, in_took, days_ago in HISTORY:
                source, target = org(source), org(target)
                request = apply_for_transfer(member=free_member(source), to_org=target, reason=reason,
                                             note=f"按计划办理{MARK}")
                out = request.steps.get(status="pending")
                if in_took is None:
                    reject(actor=admin(source), acting_org=source, step=out, reason="去向尚未落实，请落实后再申请。")
                    hours = [out_took]
                else:
                    hours = [decide(out, out_took, source)]
                    hours.append(decide(request.steps.get(status="pending"), in_took, target))
                # Time passes: the steps took `hours`, the last decision was `days_ago` days ago.
                start = now - dt.timedelta(days=days_ago, hours=sum(hours))
                TransferRequest.objects.filter(pk=request.pk).update(
                    created_at=start, finished_at=now - dt.timedelta(days=days_ago))
                at = start
                for step, took in zip(request.steps.order_by("pk"), hours, strict=True):
                    ApprovalStep.objects.filter(pk=step.pk).update(
                        created_at=at, due_at=at + dt.timedelta(days=15), decided_at=at + dt.timedelta(hours=took))
                    at += dt.timedelta(hours=took)
    who = admin(org(ADMIN_OF)).id_number
    connections.close_all()
    return who


def main():
    admin = prepare()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, options in (("dashboard-desktop.png", DESKTOP), ("dashboard-phone.png", PHONE)):
            ctx = browser.new_context(locale="zh-CN", **options)
            page = ctx.new_page()
            sign_in(page, BASE, admin)
            page.goto(f"{BASE}/reports/")
            shoot(page, name)
            ctx.close()

        ctx = browser.new_context(locale="zh-CN", **DESKTOP)
        page = ctx.new_page()
        sign_in(page, BASE, admin)
        page.goto(f"{BASE}/reports/transfers/?days=90")
        shoot(page, "transfer-stats-desktop.png")
        ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
