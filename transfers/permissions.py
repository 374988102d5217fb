"""Who may decide a side of a transfer (R-AUTH-3) and act in transfers at all (R-AUTH-1)."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from access.permissions import ensure_acting_as


def may_decide(actor, acting_org, step) -> bool:
    """R-AUTH-3: the admins of the side's organization and of its direct superior, acting as one of them."""
    return acting_org.pk in (step.org_id, step.org.parent_id)


def ensure_can_decide(actor, acting_org, step) -> None:
    ensure_acting_as(actor, acting_org)
    if not may_decide(actor, acting_org, step):
        raise PermissionDenied(_("只有该方组织或其直接上级的管理员可以审批这一步。"))
