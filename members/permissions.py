"""Who may change a person (R-AUTH-2) and who has custody of their account (R-AUTH-7, R-ACC-2).

Both go through the person's confirmed organizations only: their branch and the organizations of their
confirmed posts. A pending post (R-ENT-9) ties the person to nobody, so entering someone's ID number as a
cadre gives its organization no hold on them."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from orgs.models import Organization
from orgs.permissions import admin_org_ids

from .selectors import admin_org_paths, own_org_ids


def _authorities(actor, person) -> list[Organization]:
    """R-AUTH-2: the actor's admin organizations that are one of the person's own or its direct superior."""
    admin_ids = admin_org_ids(actor)
    if not admin_ids:
        return []
    own = own_org_ids(person)
    parents = set(Organization.objects.filter(pk__in=own).values_list("parent_id", flat=True))
    grant = admin_ids & (own | parents)
    return list(Organization.objects.filter(pk__in=grant).only("pk", "path")) if grant else []


def _outranks(org: Organization, person_admin_paths: list[str]) -> bool:
    # R-AUTH-7: every organization where the person is an admin is org itself or lies below it.
    return all(path.startswith(org.path) for path in person_admin_paths)


def has_custody(actor, person) -> bool:
    """R-AUTH-7: one admin post of the actor both reaches the person (R-AUTH-2) and outranks or equals
    every confirmed admin post the person holds. Nobody takes custody of an admin above them."""
    if actor is None:
        return True
    if actor.pk == person.pk:
        return False
    authorities = _authorities(actor, person)
    if not authorities:
        return False
    paths = admin_org_paths(person)
    return any(_outranks(org, paths) for org in authorities)


def may_change_person(actor, person) -> bool:
    """Changing a person's record (R-AUTH-2) is custody too (R-AUTH-7): an admin who could not reset a
    person's password cannot rewrite their record either (e-mail, phone, development number)."""
    return has_custody(actor, person)


def ensure_may_change_person(actor, person) -> None:
    if not may_change_person(actor, person):
        raise PermissionDenied(_("只有此人所在组织或其直接上级的管理员可以办理此项（不能管理上级组织的管理员）。"))


def ensure_custody(actor, person) -> None:
    if not has_custody(actor, person):
        raise PermissionDenied(_("只有此人所在组织或其直接上级的管理员可以办理此项（不能管理上级组织的管理员）。"))
