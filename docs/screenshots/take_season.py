"""Screenshots of the graduation season and the weekly study roster (issue 6, items 2–3).

    cd /work/main && export DATABASE_URL=sqlite:////tmp/h10.sqlite3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8020 &
    BASE_URL=http://127.0.0.1:8020 .venv/bin/python docs/screenshots/take_season.py

It works the pages as a school committee would: signed in as the 北京示范大学团委 admin it marks the 2022级
branches as graduating next 30 June (the marking page), flags one member delayed and one kept at school
(the branch page), then shoots the graduation page and the roster with two branches expanded. It first
gives the demo's memberships their past (reports.demo.seed_roster_history, idempotent).
Environment: BASE_URL (default http://127.0.0.1:8020), DATABASE_URL (the server's), CHROMIUM.
"""

from shots import ARGS, CHROMIUM, DESKTOP, PHONE, base_url, setup_django, shoot, sign_in

BASE = base_url(8020)
COMMITTEE = "北京示范大学团委"
FLAG_BRANCH = "北京示范大学信息学院2022级2班团支部"
EXPAND = ["北京示范大学信息学院2022级1班团支部", "北京示范大学机械学院研究生团支部"]


def demo_facts() -> dict:
    """Who signs in, and which members get flagged, read from the demo database before the browser starts."""
    setup_django()
    from django.db import connections

    from members.models import CadrePost
    from orgs.models import Organization
    from reports.demo import _quiet_members, next_30_june, seed_roster_history

    # Idempotent; here until seed_demo calls it: without a past, every finished week's roster is empty.
    seed_roster_history()
    committee = Organization.objects.get(full_name=COMMITTEE, is_active=True)
    flag_branch = Organization.objects.get(full_name=FLAG_BRANCH, is_active=True)
    admin = CadrePost.objects.filter(org=committee, is_admin=True, ended_at__isnull=True).order_by("pk").first()
    quiet = _quiet_members(flag_branch)
    found = {"admin": admin.person.id_number, "flag_branch": flag_branch.pk, "expected": next_30_june(),
             "delayed": quiet[0].pk, "kept": quiet[1].pk}
    connections.close_all()
    return found


def mark_and_flag(page, facts):
    """Through the pages: tick the 2022级 branches, give the date; flag two members of one class."""
    year = facts["expected"].year
    page.goto(f"{BASE}/reports/season/graduation/branches/?year={year}&q=2022级")
    for box in page.locator("input[name=branch]").all():
        box.check()
    page.fill("#id_expected_on", facts["expected"].isoformat())
    page.get_by_role("button", name="标记为毕业班").click()
    page.wait_for_load_state("networkidle")
    branch_url = f"{BASE}/reports/season/graduation/branches/{facts['flag_branch']}/?year={year}"
    for kind, pk, note in (("delayed", facts["delayed"], f"休学一年，{year + 1}年毕业"), ("kept", facts["kept"], "保送本校研究生")):
        page.goto(branch_url)
        row = page.locator("form.flag-form", has=page.locator(f"input[name=person][value='{pk}']"))
        row.locator("select[name=kind]").select_option(kind)
        row.locator("input[name=note]").fill(note)
        row.get_by_role("button", name="保存").click()
        page.wait_for_load_state("networkidle")
    return year


def expand(page, names):
    for name in names:
        item = page.locator("ul.roster details", has=page.locator(".r-branch", has_text=name))
        item.locator("summary").click()
        item.locator(".names-list, .names p.muted").first.wait_for()
    page.wait_for_load_state("networkidle")


def main():
    facts = demo_facts()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(locale="zh-CN", **DESKTOP)
        page = ctx.new_page()
        sign_in(page, BASE, facts["admin"])
        year = mark_and_flag(page, facts)
        page.goto(f"{BASE}/reports/season/graduation/?year={year}")
        shoot(page, "graduation-desktop.png")
        page.goto(f"{BASE}/reports/season/roster/")
        expand(page, EXPAND)
        shoot(page, "roster-desktop.png")
        ctx.close()

        ctx = browser.new_context(locale="zh-CN", **PHONE)
        page = ctx.new_page()
        sign_in(page, BASE, facts["admin"])
        page.goto(f"{BASE}/reports/season/roster/")
        expand(page, EXPAND[:1])
        shoot(page, "roster-phone.png")
        ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
