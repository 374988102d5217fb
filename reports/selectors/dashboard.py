"""The dashboard of the acting organization's subtree (issue 6 item 1).

Every figure is a database aggregate over the materialized paths (`path`, and the `org_path` copies on
memberships, posts and steps): one query per table, a fixed handful per page, whatever the subtree's size.
The drill-down lists behind the figures use the same conditions (ORG_FLAGS, step_states), so a figure and
the list it links to always agree.
"""
import datetime as dt

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Length, Substr
from django.utils import timezone

from members.models import CadrePost, Membership
from members.selectors.lists import completion_by_child, completion_rows
from members.selectors.records import SMALL_BRANCH
from orgs.models import SEGMENT, Organization, OrgType
from orgs.selectors import children as child_orgs
from orgs.selectors import figures_of, flagged_within, subtree, uses_figures
from transfers.models import ApprovalStep, TransferRequest
from transfers.selectors import ROW_JOINED, history, overdue_cutoff

AUTO_WINDOW = dt.timedelta(days=30)
SMALL_LISTED = 8  # small branches named on the dashboard itself; the rest are one click away

# R-ORG-7, and the two "nobody here" checks. Counted on the dashboard, listed behind it: one definition.
ORG_FLAGS = {
    "small": Q(org_type=OrgType.BRANCH, n_members__lt=SMALL_BRANCH),
    "empty": Q(n_members=0, has_posts=False, has_children=False),
    "no_cadres": Q(has_posts=False),
}
PEOPLE_PARTS = ("incomplete", "pending", "failed", "dev_issue")
ORG_FIGURES = ("orgs", "branches", "meeting", "small", "empty", "no_cadres", "branches_no_cadres")


def with_flags(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Each organization's current member count and whether it has cadres and children. PostgreSQL reads them
    from the figures kept per organization (one join); SQLite counts them in correlated subqueries."""
    if uses_figures():
        return qs.annotate(
            n_members=F("figures__members"),
            has_posts=ExpressionWrapper(Q(figures__cadres__gt=0), output_field=BooleanField()),
            has_children=ExpressionWrapper(Q(figures__children__gt=0), output_field=BooleanField()),
        )
    members = (Membership.objects.filter(branch=OuterRef("pk"), ended_at__isnull=True).order_by()
               .values("branch").annotate(n=Count("pk")).values("n"))
    return qs.annotate(
        n_members=Coalesce(Subquery(members, output_field=IntegerField()), 0),
        has_posts=Exists(CadrePost.objects.held().filter(org=OuterRef("pk"))),
        has_children=Exists(Organization.objects.filter(parent=OuterRef("pk"), is_active=True)),
    )


def _org_counts(flags: dict[str, Q], *, branch: Q) -> dict:
    return {
        "orgs": Count("pk"),
        "branches": Count("pk", filter=branch),
        "meeting": Count("pk", filter=Q(meets_standard=True)),
        "branches_no_cadres": Count("pk", filter=flags["no_cadres"] & branch),
        **{flag: Count("pk", filter=q) for flag, q in flags.items()},
    }


def org_figures(org: Organization) -> dict:
    """One query: organizations (the acting one included), branches, those meeting their standard (R-CMP),
    small branches (R-ORG-7), empty organizations, organizations and branches without cadres."""
    if uses_figures():
        return kept_figures(org)[0]["orgs"]
    return with_flags(subtree(org)).aggregate(**_org_counts(ORG_FLAGS, branch=Q(org_type=OrgType.BRANCH)))


def kept_figures(org: Organization) -> tuple[dict, list[dict]]:
    """PostgreSQL: the organizations', people's and transfers' figures of the subtree and of each child, from the
    figures kept per organization (orgs.selectors.figures_of): a handful of row reads at any size."""
    children = list(child_orgs(org))
    whole, by = figures_of(org, children)
    figures = {
        "orgs": {name: whole[name] for name in ORG_FIGURES},
        "people": {kind: {"total": whole[kind], **{part: whole[f"{kind}_{part}"] for part in PEOPLE_PARTS}}
                   for kind in ("members", "cadres")},
        "requests": {status: whole[f"requests_{status}"] for status in TransferRequest.Status.values},
    }
    return figures, completion_rows(children, by)


def flagged_orgs(org: Organization, flag: str) -> QuerySet[Organization]:
    """The organizations behind one of the ORG_FLAGS figures, with their counts. PostgreSQL looks only at the
    few that can carry the flag (orgs.selectors.flagged_within), not at every organization of the subtree."""
    orgs = Organization.objects.filter(pk__in=flagged_within(org, flag), is_active=True) if uses_figures() else subtree(org)
    return (with_flags(orgs).filter(ORG_FLAGS[flag]).select_related("parent")
            .order_by("n_members", "depth", "full_name", "pk"))


def _people(model, org: Organization) -> dict:
    """Current members (or posts) of the subtree and what is wrong with their people: one query, the same
    rows as the people lists' filters (incomplete, unverified=pending|failed, dev_issue)."""
    current = model.objects.held() if model is CadrePost else model.objects.filter(ended_at__isnull=True)
    return current.filter(org_path__startswith=org.path).aggregate(
        total=Count("pk"),
        incomplete=Count("pk", filter=Q(person__is_complete=False)),  # R-CMP / R-ENT-8
        pending=Count("pk", filter=Q(person__verification_status="pending")),  # R-VER
        failed=Count("pk", filter=Q(person__verification_status="failed")),
        dev_issue=Count("pk", filter=~Q(person__dev_number_issue="")),  # R-ENT-5
    )


def people_figures(org: Organization) -> dict:
    if uses_figures():
        return kept_figures(org)[0]["people"]
    return {"members": _people(Membership, org), "cadres": _people(CadrePost, org)}


def step_states(org: Organization, *, now=None) -> dict[str, Q]:
    """Conditions on the subtree's approval steps, each a dashboard figure and a drill-down list."""
    now = now or timezone.now()
    pending = Q(status=ApprovalStep.Status.PENDING)
    return {
        "pending": pending,
        "overdue": pending & Q(created_at__lt=overdue_cutoff(now)),  # R-TR-8: more than 72 hours
        # R-TR-7: decided by the sweep (decided_by is None) within the last 30 days.
        "auto": Q(status=ApprovalStep.Status.AUTO_APPROVED, decided_at__gte=now - AUTO_WINDOW),
    }


def _older_than_72h(now) -> Q:
    """step_states' "overdue" among rows already filtered to pending: on created_at alone, so the count stays
    inside the covering index (step_path_pending) — naming status again would send it to the table."""
    return Q(created_at__lt=overdue_cutoff(now))


# One range of pending steps: the steps of one organization (own) and of its whole subtree (a LIKE on a constant prefix:
# the index's range, step_path_pending, read index-only).
RANGE_SQL = (f"SELECT %s, COUNT(created_at), COUNT(created_at) FILTER (WHERE created_at < %s), "
             f"COUNT(created_at) FILTER (WHERE org_path = %s) FROM {ApprovalStep._meta.db_table} "
             f"WHERE status = '{ApprovalStep.Status.PENDING}' AND org_path LIKE %s")


def pending_by_range(org: Organization, *, now=None) -> dict[str, dict]:
    """The subtree's pending steps, counted per range — the organization's own steps, then each child's subtree (every
    child, active or not: together they are the whole subtree) — in one query whose every part is an index-only range
    on step_path_pending. Keyed by path: pending, overdue (R-TR-8) and own (the steps of that organization itself, for
    the inbox figure). One scan of the subtree, grouped by a substring of the path, let the planner read the
    country's pending steps through step_one_pending and the table (3,400 pages at 1 M, twice a page: the totals and
    the children; issue 13, docs/performance.md). Written as SQL: 35 querysets of the ORM took longer to build than
    the query takes to run."""
    cutoff = connection.ops.adapt_datetimefield_value(overdue_cutoff(now or timezone.now()))
    children = Organization.objects.filter(parent_id=org.pk).order_by("path").values_list("path", flat=True)
    like = connection.ops.prep_for_like_query
    ranges = [(org.path, like(org.path)), *((path, like(path) + "%") for path in children)]
    params = [value for path, pattern in ranges for value in (path, cutoff, path, pattern)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([RANGE_SQL] * len(ranges)), params)
        return {key: {"pending": pending, "overdue": overdue, "own": own} for key, pending, overdue, own in cursor}


def transfer_figures(org: Organization, *, now=None, requests: dict | None = None,
                     ranges: dict[str, dict] | None = None) -> dict:
    """Two queries: the subtree's steps by state, and the transfers that left or reached the subtree by
    status (the transfer history's own conditions, so each count is the length of the list it links to;
    PostgreSQL passes them in from kept_figures, and the pending steps from pending_by_range)."""
    states = step_states(org, now=now)
    within = ApprovalStep.objects.filter(org_path__startswith=org.path)
    if ranges is not None:
        # The inbox (transfers.selectors.pending_steps): the steps of the acting organization and of its children.
        steps = {"inbox": sum(r["own"] for r in ranges.values()), "pending": sum(r["pending"] for r in ranges.values()),
                 "overdue": sum(r["overdue"] for r in ranges.values())}
    else:
        # The inbox: an org_path at most one segment longer than the acting one's.
        near = Q(path_len__lte=len(org.path) + SEGMENT)
        # Counting created_at: the ids are not in the covering index (step_path_pending).
        steps = (within.filter(states["pending"]).annotate(path_len=Length("org_path"))
                 .aggregate(inbox=Count("created_at", filter=near), pending=Count("created_at"),
                            overdue=Count("created_at", filter=_older_than_72h(now))))
    steps["auto"] = within.filter(states["auto"]).count()
    if requests is None:
        requests = history(acting_org=org).order_by().aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in TransferRequest.Status.values})
    return {"steps": steps, "requests": requests}


def steps_behind(org: Organization, state: str, *, now=None) -> QuerySet[ApprovalStep]:
    """The steps behind a transfer figure, for the row template; the view reads what else a row names with
    transfers.selectors.row_facts, as the inbox does (a wider join planned slowly, issue 13), and a row reads its
    chain when it is opened."""
    order = ("-decided_at", "-pk") if state == "auto" else ("created_at", "pk")
    return (ApprovalStep.objects.filter(org_path__startswith=org.path).filter(step_states(org, now=now)[state])
            .select_related(*ROW_JOINED).order_by(*order))


def _members_by_child(org: Organization, cut: int) -> dict[str, int]:
    return dict(Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True)
                .exclude(org_path=org.path).annotate(child=Substr("org_path", 1, cut)).order_by()
                .values("child").annotate(n=Count("pk")).values_list("child", "n"))


def by_child(org: Organization, *, now=None, rows: list[dict] | None = None,
             ranges: dict[str, dict] | None = None) -> list[dict]:
    """Per child organization: completion against the standards (members.lists.completion_by_child, or the kept
    figures' rows when given), current members, and steps pending and overdue in its subtree (counted here, or
    pending_by_range's when given)."""
    rows = completion_by_child(org) if rows is None else rows
    cut = len(org.path) + SEGMENT
    members = ({row["org"].path: row["members"] for row in rows} if uses_figures() else _members_by_child(org, cut))
    if ranges is not None:
        steps = ranges
    else:
        steps = {row["child"]: row for row in (
            ApprovalStep.objects.filter(step_states(org, now=now)["pending"], org_path__startswith=org.path)
            .exclude(org_path=org.path).annotate(child=Substr("org_path", 1, cut)).order_by().values("child")
            .annotate(pending=Count("created_at"), overdue=Count("created_at", filter=_older_than_72h(now))))}
    for row in rows:
        key = row["org"].path
        row["pct"] = round(100 * row["ok"] / row["total"]) if row["total"] else 0
        row["members"] = members.get(key, 0)
        row["pending"] = steps.get(key, {}).get("pending", 0)
        row["overdue"] = steps.get(key, {}).get("overdue", 0)
    return rows


def dashboard(org: Organization, *, now=None) -> dict:
    now = now or timezone.now()
    if uses_figures():
        kept, rows = kept_figures(org)
        ranges = pending_by_range(org, now=now)
        figures = {"orgs": kept["orgs"], "people": kept["people"],
                   "transfers": transfer_figures(org, now=now, requests=kept["requests"], ranges=ranges),
                   "children": by_child(org, now=now, rows=rows, ranges=ranges)}
    else:
        figures = {"orgs": org_figures(org), "people": people_figures(org), "transfers": transfer_figures(org, now=now),
                   "children": by_child(org, now=now)}
    return {
        **figures,
        "small": list(flagged_orgs(org, "small")[:SMALL_LISTED]),
    }
