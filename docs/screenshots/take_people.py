"""Screenshots of the people pages (issue 3), desktop 1280 wide and phone 375x812, against a running
server with the demo data:

    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8014
    .venv/bin/python docs/screenshots/take_people.py [http://127.0.0.1:8014]

The logins are seed_demo's (members/demo.py): the admins' password is the demo password.
"""
import datetime as dt
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
import shots  # noqa: E402

shots.setup_django()

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from members.idnumber import check_char  # noqa: E402  (plain Python, no Django setup needed)

DEMO_PASSWORD = "Tuanji-Demo-2026"  # members/demo.py

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8014").rstrip("/")
OUT = Path(__file__).resolve().parent
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--lang=zh-CN"]

# seed_demo's admins (ID numbers are derived deterministically from its fixed random seed).
BRANCH_ADMIN = "110108199502181087"         # 北京示范大学信息学院2022级1班团支部
PROBLEM_BRANCH_ADMIN = "110108199109261400"  # 北京示范大学信息学院2023级1班团支部 (people in every problem state)
SCHOOL_ADMIN = "110108199406121068"         # 北京示范大学信息学院团总支
DISTRICT_ADMIN = "110108199704011035"       # 共青团北京市海淀区委员会


def id_number(born: dt.date, serial: int) -> str:
    body = f"110108{born:%Y%m%d}{serial:03d}"
    return body + check_char(body)


def sign_in(browser, who: str, size: str):
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", device_scale_factor=1,
                                  is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    shots.sign_in(page, BASE, who, DEMO_PASSWORD)  # the second factor too (R-ACC-5)
    return context, page


def shoot(page, name: str, size: str) -> None:
    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=True)
    print(path.relative_to(ROOT))


def entry_form_errors(browser, size):
    context, page = sign_in(browser, BRANCH_ADMIN, size)
    page.goto(f"{BASE}/people/new/member/")
    page.fill("#id_name", "刘小雨")
    page.fill("#id_id_number", id_number(dt.date(2012, 9, 1), 321).lower())  # a lower-case x is fine
    page.fill("#id_joined_on", "2023-05-04")                                 # 10 years old: join_age
    page.fill("#id_development_number", "2023ABC0001")                       # dev_number_format
    page.select_option("#id_ethnicity", "汉族")
    page.select_option("#id_political_status", "league")
    page.fill("#id_phone", "1381234567")                                     # phone_invalid (10 digits)
    page.select_option("#id_full_time_education", "初中")
    page.select_option("#id_highest_education", "初中")
    page.fill("#id_work_unit", "北京示范大学附属中学")
    page.select_option("#id_province", "11")
    page.fill("#id_city", "北京市")
    page.click("button.btn.primary[type=submit]")
    page.wait_for_selector(".has-error")
    shoot(page, "entry-form-errors", size)
    context.close()


def member_list_filtered(browser, size):
    context, page = sign_in(browser, SCHOOL_ADMIN, size)
    page.goto(f"{BASE}/people/?incomplete=1")
    shoot(page, "member-list-filtered", size)
    context.close()


def person(browser, size):
    context, page = sign_in(browser, PROBLEM_BRANCH_ADMIN, size)
    page.goto(f"{BASE}/people/?dev_issue=1&incomplete=1")
    page.click("table tbody tr:first-child td:first-child a")
    page.wait_for_selector("#prof-h")
    shoot(page, "person", size)
    context.close()


def completion(browser, size):
    context, page = sign_in(browser, DISTRICT_ADMIN, size)
    page.goto(f"{BASE}/people/completion/")
    shoot(page, "completion", size)
    context.close()


def main():
    pw = sync_playwright().start()
    # Date inputs follow the browser's locale: a Chinese one shows 年/月/日, as users here see it.
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                 env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"})
    try:
        for size in SIZES:
            for take in (entry_form_errors, member_list_filtered, person, completion):
                take(browser, size)
    finally:
        browser.close()
        pw.stop()


if __name__ == "__main__":
    main()
