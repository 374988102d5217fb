"""Batch transfer (R-TR-9) of 3 and of 30 members on a large database (issue 13: 30 in at most 200 ms, with the same
queries as 3): p50/p95 in milliseconds and queries per call, the two sizes interleaved so load on the machine falls
on both alike.

    createdb -h 127.0.0.1 -U postgres -T tuanji_scale_m tuanji_bench_batch      # a copy: this writes to it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tuanji_bench_batch .venv/bin/python bench/batch.py --runs 20

Takes a branch with at least 30 current members whose parent may batch (committee, working committee, general
branch), a sibling branch, and an admin of the parent. Each timed call is the service end to end — `batch_transfer`
with its commit and the messages after it — moving the first n members to the sibling; an untimed batch moves them
back, so every run starts from the same rows. Never point it at a database you want to keep."""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")  # locmem mail, no console noise

SIZES = (3, 30)


def _setting():
    """(admin, acting org, source branch, target branch, 30 members of the source), from the data as seeded."""
    from django.db.models import Count, Q

    from members.models import CadrePost, Person
    from orgs.models import Organization, OrgType

    batchers = [OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH]
    candidates = (Organization.objects.filter(org_type=OrgType.BRANCH, is_active=True, parent__org_type__in=batchers)
                  .annotate(n=Count("memberships", filter=Q(memberships__ended_at__isnull=True)))
                  .filter(n__gte=max(SIZES)).select_related("parent").order_by("pk"))
    for source in candidates:
        target = (Organization.objects.filter(parent=source.parent, org_type=OrgType.BRANCH, is_active=True)
                  .exclude(pk=source.pk).order_by("pk").first())
        post = CadrePost.objects.held().filter(org=source.parent, is_admin=True).select_related("person").first()
        members = list(Person.objects.filter(memberships__branch=source, memberships__ended_at__isnull=True)
                       .exclude(transfers__status="pending").order_by("pk")[:max(SIZES)])  # R-TR-10 would refuse
        if target is not None and post is not None and len(members) == max(SIZES):
            break
    else:
        sys.exit("no branch with 30 movable members, a sibling and an admin above it")
    return post.person, source.parent, source, target, members


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="timed calls of each size")
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL copy of the data set (see the docstring)")
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from transfers.services import batch_transfer

    admin, acting, source, target, members = _setting()
    print(f"{connection.settings_dict['NAME']}: {acting.full_name} ({acting.org_type}) moves members of "
          f"{source.full_name} (pk {source.pk}) to {target.full_name} (pk {target.pk}); acting admin pk {admin.pk}")

    def move(people, a, b):
        return batch_transfer(actor=admin, acting_org=acting, from_branch=a, members=people, to_branch=b,
                              reason="job_change")

    times = {n: [] for n in SIZES}
    queries = {n: set() for n in SIZES}
    for i in range(args.warmup + args.runs):
        for n in SIZES:
            people = members[:n]
            reset_queries()  # the log keeps 9,000 queries: once full, a capture would count none
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                assert len(move(people, source, target)) == n
                elapsed = (time.perf_counter() - started) * 1000
            move(people, target, source)  # untimed: back where they were
            if i >= args.warmup:
                times[n].append(elapsed)
                queries[n].add(len(ctx.captured_queries))
    load = os.getloadavg()
    print(f"{args.runs} runs each after {args.warmup} warm-up; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'members':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for n in SIZES:
        ts = sorted(times[n])
        p95 = ts[min(len(ts) - 1, round(0.95 * (len(ts) - 1)))]
        print(f"{n:>8} {statistics.median(ts):>8.1f} {p95:>8.1f} {ts[-1]:>8.1f} "
              f"{'/'.join(str(q) for q in sorted(queries[n])):>8}")


if __name__ == "__main__":
    main()
