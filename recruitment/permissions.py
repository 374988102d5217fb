"""Who moves each stage (R-REC-1, R-REC-13): the branch's own admins, and the approving committee's."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from access.permissions import admin_org_ids
from orgs.models import Organization, OrgType

APPROVING_TYPES = (OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.LEADING)


def approving_org(branch: Organization) -> Organization | None:
    """R-REC-1: the nearest organization above the branch that is a 团委, 团工委 or leading organ (a 团总支 is not)."""
    above = branch.ancestor_ids()[:-1]
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=above, org_type__in=APPROVING_TYPES)}
    for pk in reversed(above):
        if pk in orgs:
            return orgs[pk]
    return None


def ensure_branch_admin(actor, branch: Organization) -> None:
    if actor is not None and branch.pk not in admin_org_ids(actor):
        raise PermissionDenied(_("只有本团支部的管理员可以办理发展团员的这一步。"))


def ensure_committee_admin(actor, branch: Organization) -> Organization:
    """The approving committee, when actor is one of its admins (or the system)."""
    org = approving_org(branch)
    if org is None:
        raise PermissionDenied(_("该团支部没有可以审批发展团员的上级团委。"))
    if actor is not None and org.pk not in admin_org_ids(actor):
        raise PermissionDenied(_("只有上级团委的管理员可以预审和审批发展团员。"))
    return org


def is_superior_admin(actor, org: Organization) -> bool:
    """R-REC-13: an admin of an organization strictly above `org`."""
    return bool(set(org.ancestor_ids()[:-1]) & admin_org_ids(actor))
