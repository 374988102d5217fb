"""Time each reminder kind (issue 14, reports/reminders.py) on the scale data set: its reads (the kind's function),
then `send` (opt-outs, the ReminderLog claim, the messages) in a transaction rolled back, so the database is left as
it was and every run starts from the same state. With --explain, each read's EXPLAIN (ANALYZE, BUFFERS).

    createdb -h 127.0.0.1 -U postgres -T tuanji_scale_m h14s_m     # or seed_scale --members 1000000 …
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h14s_m .venv/bin/python manage.py migrate --settings=config.settings.local
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h14s_m .venv/bin/python bench/reminders.py [--explain] [KIND …]

The moments: 2 December 2026 (the seeded steps are pending, some for days); the graduation kinds on 10 May 2027
(the seeded graduating branches' year); turning-28 on 20 December 2027 (seed_scale's people born early in 2000 turn
28 within 90 days; none are born 1997–1999)."""
import datetime as dt
import os
import sys
import time
import zoneinfo

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.db import connection, transaction  # noqa: E402  (after setup)
from django.test.utils import CaptureQueriesContext  # noqa: E402

from reports import reminders  # noqa: E402

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=SH)
MOMENT = {"graduation": dt.datetime(2027, 5, 10, 12, 0, tzinfo=SH),
          "graduation_list": dt.datetime(2027, 5, 10, 12, 0, tzinfo=SH),
          "turning_28": dt.datetime(2027, 12, 20, 12, 0, tzinfo=SH)}


def main(argv):
    explain = "--explain" in argv
    only = [a for a in argv if not a.startswith("--")]
    for kind, compute in reminders.KINDS.items():
        if only and kind not in only:
            continue
        now = MOMENT.get(kind, NOW)
        day = reminders.local_day(now)
        with CaptureQueriesContext(connection) as reads:
            start = time.perf_counter()
            notices = compute(now, day)
            read_s = time.perf_counter() - start
        with CaptureQueriesContext(connection) as writes, transaction.atomic():
            start = time.perf_counter()
            sent = reminders.send(kind, notices, now=now, day=day)
            send_s = time.perf_counter() - start
            transaction.set_rollback(True)
        print(f"{kind:16} people={len(notices):7} reads={read_s * 1000:6.0f} ms ({len(reads.captured_queries)} queries)"
              f"  send={send_s * 1000:6.0f} ms ({len(writes.captured_queries)} queries) sent={sent}")
        if explain:
            for query in reads.captured_queries:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    print("   ", query["sql"][:300])
                    print("\n".join("      " + row[0] for row in cur.fetchall()))


if __name__ == "__main__":
    main(sys.argv[1:])
