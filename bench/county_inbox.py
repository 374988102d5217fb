"""The inbox of many counties (issue 13 goal: the worst county ≤ 3 × the median one), on the 1,000,000-member set.

    .venv/bin/python bench/county_inbox.py [--db postgres://postgres@127.0.0.1:5432/tuanji_scale_m] [--busiest 50]
        [--random 50] [--requests 5]

Counties (depth 3, leading organs) with the most steps waiting in their inbox (their own and their direct
children's, as transfers.selectors.pending_steps reads it) and as many more drawn at random (seeded). Each is read
through Django's test client as its own admin (second factor shown, as bench/pages.py does): one warm-up, then
--requests requests; a county's figure is the median of its requests. Prints the distribution over counties and
the ratio of the worst to the median.
"""
import argparse
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/tuanji_scale_m")
    parser.add_argument("--busiest", type=int, default=50)
    parser.add_argument("--random", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, ROOT)
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import Length, Substr
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse
    from pages import _signed_in

    from access.models import CadrePost
    from orgs.models import SEGMENT, Organization, OrgType
    from transfers.models import ApprovalStep

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    counties = {o.path: o for o in Organization.objects.filter(depth=3, org_type=OrgType.LEADING, is_active=True)}
    cut = 4 * SEGMENT
    waiting = dict(ApprovalStep.objects.filter(status="pending").annotate(n=Length("org_path"))
                   .filter(n__in=[cut, cut + SEGMENT]).annotate(county=Substr("org_path", 1, cut)).order_by()
                   .values("county").annotate(steps=Count("pk")).values_list("county", "steps"))
    ranked = sorted(counties, key=lambda path: (-waiting.get(path, 0), path))
    busiest = ranked[:args.busiest]
    rest = ranked[args.busiest:]
    drawn = random.Random(args.seed).sample(rest, min(args.random, len(rest)))
    rows = []
    path = reverse("transfers:inbox")
    for group, paths in (("busiest", busiest), ("random", drawn)):
        for county_path in paths:
            org = counties[county_path]
            post = CadrePost.objects.held().filter(org=org, is_admin=True).select_related("person").first()
            if post is None:
                continue
            client = _signed_in(Client, post.person, org)
            client.get(path)
            samples = []
            for _ in range(args.requests):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    response = client.get(path)
                    samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (org.pk, response.status_code)
            rows.append((group, org, waiting.get(county_path, 0), statistics.median(samples), len(ctx.captured_queries)))
    times = [r[3] for r in rows]
    median = statistics.median(times)
    worst = max(rows, key=lambda r: r[3])
    print(f"counties read: {len(rows)} ({sum(1 for r in rows if r[0] == 'busiest')} busiest, "
          f"{sum(1 for r in rows if r[0] == 'random')} random), {args.requests} requests each after a warm-up")
    for label, group in (("busiest", "busiest"), ("random", "random")):
        mine = sorted(r[3] for r in rows if r[0] == group)
        if mine:
            print(f"  {label:8} median {statistics.median(mine):7.1f} ms   max {mine[-1]:7.1f} ms   "
                  f"steps waiting {min(r[2] for r in rows if r[0] == group)}–{max(r[2] for r in rows if r[0] == group)}")
    print(f"  all      median {median:7.1f} ms   worst {worst[3]:7.1f} ms ({worst[1].full_name}, {worst[2]} steps "
          f"waiting, {worst[4]} queries)")
    print(f"worst ÷ median: {worst[3] / median:.2f}   (load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
