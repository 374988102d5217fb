"""What the screenshot scripts (take*.py) share: the browser, the two sizes, the demo password,
Django set-up for reading the demo database, signing in and saving a shot."""
import os
import sys
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


def shoot(page, name: str, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(HERE / name), full_page=full_page)
    print("›", name)
