"""Reads about people."""
from django.db.models import QuerySet

from orgs.models import Organization

from ..idnumber import id_number_filter, normalize_id_number
from ..models import CadrePost, Membership, Person


def branch_of(person: Person) -> Organization | None:
    m = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    return m.branch if m else None


def members_of(branch: Organization) -> QuerySet[Person]:
    return (Person.objects.filter(memberships__branch=branch, memberships__ended_at__isnull=True)
            .order_by("name", "pk"))


def person_by_id_number(raw) -> Person | None:
    return Person.objects.filter(id_number=normalize_id_number(raw)).first()


def people_in_subtree(org: Organization, query: str = "") -> QuerySet[Person]:
    """People who are members or cadres anywhere in org's subtree, optionally matched by name or ID number."""
    # One UNION of the two id sets: an OR of two IN sub-selects scanned every person (1.2–1.7 s at 1 M members).
    members = Membership.objects.filter(ended_at__isnull=True, org_path__startswith=org.path).values("person_id")
    cadres = CadrePost.objects.held().filter(org_path__startswith=org.path).values("person_id")
    qs = Person.objects.filter(pk__in=members.union(cadres))
    query = (query or "").strip()
    if query:
        ident = normalize_id_number(query)
        if ident.isalnum() and any(ch.isdigit() for ch in ident):
            qs = qs.filter(**id_number_filter(ident))  # R-AUTH-6: whole, or the visible first 6
        else:
            qs = qs.filter(name__contains=query)
    return qs.order_by("name", "pk")
