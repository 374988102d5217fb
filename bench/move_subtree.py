"""Time moving a subtree of about 3,000 organizations (issue 15: the "调整隶属" page calls orgs.services.move_org) on
a scratch copy of the scale data set, and check that the figures kept per organization follow it.

    createdb -h 127.0.0.1 -U postgres -T tuanji_scale_m h_upkeep_m     # seed_scale --members 1000000 --orgs 100000 …
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_upkeep_m .venv/bin/python manage.py migrate --settings=config.settings.local
    psql -h 127.0.0.1 -U postgres -d h_upkeep_m -c "VACUUM ANALYZE"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_upkeep_m .venv/bin/python bench/move_subtree.py [--size 3000] [--runs 4] [--check]

It picks the organization two levels below the root (a city) whose subtree is nearest --size organizations and moves
it, with its whole subtree, under another province and back again, --runs times each way, each move one committed
transaction as the page makes it. Printed: what a move rewrites (organizations, memberships ended ones included,
posts, steps), each move's time (median and max), the compactor's fold after it, and whether the figures the
confirmation page reads (orgs.selectors.subtree_figures: kept per organization) of the subtree, its old and new
province and the root equal a count of the rows (counted_figures) after every move. With --check, a recount from
scratch of every organization's figures (orgs.services.figures_differing) at the end: minutes at a million members.
Every move is undone by the next: the copy ends as it began."""
import argparse
import os
import statistics
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.db import connection  # noqa: E402  (after setup)

from orgs.models import Organization  # noqa: E402
from orgs.selectors import counted_figures, subtree_figures  # noqa: E402
from orgs.services import compact_figures, figures_differing, move_org, path_copies  # noqa: E402


def pick(size: int) -> tuple[Organization, list[Organization]]:
    """The organization at depth 2 whose subtree is nearest `size`, and another of the root's children (the target)."""
    with connection.cursor() as cur:
        cur.execute("SELECT o.id, count(*) FROM orgs_organization o JOIN orgs_organization s "
                    "ON s.path LIKE o.path || '%%' WHERE o.depth = 2 AND o.is_active GROUP BY o.id "
                    "ORDER BY abs(count(*) - %s), o.id LIMIT 1", [size])
        pk, _n = cur.fetchone()
    org = Organization.objects.get(pk=pk)
    root = Organization.objects.get(parent__isnull=True, is_active=True)
    targets = list(Organization.objects.filter(parent=root, is_active=True).exclude(pk__in=org.ancestor_ids())
                   .order_by("pk")[:1])
    return org, targets


def rewritten(org: Organization) -> dict[str, int]:
    moved = Organization.objects.filter(path__startswith=org.path).values("pk")
    out = {"organizations": Organization.objects.filter(path__startswith=org.path).count()}
    for model, fk in path_copies():
        out[model._meta.label] = model.objects.filter(**{f"{fk}__in": moved}).count()
    return out


def check(*orgs: Organization) -> None:
    for org in orgs:
        org = Organization.objects.get(pk=org.pk)
        kept, counted = subtree_figures(org), counted_figures(org)
        assert kept == counted, (org.full_name, kept, counted)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    compact_figures()
    org, (target,) = pick(args.size)
    home = org.parent
    print(f"moving {org.full_name} (pk {org.pk}, depth {org.depth}) between {home.full_name} and {target.full_name}")
    print("rewritten a move:", rewritten(org))
    print("the subtree's figures:", subtree_figures(org))
    root = Organization.objects.get(parent__isnull=True, is_active=True)
    check(org, home, target, root)
    times, folds = [], []
    places = [target, home] * args.runs
    for place in places:
        start = time.perf_counter()
        org = move_org(actor=None, org=org, new_parent=place)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        folded = compact_figures()
        folds.append((time.perf_counter() - start, folded))
        check(org, home, target, root)
    print(f"move_org: {len(times)} moves, median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms ({', '.join(f'{t * 1000:.0f}' for t in times)})")
    print(f"compact after each: median {statistics.median(t for t, _ in folds) * 1000:.0f} ms, "
          f"rows folded {[n for _, n in folds]}")
    print("kept figures of the subtree, its old and new province and the root: equal to a count after every move")
    if args.check:
        start = time.perf_counter()
        differing = figures_differing()
        print(f"recount from scratch: {len(differing)} organizations differ ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
