"""Import a generated 10,000-row valid workbook and report rows per second (issue 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tuanji_bench .venv/bin/python bench/import_bench.py --rows 10000

Creates the database if needed, builds a small tree, fills the branch_members template (outside the
timing), then times import_workbook end to end: read, check every row, write in one transaction.

With --existing it imports into the database as it is (no drop, no migrate), under its root: a copy of the
1,000,000-member data set, so the checks against the people already on file run at national size (issue 13):

    createdb -h 127.0.0.1 -U postgres -T tuanji_scale_m tuanji_bench_import_m
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tuanji_bench_import_m .venv/bin/python bench/import_bench.py \
        --rows 10000 --existing
"""
import argparse
import datetime as dt
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--save", help="also write the generated workbook to this path")
    parser.add_argument("--existing", action="store_true", help="import into the database as it is (a copy!)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and not args.existing:
        ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    if not args.existing:
        call_command("migrate", verbosity=0)
    from openpyxl import load_workbook

    from members.idnumber import check_char
    from members.importing import build_template, import_workbook
    from members.models import Person
    from members.services import enter_cadre
    from orgs.models import Organization, OrgType
    from orgs.services import create_org

    # On an existing data set: names, ID numbers and development numbers of this run's own (seed_scale's areas
    # end in 0102; it gives no development numbers, earlier runs did).
    run = time.time_ns() // 1000 % 9000
    tag, area, first = (f"基准{run}", 100200 + run // 100 * 10000 + run % 100, run * 10000) if args.existing else (
        "", 110101, 0)
    root = (Organization.objects.filter(parent=None).order_by("pk").first() if args.existing else
            create_org(actor=None, full_name="共青团中央", org_type=OrgType.LEADING, parent=None, region_code="11"))
    print(f"database: {Person.objects.count():,} people on file before the import")
    uni = create_org(actor=None, full_name=f"{tag}示范大学团委", org_type=OrgType.COMMITTEE, parent=root)
    branches = [create_org(actor=None, full_name=f"{tag}示范大学{i}班团支部", org_type=OrgType.BRANCH, parent=uni)
                for i in range(20)]
    admin_body = f"{area}19900101999" if args.existing else "11010119900101123"
    admin = enter_cadre(actor=None, org=uni, id_number=admin_body + check_char(admin_body),
                        name="管理员", title="书记", is_admin=True)

    wb = load_workbook(io.BytesIO(build_template("branch_members")))
    ws = wb["导入下级团支部团员团干部"]
    headers = {c.value: c.column for c in ws[1] if c.value}
    for i in range(args.rows):
        born = dt.date(2000 + i % 8, 1 + i % 12, 1 + i % 28)
        body = f"{area + i // 1000 * 100 if args.existing else area + i // 1000:06d}{born:%Y%m%d}{i % 1000:03d}"
        joined = dt.date(born.year + 14, 5, 4)
        row = {"姓名": f"成员{i}", "身份证号": body + check_char(body), "入团时间": joined,
               "发展团员编号": f"{joined.year}{first + i:08d}" if joined.year >= 2017 else "",
               "手机号码": f"138{i:08d}", "所在团支部全称": branches[i % 20].full_name, "民族": "汉族",
               "政治面貌": "共青团员", "全日制学历": "大学本科", "最高学历": "大学本科", "学习工作单位": "示范大学",
               "所在地区（省）": "北京市", "所在地区（市）": "北京市"}
        for key, value in row.items():
            ws.cell(row=2 + i, column=headers[key], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    print(f"workbook: {args.rows} rows, {len(buf.getvalue()) / 1024:.0f} KiB")
    if args.save:
        with open(args.save, "wb") as fh:
            fh.write(buf.getvalue())

    from django.db import connection

    started, cpu = time.perf_counter(), time.process_time()
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        result = prof.runcall(import_workbook, actor=admin, acting_org=uni, kind="branch_members",
                              file=io.BytesIO(buf.getvalue()))
        if os.environ["PROFILE"].endswith(".prof"):
            prof.dump_stats(os.environ["PROFILE"])
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        result = import_workbook(actor=admin, acting_org=uni, kind="branch_members", file=io.BytesIO(buf.getvalue()))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert not result.errors, result.errors[:5]
    print(f"database: {connection.vendor}; imported {result.created} rows in {elapsed:.2f} s "
          f"= {result.created / elapsed:,.0f} rows/s; this process's CPU {cpu:.2f} s (the rest: the database, and "
          f"waiting for a core); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
