"""Reads of the organization tree. Subtree and ancestry are each one indexed query at any depth."""
from django.db.models import QuerySet

from .models import Organization
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
