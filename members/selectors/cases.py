"""Reads of identity cases (R-VER-5): the province's inbox, a person's cases, and who is a party to a case."""
from django.db.models import QuerySet

from access.permissions import admin_org_ids
from orgs.models import SEGMENT, Organization

from ..models import IdentityCase, IdentityCasePhoto, Membership


def province_of(org: Organization) -> Organization:
    """The leading organ at the province level above `org` (the root's child on its path); the root is its own."""
    if org.depth <= 1:
        return org
    return Organization.objects.get(path=org.path[:2 * SEGMENT])


def home_org(person, fallback: Organization) -> Organization:
    """Where the person's case belongs: their current branch, else the organization it is filed from."""
    m = Membership.objects.filter(person=person, ended_at__isnull=True).select_related("branch").first()
    return m.branch if m else fallback


def _cases() -> QuerySet[IdentityCase]:
    return IdentityCase.objects.select_related("person", "other", "filed_by", "filed_org", "decided_by", "province")


def inbox(province: Organization, *, status: str = "") -> QuerySet[IdentityCase]:
    rows = _cases().filter(province=province)
    return rows.filter(status=status) if status else rows


def cases_of(person) -> list[IdentityCase]:
    """The person's own cases, newest first, with whether each still holds its photo."""
    return list(_cases().filter(person=person))


def is_operator(actor, case: IdentityCase) -> bool:
    """R-VER-5: the admins of the province's leading organ work its cases."""
    return case.province_id in admin_org_ids(actor)


def is_party(actor, case: IdentityCase) -> bool:
    """Who may see a case and its photo: the person, the admins of the organization it was filed from, and the
    province's admins."""
    if actor is None or not getattr(actor, "pk", None):
        return False
    if actor.pk == case.person_id:
        return True
    mine = admin_org_ids(actor)
    return case.filed_org_id in mine or case.province_id in mine


def has_photo(case: IdentityCase) -> bool:
    return IdentityCasePhoto.objects.filter(case=case).exists()
