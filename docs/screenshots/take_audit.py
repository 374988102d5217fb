"""Screenshots of the audit page (issue 12): as the admin of 共青团北京市海淀区委员会 (desktop and phone), and as the
central admin, who also sees sign-ins.

    export DATABASE_URL=sqlite:////tmp/h_audit.sqlite3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8031 &
    BASE_URL=http://127.0.0.1:8031 .venv/bin/python docs/screenshots/take_audit.py

Before the browser starts, a branch admin does what the trail must show (through the pages, with Django's test
client): two exports, a whole-ID reveal, a reset code; someone fails to sign in twice. Admin pages need a second
factor (R-ACC-5): each viewer gets an authenticator and a session that has shown it, handed to the browser as its
cookie, so the shots need no code typed.
"""
from shots import ARGS, CHROMIUM, DESKTOP, PHONE, base_url, setup_django, shoot

BASE = base_url(8031)
HOST = BASE.split("//", 1)[1].split(":")[0]
DISTRICT = "共青团北京市海淀区委员会"
BRANCH = "北京示范大学信息学院2022级1班团支部"


def prepare() -> dict:
    """The branch admin's actions; returns a verified session key for each viewer."""
    setup_django()
    from django.test import Client
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.models import CadrePost, Membership
    from orgs.models import Organization

    def org(name):
        return Organization.objects.get(full_name=name, is_active=True)

    def admin_of(o):
        return CadrePost.objects.filter(org=o, is_admin=True, ended_at__isnull=True).order_by("pk").first().person

    def verified_client(person, acting):
        device, _ = TOTPDevice.objects.get_or_create(user=person, name="authenticator", defaults={"confirmed": True})
        client = Client(HTTP_HOST=HOST)
        client.force_login(person)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session["acting_org_id"] = acting.pk
        session.save()
        return client

    branch = org(BRANCH)
    worker = verified_client(admin_of(branch), branch)
    cadres = CadrePost.objects.filter(ended_at__isnull=True).values("person")
    member = (Membership.objects.filter(branch=branch, ended_at__isnull=True).exclude(person__in=cadres)
              .order_by("pk").first().person)
    worker.get(reverse("imports:export_members"), {"q": member.name[:1]})
    worker.get(reverse("transfers:history_export"), {"status": "completed"})
    worker.get(reverse("people:detail", args=[member.pk]), {"show_id": "1"})
    worker.post(reverse("members:reset_code_issue", args=[member.pk]))
    stranger = Client(HTTP_HOST=HOST)
    for _ in range(2):
        stranger.post(reverse("login"), {"username": member.id_number, "password": "wrong-password"})

    district = org(DISTRICT)
    root = Organization.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()
    return {"district": verified_client(admin_of(district), district).cookies["sessionid"].value,
            "root": verified_client(admin_of(root), root).cookies["sessionid"].value}


def main():
    sessions = prepare()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for who, options, name in [("district", DESKTOP, "audit-desktop.png"), ("district", PHONE, "audit-phone.png"),
                                   ("root", DESKTOP, "audit-central-desktop.png")]:
            ctx = browser.new_context(locale="zh-CN", **options)
            ctx.add_cookies([{"name": "sessionid", "value": sessions[who], "url": BASE}])
            page = ctx.new_page()
            page.goto(f"{BASE}/reports/audit/")
            shoot(page, name, full_page=False)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
