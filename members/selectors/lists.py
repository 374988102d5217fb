"""Selectors behind the member list, the cadre list, the completion overview and the segments page.
Each is one query (or a fixed few) whatever the subtree's size; templates touch only what is preloaded."""
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Substr

from orgs.models import SEGMENT, Organization
from orgs.selectors import figures_of, uses_figures

from ..collation import path_order, zh_order
from ..idnumber import id_number_filter, normalize_id_number
from ..models import CadrePost, Membership, NumberSegment, Person


def _search(qs: QuerySet, query: str, prefix: str = "person__") -> QuerySet:
    query = (query or "").strip()
    if not query:
        return qs
    ident = normalize_id_number(query)
    if any(ch.isdigit() for ch in ident) and ident.isalnum():
        # R-AUTH-6: search by the whole number, or by its visible first 6 characters.
        return qs.filter(**id_number_filter(ident, prefix + "id_number"))
    return qs.filter(**{prefix + "name__contains": query})


def _person_filters(qs: QuerySet, *, incomplete=False, unverified="", dev_issue=False, prefix="person__") -> QuerySet:
    if incomplete:
        qs = qs.filter(**{prefix + "is_complete": False})
    if unverified in ("pending", "failed"):
        qs = qs.filter(**{prefix + "verification_status": unverified})
    elif unverified:
        qs = qs.exclude(**{prefix + "verification_status": "verified"})
    if dev_issue:
        qs = qs.exclude(**{prefix + "dev_number_issue": ""})
    return qs


def member_list(org: Organization, *, query="", incomplete=False, unverified="", dev_issue=False,
                branch_id=None) -> QuerySet[Membership]:
    qs = (Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True)
          .select_related("person", "branch"))
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    qs = _person_filters(_search(qs, query), incomplete=incomplete, unverified=unverified, dev_issue=dev_issue)
    # By branch in the tree's order, then by name: the first page is a range of the membership_path index. The
    # branches' pinyin order sorted every member of the subtree first (issue 13).
    return qs.order_by(path_order("org_path"), zh_order("person__name"), "pk")


# The one filter each kept figure answers (orgs/figures.py): the member list's count without counting.
KEPT_COUNTS = {(): "members", ("incomplete",): "members_incomplete", ("dev_issue",): "members_dev_issue",
               ("unverified:pending",): "members_pending", ("unverified:failed",): "members_failed"}


def member_count(org: Organization, *, query="", incomplete=False, unverified="", dev_issue=False,
                 branch_id=None) -> int | None:
    """The length of member_list(org, …) from the figures kept per organization (PostgreSQL), when one figure
    answers these filters; None when the list must be counted (a search, a branch, a combination, SQLite)."""
    if not uses_figures() or query or branch_id:
        return None
    key = tuple(name for name, on in (("incomplete", incomplete), ("dev_issue", dev_issue),
                                      (f"unverified:{unverified}", unverified)) if on)
    figure = KEPT_COUNTS.get(key)
    return figures_of(org)[0][figure] if figure else None


def cadre_list(org: Organization, *, query="", incomplete=False, unverified="", title="",
               include_branches=False) -> QuerySet[CadrePost]:
    qs = CadrePost.objects.held().filter(org_path__startswith=org.path).select_related("person", "org")
    if not include_branches:
        qs = qs.exclude(org__org_type="branch")
    if title:
        qs = qs.filter(title=title)
    qs = _person_filters(_search(qs, query), incomplete=incomplete, unverified=unverified)
    return qs.order_by("org__depth", zh_order("org__full_name"), "-is_admin", zh_order("person__name"), "pk")


def completion_by_child(org: Organization) -> list[dict]:
    """R-CMP-4: for each child of org, how many organizations of its subtree meet their standard,
    and how many people in it are incomplete. Three grouped queries at any size."""
    cut = len(org.path) + SEGMENT
    children = list(Organization.objects.filter(parent=org, is_active=True).order_by("org_type", "full_name"))
    if uses_figures():
        return completion_rows(children, figures_of(org, children)[1])
    orgs = {row["child"]: row for row in (
        Organization.objects.filter(path__startswith=org.path, depth__gt=org.depth, is_active=True)
        .annotate(child=Substr("path", 1, cut)).values("child")
        .annotate(total=Count("pk"), ok=Count("pk", filter=Q(meets_standard=True))))}
    people = {}
    for model in (Membership, CadrePost):
        current = model.objects.held() if model is CadrePost else model.objects.filter(ended_at__isnull=True)
        rows = (current.filter(org_path__startswith=org.path)
                .exclude(org_path=org.path).annotate(child=Substr("org_path", 1, cut)))
        counted = Q(person__is_complete=False)
        if model is CadrePost:
            # A cadre who is also a member in the same child's subtree was counted with the members.
            rows = rows.annotate(member_here=Exists(Membership.objects.filter(
                person=OuterRef("person_id"), ended_at__isnull=True, org_path__startswith=OuterRef("child"))))
            counted &= Q(member_here=False)
        for row in rows.values("child").annotate(incomplete=Count("person", filter=counted, distinct=True)):
            people[row["child"]] = people.get(row["child"], 0) + row["incomplete"]
    out = []
    for child in children:
        figures = orgs.get(child.path, {"total": 0, "ok": 0})
        out.append({"org": child, "total": figures["total"], "ok": figures["ok"],
                    "incomplete_people": people.get(child.path, 0)})
    return out


def completion_rows(children: list[Organization], figures: dict[int, dict]) -> list[dict]:
    """completion_by_child's rows from the figures kept per organization (orgs.selectors.figures_of): a person
    placed twice in one child's subtree counts once there (orgs/figures.py)."""
    return [{"org": child, "total": figures[child.pk]["orgs"], "ok": figures[child.pk]["meeting"],
             "incomplete_people": figures[child.pk]["people_incomplete"], "members": figures[child.pk]["members"]}
            for child in children]


def orgs_behind(org: Organization) -> QuerySet[Organization]:
    """Organizations of the subtree that do not meet their standard yet (drill-down)."""
    return (Organization.objects.filter(path__startswith=org.path, is_active=True, meets_standard=False)
            .order_by("depth", "full_name"))


def people_holding_back(org: Organization) -> list[Person]:
    """The incomplete people who keep one organization below its standard."""
    members = Person.objects.filter(memberships__branch=org, memberships__ended_at__isnull=True, is_complete=False)
    cadres = Person.objects.filter(posts__org=org, posts__ended_at__isnull=True, posts__confirmed_at__isnull=False,
                                   is_complete=False)
    return list((members | cadres).distinct().order_by("name", "pk"))


def segments_with_use(org: Organization) -> QuerySet[NumberSegment]:
    """R-ENT-4a: each segment allocated in org's subtree (and to its ancestors), with numbers used / size."""
    # Text comparison alone would count a legacy "20160000001" inside 201600000001–201600000100 (R-ENT-5).
    used = (Person.objects.filter(development_number__gte=OuterRef("first"), development_number__lte=OuterRef("last"),
                                  development_number__regex=r"^[0-9]{12}$")
            .order_by().values(k=Value(1)).annotate(n=Count("pk")).values("n"))
    ancestors = org.ancestor_ids()
    return (NumberSegment.objects.filter(Q(org_path__startswith=org.path) | Q(org_id__in=ancestors))
            .select_related("org", "allocated_by")
            .annotate(used=Coalesce(Subquery(used, output_field=IntegerField()), 0))
            .order_by("-year", "first"))
