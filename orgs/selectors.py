"""Reads of the organization tree. Subtree and ancestry are each one indexed query at any depth."""
import datetime as dt

from django.db import connection
from django.db.models import QuerySet, Sum

from access.models import CadrePost

from .figures import COUNTERS, ORG_FLAGS, ROLLED, OrgCurrent, OrgStats, OrgStatsDelta
from .models import ALLOWED_CHILDREN, SMALL_BRANCH, Organization
from .naming import normalize_full_name


def is_within(org: Organization, ancestor: Organization) -> bool:
    """True when org is ancestor or below it: a prefix test on the materialized path, no query."""
    return bool(ancestor.path) and org.path.startswith(ancestor.path)


def subtree(org: Organization, *, include_self: bool = True, active_only: bool = True) -> QuerySet[Organization]:
    qs = Organization.objects.filter(path__startswith=org.path)
    if not include_self:
        qs = qs.exclude(pk=org.pk)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs


def ancestors(org: Organization, *, include_self: bool = False) -> QuerySet[Organization]:
    ids = org.ancestor_ids()
    if not include_self:
        ids = ids[:-1]
    return Organization.objects.filter(pk__in=ids).order_by("depth")


def children(org: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(parent=org, is_active=True).order_by("org_type", "full_name")


def root() -> Organization | None:
    return Organization.objects.filter(parent__isnull=True, is_active=True).order_by("pk").first()


def search_within(org: Organization, query: str, *, limit: int = 20) -> QuerySet[Organization]:
    """Search by full name as typed, within org's subtree (R-ORG-5: widths and spaces do not matter)."""
    key = normalize_full_name(query)
    return subtree(org).filter(name_key__contains=key).order_by("depth", "full_name")[:limit]


def find_by_full_name(full_name: str) -> Organization | None:
    return Organization.objects.filter(name_key=normalize_full_name(full_name), is_active=True).first()


def uses_figures() -> bool:
    """PostgreSQL keeps each organization's figures by triggers (orgs/figures_sql.py); SQLite, the development
    database, has no such triggers and counts live."""
    return connection.vendor == "postgresql"


def figures_within(org: Organization):
    """The kept figures of org's subtree (org included, dissolved organizations too: they hold no one), one row an
    organization: sum them for the subtree's totals. PostgreSQL only (uses_figures)."""
    return OrgCurrent.objects.filter(path__startswith=org.path)


def org_flags(row: dict) -> dict[str, int]:
    """What one organization adds to the counts of organizations (0 or 1 each), from its own current figures: the
    conditions of orgs/figures_sql.flag_exprs, which the compactor applies in the database."""
    active, branch = row["is_active"], row["is_active"] and row["is_branch"]
    return {
        "orgs": int(active), "branches": int(branch), "meeting": int(active and row["meets_standard"]),
        "small": int(branch and row["members"] < SMALL_BRANCH),
        "empty": int(active and row["members"] == 0 and row["cadres"] == 0 and row["children"] == 0),
        "no_cadres": int(active and row["cadres"] == 0),
        "branches_no_cadres": int(branch and row["cadres"] == 0),
    }


def figures_of(org: Organization, children: list[Organization] = ()) -> tuple[dict, dict[int, dict]]:
    """The subtree totals of org and of each of the given children (PostgreSQL, uses_figures): their folded totals
    (`r_…`) plus what is appended below them and not folded yet. Three queries at any size: the folded rows, the
    appended changes by organization (few: the compactor folds them every minute), those organizations' rows."""
    wanted = {org.pk: org.path, **{c.pk: c.path for c in children}}
    folded = {row["org_id"]: {n: row[f"r_{n}"] for n in ROLLED}
              for row in OrgStats.objects.filter(org_id__in=wanted).values("org_id", *(f"r_{n}" for n in ROLLED))}
    totals = {pk: folded.get(pk, dict.fromkeys(ROLLED, 0)) for pk in wanted}
    appended = {row["org_id"]: row for row in OrgStatsDelta.objects.order_by().values("org_id")
                .annotate(**{n: Sum(n) for n in COUNTERS})}
    if appended:
        dirty = (OrgStats.objects.filter(org_id__in=list(appended), path__startswith=org.path)
                 .values("org_id", "path", "is_active", "is_branch", "meets_standard", *COUNTERS,
                         *(f"f_{n}" for n in ORG_FLAGS)))
        for row in dirty:
            change = appended[row["org_id"]]
            now = {**row, **{n: row[n] + change[n] for n in COUNTERS}}
            flags = org_flags(now)
            for pk, path in wanted.items():
                if row["path"].startswith(path):
                    figures = totals[pk]
                    for n in COUNTERS:
                        figures[n] += change[n]
                    for n in ORG_FLAGS:
                        figures[n] += flags[n] - row[f"f_{n}"]
    return totals[org.pk], {c.pk: totals[c.pk] for c in children}


def flagged_within(org: Organization, flag: str) -> list[int]:
    """Ids of the organizations of org's subtree that may carry a dashboard flag now ("small", "empty",
    "no_cadres"; PostgreSQL): those that carried it at the last fold (a partial index each) and those changed
    since. The caller filters them on their current figures."""
    carried = OrgStats.objects.filter(path__startswith=org.path, **{f"f_{flag}": 1}).values_list("org_id", flat=True)
    changed = OrgStats.objects.filter(path__startswith=org.path, org_id__in=OrgStatsDelta.objects.values("org_id"))
    return list(carried.union(changed.values_list("org_id", flat=True)))


# --- upkeep (issue 15): what an organization holds, where it may go, whose term is due --------------------------

OPEN = "pending"  # transfers.TransferRequest.Status.PENDING: the tree sits below transfers and reads them by name
TERM_NOTICE_DAYS = 30  # a term's end is announced this many days ahead (reports/reminders.py, the due list)


def _requests():
    """The transfer requests' model, reached through the reverse relation the transfers app declares on
    Organization: the tree sits below transfers (docs/architecture.md) and never imports it."""
    return Organization._meta.get_field("transfers_out").related_model


def _open_requests(ids, *, assigned: bool = False) -> int:
    """How many open transfers leave or reach one of the organizations `ids` (a query of pks): the transfers the
    figures count (RequestCounters). `assigned` adds those assigned to one of them or waiting on a step there.
    One UNION of a look-up a column, each on its own index: an OR across the steps' join scanned every step
    (93 ms for one branch at 1,000,000 members, EXPLAIN ANALYZE)."""
    open_ = _requests().objects.filter(status=OPEN)
    parts = [open_.filter(from_branch__in=ids), open_.filter(to_org__in=ids)]
    if assigned:
        parts += [open_.filter(to_branch__in=ids), open_.filter(steps__org__in=ids, steps__status=OPEN)]
    first, *rest = (part.values_list("pk", flat=True) for part in parts)
    return len(list(first.union(*rest)))


def holdings(org: Organization) -> dict[str, int]:
    """What is still in org itself: active sub-organizations, current members, held cadre posts and open
    transfers (leaving, reaching or assigned to it, or waiting on it). Live counts of one organization's rows
    through their indexes: the guard of dissolve_org reads them under its lock."""
    return {
        "children": Organization.objects.filter(parent=org, is_active=True).count(),
        "members": org.memberships.filter(ended_at__isnull=True).count(),
        "cadres": CadrePost.objects.held().filter(org=org).count(),
        "transfers": _open_requests(Organization.objects.filter(pk=org.pk).values("pk"), assigned=True),
    }


def subtree_figures(org: Organization) -> dict[str, int]:
    """org's subtree (org included): active organizations, current members, held cadre posts and open transfers
    that leave or reach it. PostgreSQL reads the figures kept per organization (three row reads at any size,
    orgs.selectors.figures_of); SQLite, the development database, counts live (counted_figures)."""
    if uses_figures():
        whole = figures_of(org)[0]
        return {"orgs": whole["orgs"], "members": whole["members"], "cadres": whole["cadres"],
                "transfers": whole["requests_pending"]}
    return counted_figures(org)


def counted_figures(org: Organization) -> dict[str, int]:
    """subtree_figures counted from the rows (bench/move_subtree.py checks the kept ones against it)."""
    orgs = subtree(org)
    return {
        "orgs": orgs.count(),
        "members": org.memberships.model.objects.filter(ended_at__isnull=True, org_path__startswith=org.path).count(),
        "cadres": CadrePost.objects.held().filter(org_path__startswith=org.path).count(),
        "transfers": _open_requests(orgs.values("pk")),
    }


def move_targets(org: Organization, within: Organization, query: str = "", *, limit: int = 30) -> list[Organization]:
    """Where org may be put within `within`'s subtree: active organizations whose type may hold org's (R-ORG-1),
    not org's own subtree, not its present parent; searched by full name as typed (R-ORG-5)."""
    parent_types = [t for t, kids in ALLOWED_CHILDREN.items() if org.org_type in kids]
    qs = (subtree(within).filter(org_type__in=parent_types).exclude(path__startswith=org.path)
          .exclude(pk=org.parent_id or 0))
    if query:
        qs = qs.filter(name_key__contains=normalize_full_name(query))
    return list(qs.select_related("parent").order_by("depth", "full_name", "pk")[:limit])


def terms_due(org: Organization, day: dt.date, *, days: int = TERM_NOTICE_DAYS) -> QuerySet[Organization]:
    """The active organizations of org's subtree whose term ends within `days` days of day, or has ended: the
    soonest first. Reads the partial index of organizations with a term date."""
    # The parents read after (prefetch), not joined: joined, the planner hashed every organization of the country to
    # name the parents of the few due (83 ms at the root at 1,000,000 members; 12 ms without the join).
    return (subtree(org).filter(term_ends_on__lte=day + dt.timedelta(days=days)).prefetch_related("parent")
            .order_by("term_ends_on", "full_name", "pk"))
