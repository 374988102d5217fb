"""Who may do what to organizations and people (R-AUTH)."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Organization
from .selectors import is_within


def admin_org_ids(actor) -> set[int]:
    """The organizations where actor holds a current admin post (R-ORG-8): one query, cached on actor."""
    if actor is None or not getattr(actor, "pk", None):
        return set()
    cached = getattr(actor, "_admin_org_ids", None)
    if cached is None:
        from members.models import CadrePost

        cached = set(CadrePost.objects.filter(person=actor, is_admin=True, ended_at__isnull=True,
                                              org__is_active=True).values_list("org_id", flat=True))
        actor._admin_org_ids = cached
    return cached


def forget_admin_orgs(actor) -> None:
    if actor is not None and hasattr(actor, "_admin_org_ids"):
        del actor._admin_org_ids


def may_change_in(actor, org: Organization) -> bool:
    """R-AUTH-2: the admins of org and of its direct superior."""
    return bool({org.pk, org.parent_id} & admin_org_ids(actor))


def ensure_may_change_in(actor, org: Organization) -> None:
    if actor is not None and not may_change_in(actor, org):
        raise PermissionDenied(_("只有本组织或其直接上级的管理员可以办理此项。"))


def may_act_as(actor, org: Organization) -> bool:
    return org.pk in admin_org_ids(actor)


def ensure_acting_as(actor, acting_org: Organization) -> None:
    """R-AUTH-1: an admin acts as one organization where they hold an admin post."""
    if actor is not None and not may_act_as(actor, acting_org):
        raise PermissionDenied(_("您不是该组织的管理员。"))


def ensure_within(org: Organization, acting_org: Organization) -> None:
    if not is_within(org, acting_org):
        raise PermissionDenied(_("该组织不在您管理的范围内。"))
