"""Screenshots of the main pages, desktop and phone, from a running demo server.

    cd /work/main && bin/run &                      # SQLite + demo data on http://127.0.0.1:8000
    .venv/bin/python docs/screenshots/take.py       # writes the PNGs beside this file

Environment: BASE_URL (default http://127.0.0.1:8000), DATABASE_URL (the server's database: the demo
logins are read from it before the browser starts), CHROMIUM (default /usr/bin/chromium).
The member whose first-login page is shot keeps the initial password: nothing is submitted there.
"""

from shots import ARGS, CHROMIUM, DEMO_PASSWORD, DESKTOP, PHONE, base_url, setup_django, shoot, sign_in

BASE = base_url(8000)
COMMITTEE = "北京示范大学团委"
BRANCH = "北京示范大学信息学院2022级1班团支部"
EXPAND = ["北京示范大学信息学院团总支", "北京示范大学机械学院团总支"]


def demo_logins() -> dict:
    """Who to sign in as, read from the demo database (before the browser: Django's ORM stays synchronous)."""
    setup_django()
    from django.db import connections

    from members.models import CadrePost, Person
    from orgs.models import Organization

    committee = Organization.objects.get(full_name=COMMITTEE, is_active=True)
    branch = Organization.objects.get(full_name=BRANCH, is_active=True)
    admin_of = lambda org: CadrePost.objects.filter(org=org, is_admin=True, ended_at__isnull=True).order_by("pk").first()  # noqa: E731
    member = (Person.objects.filter(memberships__branch=branch, memberships__ended_at__isnull=True, password_set=False)
              .exclude(pk__in=CadrePost.objects.filter(ended_at__isnull=True).values("person_id")).order_by("pk").first())
    found = {"committee_admin": admin_of(committee).person.id_number, "branch_admin": admin_of(branch).person.id_number,
             "branch_pk": branch.pk, "committee_pk": committee.pk, "member_id": member.id_number, "member_name": member.name}
    connections.close_all()
    return found


def expand(page, names):
    page.wait_for_selector(".tree .node")
    for name in names:
        toggle = page.locator(".node", has=page.get_by_role("link", name=name, exact=True)).locator("button.toggle")
        toggle.click()
        page.wait_for_selector(f'button.toggle[aria-label$="{name}"][aria-expanded="true"]')  # loaded, shown
    page.wait_for_load_state("networkidle")


def main():
    who = demo_logins()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        for size, opts in (("desktop", DESKTOP), ("phone", PHONE)):
            ctx = browser.new_context(locale="zh-CN", **opts)
            page = ctx.new_page()
            page.goto(f"{BASE}/login/")
            shoot(page, f"login-{size}.png")
            sign_in(page, BASE, who["committee_admin"], DEMO_PASSWORD)
            page.goto(f"{BASE}/")
            shoot(page, f"home-{size}.png")
            page.goto(f"{BASE}/orgs/")
            expand(page, EXPAND if size == "desktop" else EXPAND[:1])
            shoot(page, f"tree-{size}.png")
            page.goto(f"{BASE}/orgs/{who['branch_pk']}/")
            shoot(page, f"org-detail-{size}.png")
            if size == "desktop":
                # R-ORG-4 refused: the form comes back with the message beside the field and the name kept.
                page.goto(f"{BASE}/orgs/{who['committee_pk']}/new/")
                page.fill("#id_full_name", "北京示范大学青年工作委员会")
                page.click("button[type=submit]")
                shoot(page, "org-create-error-desktop.png")
            ctx.close()

        ctx = browser.new_context(locale="zh-CN", **PHONE)
        page = ctx.new_page()
        sign_in(page, BASE, who["branch_admin"], DEMO_PASSWORD)
        page.goto(f"{BASE}/people/reset-codes/?q={who['member_name']}")
        shoot(page, "reset-codes-phone.png")
        page.locator("form[action*='/people/reset-codes/'] button").first.click()
        page.wait_for_selector("#reset-code")
        shoot(page, "reset-code-phone.png")
        ctx.close()

        ctx = browser.new_context(locale="zh-CN", **PHONE)
        page = ctx.new_page()
        page.goto(f"{BASE}/password/forgot/")
        page.fill("#id_id_number", who["member_id"])
        page.fill("#id_code", "WRONG23456")  # a wrong code: counts as one miss against the live code
        page.fill("#id_new_password1", "Qing-Chun-2026!")
        page.fill("#id_new_password2", "Qing-Chun-2026!")
        page.click("button[type=submit]")
        shoot(page, "forgot-password-error-phone.png")
        sign_in(page, BASE, who["member_id"], who["member_id"][-8:])  # R-ACC-1: lands on "set a new password"
        shoot(page, "first-login-phone.png")
        ctx.close()

        browser.close()


if __name__ == "__main__":
    main()
