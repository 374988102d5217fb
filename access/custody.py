"""Who may change a person (R-AUTH-2) and who has custody of their account (R-AUTH-7, R-ACC-2).

Both go through the person's confirmed organizations only: their branch and the organizations of their
confirmed posts. A pending post (R-ENT-9) ties the person to nobody, so entering someone's ID number as a
cadre gives its organization no hold on them."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import CadrePost
from .permissions import admin_org_ids
from .selectors import admin_org_paths, ties_of


def _authority_paths(actor, person) -> list[str]:
    """R-AUTH-2: the paths of the actor's admin organizations that are one of the person's own or its direct
    superior."""
    admin_ids = admin_org_ids(actor)
    if not admin_ids:
        return []
    reach = {org_id for tie in ties_of(person) for org_id in tie if org_id is not None}
    grant = admin_ids & reach
    if not grant:
        return []
    return list(CadrePost.objects.held().filter(person=actor, is_admin=True, org_id__in=grant)
                .values_list("org__path", flat=True).distinct())


def has_custody(actor, person) -> bool:
    """R-AUTH-7: one admin post of the actor both reaches the person (R-AUTH-2) and outranks or equals
    every confirmed admin post the person holds. Nobody takes custody of an admin above them."""
    if actor is None:
        return True
    if actor.pk == person.pk:
        return False
    authorities = _authority_paths(actor, person)
    if not authorities:
        return False
    theirs = admin_org_paths(person)
    # Every organization where the person is an admin is the actor's organization itself or lies below it.
    return any(all(path.startswith(mine) for path in theirs) for mine in authorities)


def may_change_person(actor, person) -> bool:
    """Changing a person's record (R-AUTH-2) is custody too (R-AUTH-7): an admin who could not reset a
    person's password cannot rewrite their record either (e-mail, phone, development number)."""
    return has_custody(actor, person)


def ensure_may_change_person(actor, person) -> None:
    if not may_change_person(actor, person):
        raise PermissionDenied(_("只有此人所在组织或其直接上级的管理员可以办理此项（不能管理上级组织的管理员）。"))


def ensure_custody(actor, person) -> None:
    ensure_may_change_person(actor, person)
