"""Rebuilding (改建) an organization into another type (issue 15): the rules are orgs/rebuilding.py; this writes,
here because R-CMP's standard depends on the type and is kept on the row (members/completeness.py)."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as
from audit.services import record, refusals_audited
from orgs.models import Organization
from orgs.rebuilding import check_rebuild, may_rebuild

from ..completeness import refresh_orgs
from ..models import Membership


def counts(org: Organization) -> tuple[int, int]:
    """(active sub-organizations, current members): what a rebuild depends on."""
    return (Organization.objects.filter(parent=org, is_active=True).count(),
            Membership.objects.filter(branch=org, ended_at__isnull=True).count())


@refusals_audited("org.rebuild")
def rebuild_org(*, actor, acting_org: Organization, org: Organization, org_type: str) -> Organization:
    """Change org's type (orgs/rebuilding.py has the rules); its posts, transfers and history stay with it."""
    ensure_acting_as(actor, acting_org)
    if actor is not None and not may_rebuild(acting_org, org):
        raise PermissionDenied(_("只有上级组织的管理员可以改建该组织。"))
    with transaction.atomic():
        # FOR UPDATE (not NO KEY): a sub-organization or a membership being inserted under it holds FOR KEY SHARE
        # on it until it commits; we wait for it, then count it and refuse.
        org = Organization.objects.select_for_update(no_key=True).get(pk=org.pk)
        parent = Organization.objects.filter(pk=org.parent_id).first()
        children, members = counts(org)
        check_rebuild(org, parent, org_type, children=children, members=members)
        old = org.org_type
        org.org_type = org_type
        org.save(update_fields=["org_type"])
        refresh_orgs([org.pk])  # R-CMP-2 or R-CMP-3 now; the figures' is_branch follows by trigger
        org.refresh_from_db(fields=["meets_standard"])
        record(actor=actor, action="org.rebuild", target=org, acting_org=acting_org, old_type=old, new_type=org_type)
    return org
