"""Screenshots of the Excel import pages (issue 5): the preview with errors, the progress of a big file,
the preview on a phone. Run against a demo server:

    export DATABASE_URL=sqlite:////tmp/h8.sqlite3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8018 --noreload &
    DATABASE_URL=sqlite:////tmp/h8bench.sqlite3 .venv/bin/python bench/import_bench.py --rows 10000 --save /tmp/big.xlsx
    .venv/bin/python docs/screenshots/take_imports.py [--base http://127.0.0.1:8018] [--big /tmp/big.xlsx]

Logs in as the demo admin of 北京示范大学信息学院团总支, who may import members into its branches."""
import argparse
import io
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ADMIN = ("110108199406121068", "Tuanji-Demo-2026")
BRANCH = "北京示范大学信息学院2022级1班团支部"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--lang=zh-CN"]


def ident(born: str, serial: int, area: str = "110108") -> str:
    body = f"{area}{born}{serial:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def filled(template: bytes) -> bytes:
    """A branch_members file as people really send them: mostly right, a few mistakes of each kind."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb["导入下级团支部团员团干部"]
    col = {c.value: c.column for c in ws[1] if c.value}
    common = {"所在团支部全称": BRANCH, "民族": "汉族", "政治面貌": "共青团员", "全日制学历": "大学本科",
              "最高学历": "大学本科", "学习工作单位": "北京示范大学", "所在地区（省）": "北京市", "所在地区（市）": "北京市"}
    rows = [
        {"姓名": "林晓雨", "身份证号": ident("20050312", 721), "入团时间": "2019-05-04", "发展团员编号": "201911080001",
         "手机号码": "13911110001"},
        {"姓名": "陈思远", "身份证号": ident("20050312", 731)[:17] + "0", "入团时间": "2019-05-04",
         "发展团员编号": "201911080002", "手机号码": "13911110002"},
        {"姓名": "王子涵", "身份证号": int(ident("20040820", 742)[:17] + "1"), "入团时间": "2018-05-04",
         "发展团员编号": "201811080003", "手机号码": "13911110003"},
        {"姓名": "赵一鸣", "身份证号": ident("20080101", 751), "入团时间": "2019-05-04", "发展团员编号": "201911080004",
         "手机号码": "13911110004"},
        {"姓名": "孙悦", "身份证号": ident("20041111", 762), "入团时间": "2018-05-04", "发展团员编号": "",
         "手机号码": "13911110005"},
        {"姓名": "周雨桐", "身份证号": ident("20040202", 771), "入团时间": "2019-05-04", "发展团员编号": "201811080006",
         "手机号码": "1391111"},
        {"姓名": "吴昊然", "身份证号": ident("20040303", 781), "入团时间": "五月四日", "发展团员编号": "",
         "手机号码": "13911110007", "所在团支部全称": "信息学院三班"},
        {"姓名": "郑可欣", "身份证号": ident("20040404", 791), "入团时间": "2019-05-04", "发展团员编号": "201911080008",
         "手机号码": "13911110008", "民族": "汉"},
    ]
    for r, row in enumerate(rows, start=2):
        for key, value in {**common, **row}.items():
            ws.cell(row=r, column=col[key], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def login(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def upload(page, base: str, path: str) -> None:
    page.goto(f"{base}/imports/")
    page.check("input[name=kind][value=branch_members]")
    page.set_input_files("input[name=file]", path)
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/imports/jobs/*/")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8018")
    parser.add_argument("--big", default="/tmp/big.xlsx")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = desk.new_page()
        login(page, base)
        template = page.request.get(f"{base}/imports/templates/branch_members.xlsx").body()
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "信息学院2022级1班团员.xlsx"
            bad.write_bytes(filled(template))
            upload(page, base, str(bad))
            page.wait_for_selector("table.errors-table", timeout=30000)
            page.screenshot(path=str(HERE / "import-preview-errors-desktop.png"), full_page=True)
            preview = page.url

            upload(page, base, args.big)
            page.wait_for_function(
                "() => { const t = document.querySelector('.big-number');"
                " return t && /已检查 [1-9]\\d* \\/ \\d+ 行/.test(t.textContent); }", timeout=60000)
            page.wait_for_timeout(1200)
            page.screenshot(path=str(HERE / "import-progress-desktop.png"), full_page=False)

            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="zh-CN")
            mobile = phone.new_page()
            login(mobile, base)
            mobile.goto(preview)
            mobile.wait_for_selector("table.errors-table")
            mobile.screenshot(path=str(HERE / "import-phone.png"), full_page=False)
        browser.close()
    print("wrote", *(p.name for p in sorted(HERE.glob("import-*.png"))))


if __name__ == "__main__":
    main()
