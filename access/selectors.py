"""Reads of posts: who holds what where (R-ORG-3, R-ORG-8), and what waits for a person's answer (R-ENT-9)."""
from django.db.models import QuerySet

from .models import CadrePost


def current_posts(person) -> QuerySet[CadrePost]:
    """The posts a person holds (confirmed, R-ENT-9)."""
    return (CadrePost.objects.held().filter(person=person, org__is_active=True)
            .select_related("org").order_by("org__depth", "org__full_name"))


def admin_posts(person) -> QuerySet[CadrePost]:
    return current_posts(person).filter(is_admin=True)


def pending_posts(person) -> QuerySet[CadrePost]:
    """Posts added to the person that wait for their answer (R-ENT-9)."""
    return (CadrePost.objects.pending().filter(person=person, org__is_active=True)
            .select_related("org", "added_by").order_by("-started_at", "-pk"))


def cadres_of(org) -> QuerySet[CadrePost]:
    return (CadrePost.objects.held().filter(org=org).select_related("person")
            .order_by("-is_admin", "title", "person__name"))


def ties_of(person) -> list[tuple[int, int | None]]:
    """(organization, its parent) for each organization the person belongs to (R-ACC-2, R-AUTH-7): their
    branch and every organization of a confirmed post. A pending post (R-ENT-9) is no tie. The branch is read
    through the person's `memberships` relation: access sits below the app that defines it."""
    ties = set(person.memberships.filter(ended_at__isnull=True).values_list("branch_id", "branch__parent_id"))
    ties |= set(CadrePost.objects.held().filter(person=person).values_list("org_id", "org__parent_id"))
    return sorted(ties, key=lambda t: t[0])


def own_org_ids(person) -> set[int]:
    return {org_id for org_id, _parent in ties_of(person)}


def admin_org_paths(person) -> list[str]:
    """The paths of the organizations where the person holds a confirmed admin post (R-AUTH-7)."""
    return list(CadrePost.objects.held().filter(person=person, is_admin=True, org__is_active=True)
                .values_list("org__path", flat=True))
