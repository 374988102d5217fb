"""What the screenshot scripts (take*.py) share: the browser, the two sizes, the demo password,
Django set-up for reading the demo database, signing in and saving a shot."""
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# This machine's network is closed: Chromium must not try to reach anything but the app.
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic"]
DEMO_PASSWORD = "Tuanji-Demo-2026"  # members/demo.py
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def base_url(default_port: int) -> str:
    return os.environ.get("BASE_URL", f"http://127.0.0.1:{default_port}").rstrip("/")


def setup_django() -> None:
    """Read the demo database before the browser starts (Django's ORM stays synchronous)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def sign_in(page, base: str, id_number: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", id_number)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    # R-ACC-5: an admin shows a second factor before an admin page; the demo's admins share one authenticator key
    # (members/demo.py), so the code is the one their app would show now.
    page.goto(f"{base}/two-factor/?next=/")
    field = page.get_by_label("验证码")
    for _attempt in range(2):
        if not field.count():
            break
        field.fill(demo_code())
        page.get_by_role("button", name="验证", exact=True).click()
        page.wait_for_load_state("networkidle")
        if "/two-factor/" in page.url:  # this code was used a moment ago (a code counts once): the next one
            time.sleep(31 - time.time() % 30)
            field = page.get_by_label("验证码")


def demo_code() -> str:
    from django_otp.oath import TOTP

    from members.demo import DEMO_TOTP_KEY
    return f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}"


def shoot(page, name: str, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(HERE / name), full_page=full_page)
    print("›", name)
