"""The dashboard of the acting organization's subtree (issue 6 item 1).

Every figure is a database aggregate over the materialized paths (`path`, and the `org_path` copies on
memberships, posts and steps): one query per table, a fixed handful per page, whatever the subtree's size.
The drill-down lists behind the figures use the same conditions (ORG_FLAGS, step_states), so a figure and
the list it links to always agree.
"""
import datetime as dt

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Length, Substr
from django.utils import timezone

from members.models import CadrePost, Membership
from members.selectors.lists import completion_by_child
from members.selectors.records import SMALL_BRANCH
from orgs.models import SEGMENT, Organization, OrgType
from orgs.selectors import subtree
from transfers.models import ApprovalStep, TransferRequest
from transfers.selectors import STEP_RELATED, chain, history, overdue_cutoff

AUTO_WINDOW = dt.timedelta(days=30)
SMALL_LISTED = 8  # small branches named on the dashboard itself; the rest are one click away

# R-ORG-7, and the two "nobody here" checks. Counted on the dashboard, listed behind it: one definition.
ORG_FLAGS = {
    "small": Q(org_type=OrgType.BRANCH, n_members__lt=SMALL_BRANCH),
    "empty": Q(n_members=0, has_posts=False, has_children=False),
    "no_cadres": Q(has_posts=False),
}


def with_flags(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    """Each organization's current member count and whether it has cadres and children: correlated
    subqueries on indexed foreign keys, evaluated inside the one query that counts or lists them."""
    members = (Membership.objects.filter(branch=OuterRef("pk"), ended_at__isnull=True).order_by()
               .values("branch").annotate(n=Count("pk")).values("n"))
    return qs.annotate(
        n_members=Coalesce(Subquery(members, output_field=IntegerField()), 0),
        has_posts=Exists(CadrePost.objects.held().filter(org=OuterRef("pk"))),
        has_children=Exists(Organization.objects.filter(parent=OuterRef("pk"), is_active=True)),
    )


def org_figures(org: Organization) -> dict:
    """One query: organizations (the acting one included), branches, those meeting their standard (R-CMP),
    small branches (R-ORG-7), empty organizations, organizations and branches without cadres."""
    return with_flags(subtree(org)).aggregate(
        orgs=Count("pk"),
        branches=Count("pk", filter=Q(org_type=OrgType.BRANCH)),
        meeting=Count("pk", filter=Q(meets_standard=True)),
        branches_no_cadres=Count("pk", filter=ORG_FLAGS["no_cadres"] & Q(org_type=OrgType.BRANCH)),
        **{flag: Count("pk", filter=q) for flag, q in ORG_FLAGS.items()},
    )


def flagged_orgs(org: Organization, flag: str) -> QuerySet[Organization]:
    """The organizations behind one of the ORG_FLAGS figures, with their counts."""
    return (with_flags(subtree(org)).filter(ORG_FLAGS[flag]).select_related("parent")
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


def transfer_figures(org: Organization, *, now=None) -> dict:
    """Two queries: the subtree's steps by state, and the transfers that left or reached the subtree by
    status (the transfer history's own selector, so each count is the length of the list it links to)."""
    states = step_states(org, now=now)
    # The inbox (transfers.selectors.pending_steps): steps of the acting organization and of its direct
    # children, i.e. an org_path at most one segment longer than the acting one's.
    near = Q(path_len__lte=len(org.path) + SEGMENT)
    steps = (ApprovalStep.objects.filter(org_path__startswith=org.path).annotate(path_len=Length("org_path"))
             .aggregate(inbox=Count("pk", filter=states["pending"] & near),
                        **{name: Count("pk", filter=q) for name, q in states.items()}))
    requests = history(acting_org=org).order_by().aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in TransferRequest.Status.values})
    return {"steps": steps, "requests": requests}


def steps_behind(org: Organization, state: str, *, now=None) -> QuerySet[ApprovalStep]:
    """The steps behind a transfer figure, each with its whole chain for the row template."""
    order = ("-decided_at", "-pk") if state == "auto" else ("created_at", "pk")
    return (ApprovalStep.objects.filter(org_path__startswith=org.path).filter(step_states(org, now=now)[state])
            .select_related(*STEP_RELATED).prefetch_related(chain()).order_by(*order))


def by_child(org: Organization, *, now=None) -> list[dict]:
    """Per child organization: completion against the standards (members.lists.completion_by_child), current
    members, and steps pending and overdue in its subtree. Six grouped queries at any size."""
    rows = completion_by_child(org)
    cut = len(org.path) + SEGMENT
    members = dict(Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True)
                   .exclude(org_path=org.path).annotate(child=Substr("org_path", 1, cut)).order_by()
                   .values("child").annotate(n=Count("pk")).values_list("child", "n"))
    states = step_states(org, now=now)
    steps = {row["child"]: row for row in (
        ApprovalStep.objects.filter(states["pending"], org_path__startswith=org.path).exclude(org_path=org.path)
        .annotate(child=Substr("org_path", 1, cut)).order_by().values("child")
        .annotate(pending=Count("pk"), overdue=Count("pk", filter=states["overdue"])))}
    for row in rows:
        key = row["org"].path
        row["pct"] = round(100 * row["ok"] / row["total"]) if row["total"] else 0
        row["members"] = members.get(key, 0)
        row["pending"] = steps.get(key, {}).get("pending", 0)
        row["overdue"] = steps.get(key, {}).get("overdue", 0)
    return rows


def dashboard(org: Organization, *, now=None) -> dict:
    now = now or timezone.now()
    return {
        "orgs": org_figures(org),
        "people": people_figures(org),
        "transfers": transfer_figures(org, now=now),
        "children": by_child(org, now=now),
        "small": list(flagged_orgs(org, "small")[:SMALL_LISTED]),
    }
