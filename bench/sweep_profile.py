"""Where a sweep chunk's time goes (R-TR-7, issue 13): each statement of the first chunks of a sweep timed by an
`execute_wrapper`, on a fresh copy of bench/sweep.py's source database (dropped after).

    .venv/bin/python bench/sweep_profile.py --batch 1000 --chunks 10

Prints, per statement (its first words), the mean wall ms a chunk and the CPU its PostgreSQL backend spent (read from
/proc: the server must run on this machine; steadier than wall time on a busy machine), and the chunk's wall time (statements, Python and
the commit); the load average at the start. Statements that run after commit (the messages) are counted in the chunk.
"""
import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = "postgres://postgres@127.0.0.1:5432"
SOURCE, COPY = "tuanji_bench_sweep", "tuanji_bench_sweep_prof"


def admin_sql(*statements) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def label(sql: str) -> str:
    words = " ".join(sql.split())
    for key in ("tuanji_stats_flush", "tuanji_stats_defer", "INSERT INTO transfers_message",
                "UPDATE transfers_approvalstep s", "INSERT INTO transfers_approvalstep", "UPDATE members_membership m",
                "INSERT INTO members_membership", "UPDATE members_cadrepost c", "UPDATE transfers_transferrequest r",
                "INSERT INTO audit_auditevent", "INSERT INTO tuanji_sweep_chunk", "CREATE TEMPORARY TABLE",
                "DELETE FROM tuanji_sweep_chunk", "FOR NO KEY UPDATE SKIP LOCKED"):
        if key in words:
            return key
    return words[:70]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    parser.add_argument("--cprofile", action="store_true", help="print the Python profile of the chunks (cProfile)")
    parser.add_argument("--explain", type=float, metavar="MS",
                        help="print auto_explain's plans (nested statements too) of statements over MS ms")
    args = parser.parse_args()
    admin_sql(f'DROP DATABASE IF EXISTS "{COPY}" WITH (FORCE)',
              f'CREATE DATABASE "{COPY}" TEMPLATE "{SOURCE}" STRATEGY FILE_COPY')
    os.environ.update(DATABASE_URL=f"{SERVER}/{COPY}", DJANGO_SETTINGS_MODULE="config.settings.local")
    # this tree's schema on the copy (the source may be behind it)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)
    sys.path.insert(0, ROOT)
    import django
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from transfers.services.sweep import Digest, sweep_chunk

    times, counts, cpus = defaultdict(float), defaultdict(int), defaultdict(float)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def backend_cpu() -> float:  # the chunk's PostgreSQL backend, user + system (the server runs on this machine)
        with open(f"/proc/{backend}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wrapper(execute, sql, params, many, context):
        started, cpu_started = time.perf_counter(), backend_cpu()
        try:
            return execute(sql, params, many, context)
        finally:
            times[label(sql)] += time.perf_counter() - started
            cpus[label(sql)] += backend_cpu() - cpu_started  # clock ticks (10 ms): a mean over many chunks
            counts[label(sql)] += 1

    load = os.getloadavg()[0]
    now, after, walls, approved, cpu, server = timezone.now(), None, [], 0, 0.0, 0.0
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    with connection.execute_wrapper(wrapper):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if args.explain is not None:
                connection.connection.add_notice_handler(lambda diag: print(diag.message_primary))
                cursor.execute("LOAD 'auto_explain'")
                cursor.execute(f"SET auto_explain.log_min_duration = {args.explain}")
                cursor.execute("SET auto_explain.log_analyze = on")
                cursor.execute("SET auto_explain.log_nested_statements = on")
                cursor.execute("SET client_min_messages = log")
        times.clear(), counts.clear(), cpus.clear()
        for _ in range(args.chunks):
            started, cpu_started, server_started = time.perf_counter(), time.process_time(), backend_cpu()
            if args.cprofile:
                profiler.enable()
            after, done = sweep_chunk(now=now, size=args.batch, after=after, digest=Digest())
            profiler.disable()
            walls.append(time.perf_counter() - started)
            cpu += time.process_time() - cpu_started
            server += backend_cpu() - server_started
            approved += done
            if after is None:
                break
    n = len(walls)
    if args.cprofile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    print(f"batch {args.batch}, {n} chunks, {approved} approved, load {load:.2f}")
    for key, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"{seconds / n * 1000:9.1f} ms  {cpus[key] / n * 1000:7.1f} ms CPU  {counts[key] / n:5.1f}x  {key}")
    statements = sum(times.values())
    print(f"{statements / n * 1000:9.1f} ms  statements")
    print(f"{(sum(walls) - statements) / n * 1000:9.1f} ms  Python and commit ({cpu / n * 1000:.1f} ms the process's CPU,"
          " statements' client side included)")
    print(f"{server / n * 1000:9.1f} ms  the backend's CPU a chunk ({(server - sum(cpus.values())) / n * 1000:.1f} ms outside"
          " the timed statements: the commits' key checks and folds)")
    print(f"{sum(walls) / n * 1000:9.1f} ms  a chunk; {sum(walls) / max(approved, 1) * 1e6:.0f} us a step")
    connection.close()
    if not args.keep:
        admin_sql(f'DROP DATABASE "{COPY}" WITH (FORCE)')


if __name__ == "__main__":
    main()
