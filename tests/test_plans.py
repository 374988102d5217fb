"""Plans, not only query counts (issue 13): on PostgreSQL, after ANALYZE on a few thousand rows of the scale data
set's shape, the inbox, the escalations and the navigation badges read through indexes — never a sequential
scan of organizations, steps, memberships or people. A scan of a whole table is what made the branch inbox six
times slower at a million members. (The member list joins this guard once its pinyin ordering stops sorting
every organization: docs/performance.md.)"""
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from access.models import CadrePost
from demo.scale import ScaleSeeder
from orgs.models import Organization, OrgType
from transfers.models import ApprovalStep
from transfers.selectors import escalations, pending_steps, unread_count

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
GUARDED = ("orgs_organization", "transfers_approvalstep", "members_membership", "members_person")
SCAN = re.compile(r"Seq Scan on (\w+)")


@pytest.fixture
def world():
    ScaleSeeder(orgs=3000, members=20000, transfers=2000, seed=7, out=lambda *_: None).run()

    def admin_of(org):
        return CadrePost.objects.held().filter(org=org, is_admin=True).select_related("person").get().person, org

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


@pytest.mark.parametrize("who", ["county", "central"])
def test_escalations_use_indexes(world, who):
    actor, org = world[who]
    assert seq_scans(lambda: list(escalations(actor=actor, acting_org=org)[:50])) == []


def test_the_unread_badge_uses_indexes(world):
    actor, _org = world["branch"]
    assert seq_scans(lambda: unread_count(actor)) == []
