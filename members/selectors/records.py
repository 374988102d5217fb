"""Reads behind the people pages that selectors/lists.py does not cover. Each is one query (or a fixed
few) whatever the subtree's size, and each stays inside the acting organization's subtree (R-AUTH-1)."""
from django.db.models import Count, Q, QuerySet

from access.permissions import admin_org_ids
from orgs.models import SMALL_BRANCH, Organization, OrgType
from orgs.selectors import root, subtree

from ..models import CadrePost, Membership, Person

OVERRIDE_BRANCHES = 300  # a drop-down, not a search: the root's further branches, the nearest first


def _direct(ids) -> Q:
    return Q(pk__in=ids) | Q(parent_id__in=ids)


def enterable_branches(actor, acting: Organization) -> QuerySet[Organization]:
    """Branches of the acting subtree where actor may enter (or restore) people as such (R-AUTH-2: the branch's
    own admins and its direct superior's), the root's admins included (issue 15: offering them every branch
    led to a 403 on saving into one two levels down)."""
    ids = admin_org_ids(actor)
    return subtree(acting).filter(org_type=OrgType.BRANCH).filter(_direct(ids)).order_by("full_name")


def override_branches(actor, acting: Organization) -> QuerySet[Organization]:
    """R-ENT-3: the further branches where the root's admins, acting as the root, enter a person refused by R-ENT-2,
    with a written explanation only (the first 300, the nearest first); nothing for anyone else."""
    ids = admin_org_ids(actor)
    if not (acting.parent_id is None and acting.pk in ids):
        return Organization.objects.none()
    further = subtree(acting).filter(org_type=OrgType.BRANCH).exclude(_direct(ids))
    first = list(further.order_by("depth", "full_name").values_list("pk", flat=True)[:OVERRIDE_BRANCHES])
    return Organization.objects.filter(pk__in=first).order_by("depth", "full_name")


def cadre_orgs(acting: Organization) -> QuerySet[Organization]:
    """Where an admin acting as `acting` enters cadres: itself and its direct children."""
    return (Organization.objects.filter(Q(pk=acting.pk) | Q(parent=acting, is_active=True))
            .order_by("depth", "org_type", "full_name"))


def may_override_age(actor) -> bool:
    """R-ENT-3: admins of the central leading organ (the tree's root)."""
    top = root()
    return top is not None and top.pk in admin_org_ids(actor)


def branch_choices(acting: Organization, *, limit: int = 300) -> list[Organization]:
    if acting.is_branch:
        return []
    return list(subtree(acting).filter(org_type=OrgType.BRANCH).order_by("full_name").only("pk", "full_name")[:limit])


def posts_in_subtree(acting: Organization) -> QuerySet[CadrePost]:
    return (CadrePost.objects.held().filter(org_path__startswith=acting.path)
            .select_related("org", "person"))


def memberships_of(person: Person) -> QuerySet[Membership]:
    """The whole history, the current branch first (R-TR-12 keeps ended rows)."""
    return Membership.objects.filter(person=person).select_related("branch").order_by("-started_at", "-pk")


def posts_of(person: Person) -> QuerySet[CadrePost]:
    return CadrePost.objects.filter(person=person).select_related("org").order_by("-started_at", "-pk")


def member_counts(branch_ids) -> dict[int, int]:
    rows = (Membership.objects.filter(branch_id__in=list(branch_ids), ended_at__isnull=True)
            .values("branch_id").annotate(n=Count("pk")).values_list("branch_id", "n"))
    return dict(rows)


def with_member_counts(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    return qs.annotate(n_members=Count("memberships", filter=Q(memberships__ended_at__isnull=True)))


def small_branches(org: Organization) -> QuerySet[Organization]:
    """R-ORG-7: branches of the subtree with fewer than 3 members."""
    return (with_member_counts(subtree(org).filter(org_type=OrgType.BRANCH))
            .filter(n_members__lt=SMALL_BRANCH).order_by("depth", "full_name"))


def current_branches(person_ids) -> dict[int, Organization]:
    return {m.person_id: m.branch for m in Membership.objects.filter(
        person_id__in=list(person_ids), ended_at__isnull=True).select_related("branch")}

