"""Pages at two sizes, side by side, in one run (issue 13): the same page on the small and the medium data set,
interleaved, in-process through Django's test client (p50/p95 in milliseconds, queries per request, and each page
divided by the bare view of its own size).

    createdb tuanji_scale_s; createdb tuanji_scale_m      # then, for each, migrate and seed_scale:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tuanji_scale_s .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tuanji_scale_s .venv/bin/python manage.py seed_scale \\
        --members 10000 --orgs 1000 --transfers 1000 --replace
    (the same for tuanji_scale_m with --members 1000000 --orgs 100000 --transfers 100000)
    .venv/bin/python bench/pages.py --requests 200

Each size runs in its own process (its own DATABASE_URL); the parent sends both the same page in turn, a batch
at a time, so load on the machine falls on both alike. Signs in by session (force_login), with the second
factor marked verified the way the tests do it, acting as the organization the page is about."""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = "postgres://postgres@127.0.0.1:5432/"
PAGES = [  # name, who (see _actor), url name
    ("bare view (home)", "branch", "home"),
    ("branch admin's inbox", "branch", "transfers:inbox"),
    ("county admin's inbox", "county", "transfers:inbox"),
    ("central admin's inbox", "central", "transfers:inbox"),
    ("province member list", "province", "people:members"),
    ("province dashboard", "province", "reports:dashboard"),
    ("central dashboard", "central", "reports:dashboard"),
    ("province graduation season", "graduating province", "reports:graduation"),
]


def _worker(url: str, conn) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    clients = {}
    while True:
        message = conn.recv()
        if message is None:
            return
        who, url_name, n = message
        if who not in clients:
            clients[who] = _client(Client, who)
        client = clients[who]
        path = reverse(url_name)
        samples, queries = [], 0
        for _ in range(n):
            reset_queries()  # the query log keeps 9,000 entries; past that the count would read wrong
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (who, url_name, response.status_code)
            queries = len(ctx.captured_queries)
        conn.send((samples, queries))


def _actor(who: str):
    """The admin (and organization) a page is read as: a branch and a county with the most pending steps, a
    province (the first; for the graduation season, the one with the most graduating branches), the root."""
    from django.db.models import Count
    from django.db.models.functions import Length, Substr

    from access.models import CadrePost
    from orgs.models import SEGMENT, Organization, OrgType
    from transfers.models import ApprovalStep

    if who == "central":
        org = Organization.objects.get(parent__isnull=True)
    elif who == "province":
        org = Organization.objects.filter(depth=1).order_by("pk").first()
    elif who == "graduating province":
        # The most graduating branches this season (the page's default year), as the inboxes are read at their
        # busiest: the first province of the S set has none, and a page with nothing to count compares with nothing.
        from reports.graduation import default_year
        from reports.models import BranchGraduation

        marks = BranchGraduation.objects.filter(expected_on__year=default_year()).values_list("branch__path", flat=True)
        paths = Counter(path[:2 * SEGMENT] for path in marks)
        org = Organization.objects.get(path=min(paths, key=lambda p: (-paths[p], p)), depth=1)
    elif who == "county":
        # The most steps waiting in its inbox: its own and its direct children's, as pending_steps reads it (as
        # bench/county_inbox.py ranks them). Not the most in its whole subtree: at S that county's inbox was empty.
        cut = 4 * SEGMENT
        busiest = (ApprovalStep.objects.filter(status="pending").annotate(n=Length("org_path"))
                   .filter(n__in=[cut, cut + SEGMENT]).annotate(county=Substr("org_path", 1, cut)).order_by()
                   .values("county").annotate(steps=Count("pk")).order_by("-steps", "county")
                   .values_list("county", flat=True).first())
        org = Organization.objects.get(path=busiest, org_type=OrgType.LEADING)
    else:
        org = (Organization.objects.filter(org_type=OrgType.BRANCH)
               .annotate(n=Count("approval_steps")).order_by("-n", "pk").first())
    post = CadrePost.objects.held().filter(org=org, is_admin=True).select_related("person").first()
    return post.person, org


def _client(client_class, who: str):
    return _signed_in(client_class, *_actor(who))


def _signed_in(client_class, person, org):
    """Signed in as the test suite's `client_as` does: the session clock started, the second factor shown."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from config.sessions import start as start_session_clock
    from tests.conftest import second_factor

    if not person.password_set:
        type(person).objects.filter(pk=person.pk).update(password_set=True)
        person.password_set = True
    client = client_class()
    client.force_login(person)
    session = client.session
    start_session_clock(session)
    session[DEVICE_ID_SESSION_KEY] = second_factor(person).persistent_id  # R-ACC-5
    session["acting_org_id"] = org.pk
    session.save()
    return client


def _p(samples, q):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, round(q * (len(samples) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default=BASE + "tuanji_scale_s")
    parser.add_argument("--medium", default=BASE + "tuanji_scale_m")
    parser.add_argument("--requests", type=int, default=200, help="per page and size")
    parser.add_argument("--batch", type=int, default=10, help="requests in a row before the other size's turn")
    parser.add_argument("--budget", type=float, default=60, help="seconds a page may take (both sizes) before it "
                        "stops short of --requests; a slow page is then reported over fewer requests")
    parser.add_argument("--only", default="", help="only the pages whose name contains this (the bare view always runs)")
    args = parser.parse_args()
    pages = [p for i, p in enumerate(PAGES) if i == 0 or args.only in p[0]]
    ctx = mp.get_context("spawn")
    pipes, procs = {}, []
    for size, url in (("S", args.small), ("M", args.medium)):
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(url, theirs), daemon=True)
        proc.start()
        pipes[size], procs = mine, procs + [proc]
    results = {}
    for name, who, url_name in pages:
        for size in pipes:  # warm up: sign in, fill caches
            pipes[size].send((who, url_name, 3))
            pipes[size].recv()
        done, started = 0, time.perf_counter()
        while done < args.requests and (done < 2 * args.batch or time.perf_counter() - started < args.budget):
            n = min(args.batch, args.requests - done)
            for size in pipes:
                pipes[size].send((who, url_name, n))
                samples, queries = pipes[size].recv()
                entry = results.setdefault((name, size), {"samples": [], "queries": queries})
                entry["samples"] += samples
            done += n
    for pipe in pipes.values():
        pipe.send(None)
    for proc in procs:
        proc.join()
    bare = {size: _p(results[(PAGES[0][0], size)]["samples"], 0.95) for size in pipes}
    print(f"{'page':<30}{'S p50':>8}{'S p95':>8}{'M p50':>8}{'M p95':>8}{'M/S p95':>9}{'S q':>5}{'M q':>5}"
          f"{'S ÷bare':>9}{'M ÷bare':>9}")
    for name, _who, _u in pages:
        s, m = results[(name, "S")], results[(name, "M")]
        s95, m95 = _p(s["samples"], 0.95), _p(m["samples"], 0.95)
        print(f"{name:<30}{statistics.median(s['samples']):>8.1f}{s95:>8.1f}{statistics.median(m['samples']):>8.1f}"
              f"{m95:>8.1f}{m95 / s95:>9.2f}{s['queries']:>5}{m['queries']:>5}{s95 / bare['S']:>9.2f}"
              f"{m95 / bare['M']:>9.2f}")
    counts = sorted({len(results[(name, "M")]["samples"]) for name, _w, _u in pages})
    print(f"(p50/p95 in ms over {counts} requests a page and size; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
