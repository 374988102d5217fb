"""Reads about people."""
from django.db.models import QuerySet

from orgs.models import Organization

from .idnumber import normalize_id_number
from .models import CadrePost, Membership, Person


def branch_of(person: Person) -> Organization | None:
    m = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    return m.branch if m else None


def current_posts(person: Person) -> QuerySet[CadrePost]:
    """The posts a person holds (confirmed, R-ENT-9)."""
    return (CadrePost.objects.held().filter(person=person, org__is_active=True)
            .select_related("org").order_by("org__depth", "org__full_name"))


def pending_posts(person: Person) -> QuerySet[CadrePost]:
    """Posts added to the person that wait for their answer (R-ENT-9)."""
    return (CadrePost.objects.pending().filter(person=person, org__is_active=True)
            .select_related("org", "added_by").order_by("-started_at", "-pk"))


def admin_posts(person: Person) -> QuerySet[CadrePost]:
    return current_posts(person).filter(is_admin=True)


def own_org_ids(person: Person) -> set[int]:
    """The organizations a person belongs to (R-ACC-2, R-AUTH-7): their branch and every organization of a
    confirmed post. A pending post (R-ENT-9) is no tie."""
    ids = set(Membership.objects.filter(person=person, ended_at__isnull=True).values_list("branch_id", flat=True))
    ids |= set(CadrePost.objects.held().filter(person=person).values_list("org_id", flat=True))
    return ids


def admin_org_paths(person: Person) -> list[str]:
    """The paths of the organizations where the person holds a confirmed admin post (R-AUTH-7)."""
    return list(CadrePost.objects.held().filter(person=person, is_admin=True, org__is_active=True)
                .values_list("org__path", flat=True))


def members_of(branch: Organization) -> QuerySet[Person]:
    return (Person.objects.filter(memberships__branch=branch, memberships__ended_at__isnull=True)
            .order_by("name", "pk"))


def cadres_of(org: Organization) -> QuerySet[CadrePost]:
    return (CadrePost.objects.held().filter(org=org).select_related("person")
            .order_by("-is_admin", "title", "person__name"))


def person_by_id_number(raw) -> Person | None:
    return Person.objects.filter(id_number=normalize_id_number(raw)).first()


def people_in_subtree(org: Organization, query: str = "") -> QuerySet[Person]:
    """People who are members or cadres anywhere in org's subtree, optionally matched by name or ID number."""
    qs = Person.objects.filter(pk__in=Membership.objects.filter(ended_at__isnull=True, org_path__startswith=org.path)
                               .values("person_id")) | Person.objects.filter(
        pk__in=CadrePost.objects.held().filter(org_path__startswith=org.path).values("person_id"))
    query = (query or "").strip()
    if query:
        ident = normalize_id_number(query)
        if ident.isalnum() and any(ch.isdigit() for ch in ident):
            qs = qs.filter(id_number__startswith=ident) if len(ident) < 18 else qs.filter(id_number=ident)
        else:
            qs = qs.filter(name__contains=query)
    return qs.order_by("name", "pk")
