"""Who may change a person (R-AUTH-2, R-ACC-2)."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from orgs.models import Organization
from orgs.permissions import admin_org_ids

from .selectors import own_org_ids


def may_change_person(actor, person) -> bool:
    """Admins of the person's own organizations and of their direct superiors."""
    if actor is None:
        return True
    admin_ids = admin_org_ids(actor)
    if not admin_ids:
        return False
    own = own_org_ids(person)
    parents = set(Organization.objects.filter(pk__in=own).values_list("parent_id", flat=True))
    return bool(admin_ids & (own | parents))


def ensure_may_change_person(actor, person) -> None:
    if not may_change_person(actor, person):
        raise PermissionDenied(_("只有此人所在组织或其直接上级的管理员可以办理此项。"))
