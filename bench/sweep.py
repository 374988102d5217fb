"""Time the sweep (R-TR-7) over 100,000 due steps with one worker and with two (issue 13), and check that no step
is decided twice.

    cd /work/main && .venv/bin/python bench/sweep.py                  # seeds tuanji_bench_sweep once, then runs
    .venv/bin/python bench/sweep.py --due 10000 --reseed --members 120000 --transfers 90000   # a quick run

The source database (`tuanji_bench_sweep`, its own: nothing else is touched) is loaded once with `seed_scale`
(members, admins in every organization, transfers in every state), then 100,000 of its pending OUT and IN steps are
made due (due_at in the past; the other pending steps a month ahead) and it is VACUUM ANALYZEd. Each run works on a
fresh copy (CREATE DATABASE … TEMPLATE, STRATEGY FILE_COPY) with `manage.py auto_approve_transfers --workers N
--batch B -v 2`, whose own timer is reported (Django's start-up is not counted; the messages written after each
chunk's commit are). After each run the copy is checked: every due step decided once and only once, one audit
event per decision and per completion, no request with two IN steps, two completions or two ended memberships,
nothing due left pending; then it is dropped.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = "postgres://postgres@127.0.0.1:5432"
SOURCE = "tuanji_bench_sweep"
COPY = "tuanji_bench_sweep_run"


def admin_sql(*statements) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def manage(db: str, *args) -> str:
    env = dict(os.environ, DATABASE_URL=f"{SERVER}/{db}", DJANGO_SETTINGS_MODULE="config.settings.local")
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def exists(db: str) -> bool:
    with psycopg.connect(f"{SERVER}/postgres") as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone())


def prepare(args) -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{SOURCE}" WITH (FORCE)', f'CREATE DATABASE "{SOURCE}"')
    manage(SOURCE, "migrate", "--no-input", "-v", "0")
    started = time.perf_counter()
    print(manage(SOURCE, "seed_scale", "--members", str(args.members), "--transfers", str(args.transfers)).strip())
    print(f"seeded in {time.perf_counter() - started:.0f} s")
    make_due(args.due)


def make_due(n: int) -> None:
    """n pending OUT/IN steps due (spread over the last 30 days, so chunks cross many due times), the rest not."""
    with psycopg.connect(f"{SERVER}/{SOURCE}", autocommit=True) as conn:
        conn.execute("""
            WITH pending AS (
                SELECT id, row_number() OVER (ORDER BY id) AS n FROM transfers_approvalstep
                WHERE status = 'pending' AND kind IN ('out', 'in'))
            UPDATE transfers_approvalstep s
            SET due_at = CASE WHEN p.n <= %(n)s THEN now() - interval '30 days' * (p.n %% 997) / 997.0 - interval '1 minute'
                              ELSE now() + interval '30 days' END
            FROM pending p WHERE s.id = p.id""", {"n": n})
        due = conn.execute("SELECT count(*), count(*) FILTER (WHERE kind = 'in') FROM transfers_approvalstep "
                           "WHERE status = 'pending' AND due_at <= now()").fetchone()
        if due[0] != n:
            sys.exit(f"only {due[0]} pending OUT/IN steps to make due: seed more transfers (--transfers)")
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    print(f"due: {due[0]} steps ({due[0] - due[1]} OUT, {due[1]} IN)")


CHECKS = {
    # a decided step, and the audit events and requests it left
    "due steps decided": "SELECT count(*) FROM transfers_approvalstep WHERE kind IN ('out','in') "
                         "AND due_at <= %(mark)s AND status = 'auto_approved'",
    "due steps left pending": "SELECT count(*) FROM transfers_approvalstep WHERE kind IN ('out','in') "
                              "AND due_at <= %(mark)s AND status = 'pending'",
    "decision events": "SELECT count(*) FROM audit_auditevent WHERE action IN "
                       "('transfer.out.auto_approved', 'transfer.in.auto_approved')",
    "steps decided twice": "SELECT count(*) FROM (SELECT detail->>'step' FROM audit_auditevent WHERE action IN "
                           "('transfer.out.auto_approved', 'transfer.in.auto_approved') "
                           "GROUP BY 1 HAVING count(*) > 1) d",
    "completions": "SELECT count(*) FROM audit_auditevent WHERE action = 'transfer.completed'",
    "requests completed twice": "SELECT count(*) FROM (SELECT target_id FROM audit_auditevent WHERE action = "
                                "'transfer.completed' GROUP BY 1 HAVING count(*) > 1) d",
    "requests completed": "SELECT count(*) FROM transfers_transferrequest WHERE status = 'completed'",
    "requests with two IN steps": "SELECT count(*) FROM (SELECT request_id FROM transfers_approvalstep "
                                  "WHERE kind = 'in' GROUP BY 1 HAVING count(*) > 1) d",
    "requests with two ended memberships": "SELECT count(*) FROM (SELECT end_reason FROM members_membership "
                                           "WHERE end_reason LIKE 'transfer:%%' GROUP BY 1 HAVING count(*) > 1) d",
    "messages": "SELECT count(*) FROM transfers_message",
}


def check(mark) -> dict:
    with psycopg.connect(f"{SERVER}/{COPY}") as conn:
        return {name: conn.execute(sql, {"mark": mark}).fetchone()[0] for name, sql in CHECKS.items()}


def run(workers: int, batch: int, due: int) -> dict:
    admin_sql(f'DROP DATABASE IF EXISTS "{COPY}" WITH (FORCE)',
              f'CREATE DATABASE "{COPY}" TEMPLATE "{SOURCE}" STRATEGY FILE_COPY')
    with psycopg.connect(f"{SERVER}/{COPY}") as conn:
        mark = conn.execute("SELECT max(due_at) FROM transfers_approvalstep WHERE status = 'pending' "
                            "AND due_at <= now()").fetchone()[0]
        completed_before = conn.execute(CHECKS["requests completed"]).fetchone()[0]
    load = os.getloadavg()[0]
    out = manage(COPY, "auto_approve_transfers", "--workers", str(workers), "--batch", str(batch), "-v", "2")
    seconds = float(re.search(r"([\d.]+) s,", out).group(1))
    approved = int(re.search(r"自动同意 (\d+) ", out).group(1))
    figures = check(mark)
    figures["requests completed by the run"] = figures.pop("requests completed") - completed_before
    admin_sql(f'DROP DATABASE "{COPY}" WITH (FORCE)')
    ok = (approved == due == figures["due steps decided"] == figures["decision events"]
          and figures["completions"] == figures["requests completed by the run"]
          and not any(figures[k] for k in ("due steps left pending", "steps decided twice", "requests completed twice",
                                           "requests with two IN steps", "requests with two ended memberships")))
    return {"workers": workers, "batch": batch, "approved": approved, "seconds": seconds, "load": load,
            "ok": ok, **figures}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=600_000)
    parser.add_argument("--transfers", type=int, default=480_000, help="about 22 %% end up pending OUT or IN")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batch", default="1000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="load the source database again")
    args = parser.parse_args()
    if args.reseed or not exists(SOURCE):
        prepare(args)
    else:
        manage(SOURCE, "migrate", "--no-input", "-v", "0")  # the code's schema and figure functions (orgs 0005)
    results = []
    for _ in range(args.repeat):
        for batch in map(int, args.batch.split(",")):
            for workers in map(int, args.workers.split(",")):
                results.append(run(workers, batch, args.due))
                r = results[-1]
                print(f"  {workers} worker(s), batch {batch}: {r['seconds']:.2f} s, load {r['load']:.2f}, "
                      f"{'ok' if r['ok'] else 'FAILED'}", flush=True)
    print(f"\n{'workers':>7} {'batch':>6} {'approved':>9} {'seconds':>8} {'steps/s':>8} {'load 1m':>7} "
          f"{'completed':>9} {'messages':>9} {'duplicates':>10}  check")
    for r in results:
        dup = r["steps decided twice"] + r["requests completed twice"] + r["requests with two IN steps"]
        print(f"{r['workers']:>7} {r['batch']:>6} {r['approved']:>9} {r['seconds']:>8.2f} "
              f"{r['approved'] / r['seconds']:>8.0f} {r['load']:>7.2f} {r['completions']:>9} {r['messages']:>9} "
              f"{dup:>10}  {'ok' if r['ok'] else 'FAILED ' + str(r)}")
    if not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
