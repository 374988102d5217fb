"""Rebuilding (改建) an organization into another type (issue 15), the rules only: the write is
members.services.rebuilding.rebuild_org, which stands above the people it counts (docs/architecture.md).

The source FAQ (十一.2): members' relations must be in a branch; a 团委/团工委/团总支 that holds them directly is either
rebuilt into a branch or gets a branch built under it. Here members are in branches only (R-ORG-2), so what a
committee "keeps" is its people as the register holds them: its cadres (posts), which stay posts of the same
organization. The two directions:
- a committee, working committee or general branch with no active sub-organization becomes a branch (a branch has
  none, R-ORG-1); every type may contain a branch, so its parent always allows it;
- a branch becomes a general branch, committee or working committee where its parent may contain that type
  (R-ORG-1: a general branch contains only branches), and only while it has no members (R-ORG-2: they cannot stay
  in a non-branch); they are moved first (a merge, a batch transfer), then a branch is created under it.
A leading organ is never rebuilt, nor does anything become one.
"""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ALLOWED_CHILDREN, Organization, OrgType
from .selectors import is_within

TO_BRANCH_FROM = (OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH)
FROM_BRANCH_TO = (OrgType.GENERAL_BRANCH, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE)


def may_rebuild(acting_org: Organization, org: Organization) -> bool:
    """An admin acting as an organization above it (its own admins do not change what it is)."""
    return org.pk != acting_org.pk and is_within(org, acting_org)


def rebuild_targets(org: Organization, parent: Organization | None) -> list[str]:
    """The types it may become, by type and nesting alone (R-ORG-1); emptiness is checked by `check_rebuild`."""
    if parent is None:
        return []
    allowed = ALLOWED_CHILDREN[OrgType(parent.org_type)]
    if org.org_type in TO_BRANCH_FROM:
        return [OrgType.BRANCH]
    if org.org_type == OrgType.BRANCH:
        return [t for t in FROM_BRANCH_TO if t in allowed]
    return []


def check_rebuild(org: Organization, parent: Organization | None, org_type: str, *, children: int,
                  members: int) -> None:
    """Raise the refusal, if any, of rebuilding `org` into `org_type`; `children` and `members` counted by the
    caller (active sub-organizations, current memberships) under its lock."""
    if not org.is_active:
        raise ValidationError(_("该组织已撤销，不能改建。"), code="target_not_active")
    if org_type == org.org_type:
        raise ValidationError({"org_type": ValidationError(_("该组织已经是%(type)s。") % {
            "type": OrgType(org_type).label}, code="org_type_not_allowed")})
    if org_type not in rebuild_targets(org, parent):
        if org.org_type == OrgType.LEADING or org_type == OrgType.LEADING:
            message = _("团的领导机关不能改建，其他组织也不能改建为团的领导机关。")
        elif org.org_type == OrgType.BRANCH and org_type in FROM_BRANCH_TO:  # R-ORG-1
            message = _("%(parent)s（%(ptype)s）下不能设立%(type)s，不能这样改建。") % {
                "parent": parent.full_name, "ptype": OrgType(parent.org_type).label, "type": OrgType(org_type).label}
        else:
            message = _("%(from)s只能改建为团支部，团支部只能改建为团总支、团委或团工委。") % {
                "from": OrgType(org.org_type).label}
        raise ValidationError({"org_type": ValidationError(message, code="org_type_not_allowed")})
    if org_type == OrgType.BRANCH and children:  # R-ORG-1: a branch has no sub-organizations
        raise ValidationError(_("该组织还有%(n)d个下级组织，团支部不能有下级组织：请先撤销、合并或移走它们。") % {
            "n": children}, code="org_not_empty")
    if org.org_type == OrgType.BRANCH and members:  # R-ORG-2: members stay in a branch
        raise ValidationError(_("该团支部还有%(n)d名团员，团员的组织关系只能在团支部：请先把他们转到或合并到其他团支部，"
                                "改建后再在其下建立团支部。") % {"n": members}, code="org_not_empty")
