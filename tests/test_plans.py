"""Plans, not only query counts (issue 13): on PostgreSQL, after ANALYZE on a few thousand rows of the scale data
set's shape, the inbox, the escalations, the navigation badges, the member list and the graduation season read
through indexes — never a sequential scan of organizations, steps, memberships or people. A scan of a whole table
is what made the branch inbox six times slower at a million members."""
import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import CadrePost
from demo.scale import TABLES, ScaleSeeder
from members.league_age import birthday
from members.models import Membership
from members.selectors.lists import member_list
from orgs.models import Organization, OrgType
from reports.graduation import season_list
from reports.models import BranchGraduation
from reports.reminders import KINDS, SHANGHAI, local_day
from reports.selectors.dashboard import dashboard, steps_behind
from transfers.models import ApprovalStep
from transfers.selectors import ROW_JOINED, escalations, pending_steps, row_facts, unread_count

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
GUARDED = ("orgs_organization", "transfers_approvalstep", "members_membership", "members_person")
SCAN = re.compile(r"Seq Scan on (\w+)")
JOIN = re.compile(r"\bJOIN\b")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module, seeded once (seeding is most of this file's time). Committed: the seeder builds
    the secondary indexes after loading, and within the transaction that built them PostgreSQL may not use an
    index over rows it updated there (pg_index.indcheckxmin). Emptied again when the module is done."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            found = build_world()
        with connection.cursor() as cur:
            # As seed_scale leaves the scale sets (and autovacuum a live database): the steps' visibility map set, so
            # that an index-only scan is what it is at 1 M and not a heap read (outside a transaction: VACUUM).
            cur.execute("VACUUM (ANALYZE) transfers_approvalstep")
        yield found
        with connection.cursor() as cur:
            cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")


def build_world():
    ScaleSeeder(orgs=3000, members=20000, transfers=2000, seed=7, out=lambda *_: None).run()

    def admin_of(org):
        return CadrePost.objects.held().filter(org=org, is_admin=True).select_related("person").get().person, org

    # Issue 15: a few committees' terms end soon (the term reminder's rows).
    soon = timezone.localdate() + dt.timedelta(days=10)
    Organization.objects.filter(pk__in=Organization.objects.filter(org_type=OrgType.COMMITTEE).order_by("pk")
                                .values("pk")[:20]).update(term_ends_on=soon)
    busiest = (ApprovalStep.objects.filter(status="pending", org__org_type=OrgType.BRANCH)
               .values_list("org_id", flat=True).order_by("org_id").first())
    return {"branch": admin_of(Organization.objects.get(pk=busiest)),
            "county": admin_of(Organization.objects.filter(depth=3).order_by("pk").first()),
            "central": admin_of(Organization.objects.get(parent__isnull=True))}


def seq_scans(run) -> list[str]:
    """EXPLAIN every SELECT that `run` makes; the guarded tables it scans whole."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    found = []
    with transaction.atomic(), connection.cursor() as cur:
        for query in ctx.captured_queries:
            if not query["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cur.fetchall())
            found += [f"{table}: {query['sql'][:120]}" for table in SCAN.findall(plan) if table in GUARDED]
    return found


@pytest.mark.parametrize("who", ["branch", "county", "central"])
def test_the_inbox_and_its_badge_use_indexes(world, who):
    actor, org = world[who]
    assert seq_scans(lambda: (list(pending_steps(actor=actor, acting_org=org)[:50]),
                              pending_steps(actor=actor, acting_org=org).count())) == []


def widest_join(run) -> int:
    """The most tables any one of `run`'s queries joins."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    return max((1 + len(JOIN.findall(q["sql"])) for q in ctx.captured_queries), default=0)


@pytest.mark.parametrize("who", ["branch", "county", "central"])
@pytest.mark.parametrize("url", ["transfers:inbox", "transfers:escalations"])
def test_the_inbox_pages_are_short_plans_on_indexes(world, client_as, who, url):
    """The inbox and the escalations as served, rows and all (row_facts): every query on indexes, none
    joining more than five tables. The page's query once joined eleven (the step's request, member, both ends,
    target branch, initiator, initiating organization, the step's organization and its parent): a millisecond to
    run, 20–35 ms for PostgreSQL to *plan*, at any size (issue 13)."""
    actor, org = world[who]
    client = client_as(type(actor).objects.get(pk=actor.pk), org)   # a copy: signing in sets a password, rolled back

    def page():
        resp = client.get(reverse(url))
        assert resp.status_code == 200
        assert url != "transfers:inbox" or who != "branch" or 'class="row' in resp.content.decode()  # ran on rows

    assert seq_scans(page) == []
    assert widest_join(page) <= 5


def test_the_inbox_rows_cost_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    actor, org = world["branch"]
    steps = pending_steps(actor=actor, acting_org=org).select_related(*ROW_JOINED)
    with django_assert_max_num_queries(3):   # the page, the organizations, the initiators (the chain: when opened)
        assert row_facts(list(steps[:50]))


@pytest.mark.parametrize("who", ["county", "central"])
def test_escalations_use_indexes(world, who):
    actor, org = world[who]
    assert seq_scans(lambda: list(escalations(actor=actor, acting_org=org)[:50])) == []


def test_the_unread_badge_uses_indexes(world):
    actor, _org = world["branch"]
    assert seq_scans(lambda: unread_count(actor)) == []


def forced_scans(run, *, presorted: bool = False) -> list[str]:
    """The guarded tables that `run`'s SELECTs scan whole when the planner may scan only where no index serves
    (enable_seqscan off). In this world a table of a few hundred pages is cheapest read whole; what a million
    members cannot afford is a query with no index path at all (an OR over two IN sub-selects): that is what this
    asks. With `presorted`, a page's order must come from an index (an incremental sort at most), not from sorting
    the subtree."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    found = []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        for query in ctx.captured_queries:
            if not query["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN " + query["sql"])
            plan = [row[0] for row in cur.fetchall()]
            found += [f"{table}: {query['sql'][:120]}" for table in SCAN.findall("\n".join(plan)) if table in GUARDED]
            sorts = [line for line in plan if "Sort" in line and "Key" not in line and "Method" not in line]
            if presorted and sorts and "Incremental Sort" not in sorts[0]:
                found.append(f"sorted whole: {query['sql'][:120]}")
    return found


@pytest.mark.parametrize("who", ["county", "central"])
def test_the_member_lists_first_page_is_an_index_range(world, who):
    """By branch in the tree's order, then by name: the path index gives the order, so the first page reads its
    rows (issue 13: the branches' pinyin order sorted every member of the subtree first)."""
    _actor, org = world[who]
    assert forced_scans(lambda: list(member_list(org)[:50]), presorted=True) == []


def test_the_member_lists_count_uses_the_path_index(world):
    _actor, org = world["county"]
    assert forced_scans(lambda: member_list(org).count()) == []


@pytest.mark.parametrize("who", ["county", "central"])
@pytest.mark.parametrize("state", ["", "not_started", "pending"])
def test_the_graduation_season_reads_its_branches_first(world, who, state):
    """The counts (one grouped query) and the first page (one query) start from the graduating branches, a short
    list, and join each graduate's facts by index (issue 13: a correlated sub-select per person, over an OR that
    scanned every person, took 5 s at 1 M)."""
    _actor, org = world[who]
    year = BranchGraduation.objects.values_list("expected_on", flat=True).first().year

    def page():
        _marks, counts, listed = season_list(acting_org=org, year=year, state=state)
        assert counts["total"]   # the world has graduates here: the queries below ran on rows
        listed[0:50]

    assert forced_scans(page) == []


GRADUATION_GUARDED = (*GUARDED, "transfers_transferrequest")


@pytest.mark.parametrize("who", ["county", "central"])
@pytest.mark.parametrize("params", [{}, {"state": "not_started"}, {"page": "2"}])
def test_the_graduation_page_as_served_scans_no_people_memberships_or_transfers(world, client_as, who, params):
    """The season page as served (issue 13): the graduating branches (short rows), their kept counts
    (reports/graduation_sql.py), a page of graduates and the year picker. Where an index serves, no query reads
    people, memberships, transfers, steps or organizations whole (enable_seqscan off, as `forced_scans`)."""
    actor, org = world[who]
    client = client_as(type(actor).objects.get(pk=actor.pk), org)
    year = BranchGraduation.objects.values_list("expected_on", flat=True).first().year

    def page():
        resp = client.get(reverse("reports:graduation"), {"year": year, **params})
        assert resp.status_code == 200
        assert 'class="stack graduates"' in resp.content.decode()   # ran on rows

    with CaptureQueriesContext(connection) as ctx:
        page()
    found = []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        for query in ctx.captured_queries:
            if not query["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cur.fetchall())
            found += [f"{t}: {query['sql'][:120]}" for t in SCAN.findall(plan) if t in GRADUATION_GUARDED]
    assert found == []


STEP_READ = re.compile(r"(\w[\w ]*?) on transfers_approvalstep\b")


@pytest.mark.parametrize("who", ["county", "central"])
def test_the_dashboards_step_counts_are_index_only_ranges_on_the_path(world, who):
    """The dashboard's pending, overdue and inbox figures and its children's columns (reports.selectors.dashboard:
    pending_by_range) and the automatic approvals read the steps only as index-only ranges on the path indexes
    (step_path_pending, step_path_auto). At the root the whole country is one range: grouped by a substring of the
    path, PostgreSQL read it through step_one_pending and the table, 21–78 ms at 1 M (issue 13)."""
    _actor, org = world[who]
    plans = forced_plans(lambda: dashboard(org))
    reads = [(m.group(0), line) for plan in plans for line in plan.splitlines() for m in [STEP_READ.search(line)] if m]
    assert reads   # the figures read steps
    assert [line for _read, line in reads
            if not re.search(r"Index Only Scan using step_path_(pending|auto) on", line)] == []


def _plan(qs, **settings) -> str:
    with transaction.atomic(), connection.cursor() as cur:
        for name, value in settings.items():
            cur.execute(f"SET LOCAL {name} = {value}")
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


@pytest.mark.parametrize("state", ["pending", "overdue"])
def test_the_drill_down_at_the_root_reads_the_oldest_pending_steps_without_sorting_them_all(world, state):
    """The dashboard's list of pending (or overdue) steps, oldest first, at the root: a read of the first 50 entries
    of step_pending_created. Through the path's range it sorted every pending step of the country (88–105 ms at
    1,000,000 members, issue 13). Sorting is costed out here: this small world's few hundred steps would be sorted
    in a blink, the country's are not; what is asked is that the index path exists."""
    _actor, org = world["central"]
    plan = _plan(steps_behind(org, state)[:50], enable_sort="off")
    assert "Index Scan using step_pending_created on transfers_approvalstep" in plan
    assert "Sort" not in plan


def _reminder_moment(kind):
    """A moment at which `kind` has people to reach in this world (Asia/Shanghai noon)."""
    pending = ApprovalStep.objects.filter(status="pending")
    if kind in ("overdue", "escalation"):
        return pending.order_by("-created_at").values_list("created_at", flat=True).first() + dt.timedelta(days=6)
    if kind == "auto_soon":
        return pending.order_by("due_at").values_list("due_at", flat=True).first() - dt.timedelta(hours=1)
    if kind in ("graduation", "graduation_list"):
        year = BranchGraduation.objects.values_list("expected_on", flat=True).first().year
        return dt.datetime(year, 5, 10, 12, tzinfo=SHANGHAI)
    if kind == "turning_28":
        born = Membership.objects.filter(ended_at=None).order_by("pk").values_list("person__birth_date", flat=True)[0]
        return dt.datetime.combine(birthday(born) - dt.timedelta(days=30), dt.time(12), tzinfo=SHANGHAI)
    return timezone.now()


# Where a kind picks a few rows of a big table, the index it must pick them by (in the forced plan): with no index on
# birth dates the planner reads every person through another index, which `forced_scans` alone does not see.
# (Steps are read through the partial indexes on pending steps: in progress, not the country's history.)
REMINDER_INDEX_CONDITION = {"turning_28": "birth_date", "incomplete": "is_complete", "term_due": "term_ends_on"}


def forced_plans(run) -> list[str]:
    """The plans of `run`'s SELECTs with enable_seqscan off (as `forced_scans`), one text each."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    plans = []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        for query in ctx.captured_queries:
            if query["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
                cur.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cur.fetchall()))
    return plans


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_reminder_kind_has_an_index_path(world, kind):
    """The reminders (issue 14, reports/reminders.py) read the country's steps, memberships and people each round
    of the schedule: each kind's reads have an index path, and a kind that wants a few rows of a big table finds
    them by an index on what it asks. The turning-28 kind read every person for a birth date before
    `person_birth_date` (docs/performance.md)."""
    now = _reminder_moment(kind)
    notices = []
    plans = forced_plans(lambda: notices.extend(KINDS[kind](now, local_day(now))))
    assert notices   # the queries ran on rows
    assert [t for plan in plans for t in SCAN.findall(plan) if t in GUARDED] == []
    if kind in REMINDER_INDEX_CONDITION:
        assert re.search(rf"Index Cond: \(+{REMINDER_INDEX_CONDITION[kind]}\b", plans[0]), plans[0]
