"""Measure the organization tree (parent link + materialized path) on PostgreSQL (docs/decisions.md).

    cd /work/main && DATABASE_URL=postgres://postgres@127.0.0.1:5432/tuanji_bench \
        .venv/bin/python bench/tree_bench.py --orgs 100000          # --orgs 2000 for a quick run

Creates the database if needed, migrates, empties the tree, members and audit tables (TRUNCATE ... CASCADE),
then loads a generated tree with COPY: 1 root, 31 provinces, cities, counties of ~1,540 organizations each
(4.4 million organizations / ~2,850 counties), committees, general branches and branches, depth 0 to 8,
plus one current membership per generated person with its org_path. Each measurement is repeated and
reported as median and p95 in milliseconds, with the scan lines of PostgreSQL's EXPLAIN (ANALYZE).
Two experiments follow (x1: move_org's Membership UPDATE with and without `ended_at IS NULL`; x2: listing
by path through a C-collated index made for the run and dropped after), then a recursive CTE on parent_id."""
import argparse
import os
import random
import statistics
import sys
import time
from collections import namedtuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

MAINLAND = 31


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# The tree's shape and the COPY loader live in demo/scale_tree.py (seed_scale uses them too).

Node = namedtuple("Node", "pk parent_id path depth org_type")


def load(n: int, n_members: int, rng: random.Random):
    from django.db import connection

    from demo.scale_tree import build_shape, copy_in, reserve_ids
    from members.models import Membership, Person
    from orgs.models import Organization, OrgType, path_segment
    from orgs.naming import normalize_full_name

    with connection.cursor() as cur:
        cur.execute("TRUNCATE orgs_organization, members_person RESTART IDENTITY CASCADE")
    rows, province_idx, county_idx = build_shape(n, rng, provinces=MAINLAND)
    ids = reserve_ids(Organization, len(rows))
    nodes, org_rows = [], []
    for i, (parent, org_type, label, region) in enumerate(rows):
        up = nodes[parent] if parent is not None else None
        node = Node(ids[i], up.pk if up else None, (up.path if up else "") + path_segment(ids[i]),
                    up.depth + 1 if up else 0, org_type)
        nodes.append(node)
        full_name = label if i <= MAINLAND else f"第{ids[i]}{label}"
        org_rows.append({"id": node.pk, "full_name": full_name, "name_key": normalize_full_name(full_name),
                         "org_type": org_type, "parent_id": node.parent_id, "path": node.path,
                         "depth": node.depth, "region_code": region})
    copy_in(Organization, org_rows)
    person_ids = reserve_ids(Person, n_members)
    copy_in(Person, ({"id": pid, "id_number": f"B{pid:017d}", "name": f"团员{pid}", "password": "!"}
                     for pid in person_ids))
    member_ids = reserve_ids(Membership, n_members)
    homes = rng.choices([o for o in nodes if o.org_type == OrgType.BRANCH], k=n_members)
    copy_in(Membership, ({"id": mid, "person_id": pid, "branch_id": b.pk, "org_path": b.path}
                         for mid, pid, b in zip(member_ids, person_ids, homes, strict=True)))
    with connection.cursor() as cur:
        for table in ("orgs_organization", "members_person", "members_membership"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return nodes, [nodes[i] for i in province_idx], [nodes[i] for i in county_idx]


# ---------------------------------------------------------------- measuring

def timed(fn, reps: int, *, warmup: int = 2, per_call: int = 1) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000 / per_call)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def plans(fn) -> list[str]:
    """Run fn once in a transaction that is rolled back, then EXPLAIN (ANALYZE) each SELECT/UPDATE it ran
    (also rolled back) and keep the scan lines."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        fn()
        transaction.set_rollback(True)
    out = []
    with transaction.atomic(), connection.cursor() as cur:
        for q in ctx.captured_queries:
            sql = q["sql"]
            verb = sql.split(None, 1)[0].upper()
            if verb not in ("SELECT", "UPDATE", "WITH"):
                continue
            cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
            lines = [r[0].strip().lstrip("-> ").strip() for r in cur.fetchall()]
            scans = [line for line in lines if " Scan " in line or line.startswith(("Index", "Seq", "Bitmap"))]
            table = sql.split(" FROM ", 1)[-1].split()[0] if verb != "UPDATE" else sql.split()[1]
            took = next((line.split(": ", 1)[1] for line in lines if line.startswith("Execution Time")), "")
            out.append(f"{verb} {table.strip(chr(34))} [{took}]: " + " | ".join(scans or lines[:1]))
        transaction.set_rollback(True)
    return out


def cte_count(org) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(CTE, [org.pk])
        return cur.fetchone()[0]


CTE = """WITH RECURSIVE t AS (
    SELECT id FROM orgs_organization WHERE id = %s AND is_active
    UNION ALL
    SELECT o.id FROM orgs_organization o JOIN t ON o.parent_id = t.id WHERE o.is_active
) SELECT count(*) FROM t"""


def subtree_sizes(orgs) -> dict[int, int]:
    size = {o.pk: 1 for o in orgs}
    for o in reversed(orgs):        # children come after parents
        if o.parent_id:
            size[o.parent_id] += size[o.pk]
    return size


def check_consistent() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT count(*) FROM orgs_organization c JOIN orgs_organization p ON p.id = c.parent_id
                       WHERE c.path NOT LIKE p.path || '%' OR length(c.path) <> length(p.path) + 6
                          OR c.depth <> p.depth + 1""")
        bad_orgs = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM members_membership m JOIN orgs_organization o ON o.id = m.branch_id
                       WHERE m.org_path <> o.path""")
        bad_members = cur.fetchone()[0]
    assert bad_orgs == 0 and bad_members == 0, (bad_orgs, bad_members)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=100_000)
    parser.add_argument("--members", type=int, help="current memberships to load (default: as many as --orgs)")
    parser.add_argument("--reps", type=int, default=200, help="repetitions of each read")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL: the point is its plans and its indexes.")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    from members.models import Membership
    from orgs.models import Organization, OrgType, path_segment
    from orgs.selectors import ancestors, is_within, subtree
    from orgs.services import create_org, move_org

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    t1 = time.perf_counter()
    orgs, provinces, counties = load(args.orgs, args.members or args.orgs, rng)
    t2 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    n_members = Membership.objects.count()
    by_depth = {}
    for o in orgs:
        by_depth[o.depth] = by_depth.get(o.depth, 0) + 1
    print(f"{version}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"migrate {t1 - t0:.1f} s, load {t2 - t1:.1f} s")
    print(f"organizations: {len(orgs):,} by depth {dict(sorted(by_depth.items()))}; memberships: {n_members:,}")

    size = subtree_sizes(orgs)
    member_count = {}
    for b in Membership.objects.values_list("branch_id", flat=True).iterator(chunk_size=20_000):
        member_count[b] = member_count.get(b, 0) + 1
    county = sorted(counties, key=lambda o: size[o.pk])[len(counties) // 2]     # the median county
    province = sorted(provinces, key=lambda o: size[o.pk])[len(provinces) // 2]
    leaf = max(orgs, key=lambda o: o.depth)                                     # depth 8 unless --orgs is tiny
    mover = min((o for o in orgs if o.depth == 4), key=lambda o: abs(size[o.pk] - 100))
    other = next(o for o in counties if o.pk != mover.parent_id)
    new_parent = max((o for o in orgs if o.org_type == OrgType.GENERAL_BRANCH), key=lambda o: o.depth)
    picked = Organization.objects.in_bulk([orgs[0].pk, county.pk, province.pk, leaf.pk, mover.pk, other.pk,
                                           mover.parent_id, new_parent.pk])
    root, county, province, leaf, mover, new_parent = (picked[o.pk] for o in (orgs[0], county, province, leaf,
                                                                               mover, new_parent))
    targets = [picked[other.pk], picked[mover.parent_id]]
    sample = Organization.objects.in_bulk([o.pk for o in rng.sample(orgs, 1000)])
    real_provinces = list(Organization.objects.filter(depth=1))
    pairs = [(o, rng.choice(real_provinces)) for o in sample.values()]

    def members_under(org):
        return sum(member_count.get(o.pk, 0) for o in orgs if o.path.startswith(org.path))

    results, reps = [], args.reps

    def measure(label, fn, *, rows, runs=reps, per_call=1, explain=True, warmup=2):
        med, p95 = timed(fn, runs, per_call=per_call, warmup=warmup)
        results.append((label, rows, runs, med, p95))
        print(f"\n{label}: rows {rows}; median {med:.4g} ms, p95 {p95:.4g} ms over {runs} runs")
        for line in plans(fn) if explain else []:
            print("    " + line)

    for name, org in (("county", county), ("province", province), ("root: the whole table", root)):
        measure(f"(a) subtree({name}).count()", lambda org=org: subtree(org).count(), rows=size[org.pk])
    for name, org in (("province", province), ("root", root)):
        measure(f"(b) first 50 of subtree({name}) by path",
                lambda org=org: list(subtree(org).order_by("path")[:50]), rows=size[org.pk])
    measure(f"(c) ancestors(leaf at depth {leaf.depth})", lambda: list(ancestors(leaf)), rows=8)
    measure("(d) is_within, per call, no query", lambda: [is_within(a, b) for a, b in pairs], rows="-",
            per_call=len(pairs), explain=False)
    for name, org in (("county", county), ("province", province), ("root", root)):
        measure(f"(e) members of subtree({name}).count()",
                lambda org=org: Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True).count(),
                rows=members_under(org))
    counter = iter(range(10**9))
    measure(f"(f) create_org(branch under a depth-{new_parent.depth} general branch)",
            lambda: create_org(actor=None, full_name=f"基准新建团支部{next(counter)}", org_type=OrgType.BRANCH,
                               parent=new_parent), rows=1, runs=max(20, reps // 2))
    flip = iter(range(10**9))
    moved = [Organization.objects.get(pk=mover.pk)]

    def move():
        moved[0] = move_org(actor=None, org=moved[0], new_parent=targets[next(flip) % 2])

    measure(f"(g) move_org(subtree of {size[mover.pk]} orgs, {members_under(mover)} members)", move,
            rows=size[mover.pk], runs=max(10, reps // 10))
    check_consistent()

    def rolled_back(fn):
        def run():
            with transaction.atomic():
                fn()
                transaction.set_rollback(True)
        return run

    # The same two writes without their COMMIT: what is left is the statements' own work.
    measure("(f') create_org, rolled back (no commit flush)", rolled_back(
        lambda: create_org(actor=None, full_name=f"基准新建团支部{next(counter)}", org_type=OrgType.BRANCH,
                           parent=new_parent)), rows=1, runs=max(20, reps // 2), explain=False)
    measure("(g') move_org, rolled back (no commit flush)", rolled_back(
        lambda: move_org(actor=None, org=moved[0], new_parent=targets[0] if moved[0].parent_id != targets[0].pk
                         else targets[1])), rows=size[mover.pk], runs=max(10, reps // 10), explain=False)

    print("\nExperiments: move_org's Membership UPDATE as written and restricted to current rows (the partial")
    print("index membership_path only serves queries that say ended_at IS NULL); listing by path with a C-collated index.")
    mover.refresh_from_db()
    dest = targets[0] if mover.parent_id != targets[0].pk else targets[1]
    new_path, cut = dest.path + path_segment(mover.pk), len(mover.path) + 1

    def retag_members(*, current_only):
        qs = Membership.objects.filter(org_path__startswith=mover.path)
        if current_only:
            qs = qs.filter(ended_at__isnull=True)
        qs.update(org_path=Concat(Value(new_path), Substr("org_path", cut)))

    for current_only in (False, True):
        measure(f"(x1) Membership org_path UPDATE of a move, {'ended_at IS NULL' if current_only else 'as move_org runs it'}",
                rolled_back(lambda c=current_only: retag_members(current_only=c)), rows=members_under(mover),
                runs=max(10, reps // 10))
    with connection.cursor() as cur:
        cur.execute('CREATE INDEX bench_path_c ON orgs_organization ((path COLLATE "C"))')
        cur.execute("ANALYZE orgs_organization")
    listing = 'SELECT * FROM orgs_organization WHERE (path COLLATE "C") LIKE %s AND is_active ORDER BY path COLLATE "C" LIMIT 50'
    for name, org in (("province", province), ("root", root)):
        measure(f'(x2) first 50 of subtree({name}) by path COLLATE "C", extra index (not in the schema)',
                lambda org=org: list(Organization.objects.raw(listing, [org.path + "%"])), rows=size[org.pk])
    with connection.cursor() as cur:
        cur.execute("DROP INDEX bench_path_c")

    print("\nRecursive CTE on parent_id, for comparison:")
    for name, org in (("province", province), ("root", root)):
        assert cte_count(org) == subtree(org).count()
        measure(f"(a') recursive CTE count, {name}", lambda org=org: cte_count(org), rows=size[org.pk],
                runs=5, warmup=1)

    print(f"\n{len(orgs):,} organizations, {n_members:,} memberships; {version}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}; total {time.perf_counter() - t0:.0f} s\n")
    print("| measurement | rows | runs | median ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for label, rows, runs, med, p95 in results:
        rows = f"{rows:,}" if isinstance(rows, int) else rows
        print(f"| {label} | {rows} | {runs} | {med:.4g} | {p95:.4g} |")


if __name__ == "__main__":
    main()
