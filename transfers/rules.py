"""The checks every way of starting a transfer shares (R-TR-6, R-TR-10, R-TR-13)."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from orgs.locking import hold_active
from orgs.models import Organization, OrgType

from .models import Reason, TransferRequest

NOTE_MIN = 10  # R-TR-13: "other" needs a note of at least 10 characters


def check_reason(reason: str, note: str) -> None:
    if reason not in Reason.values:
        raise ValidationError({"reason": ValidationError(_("请从列表中选择转接原因。"), code="unknown_reason")})
    if reason == Reason.OTHER and len((note or "").strip()) < NOTE_MIN:
        raise ValidationError({"note": ValidationError(
            _("转接原因为“其他”时，请在说明中写明具体原因（至少10个字）。"), code="note_required")})


def hold_target(to_org: Organization) -> None:
    """The row decides, not the caller's copy: the target may have been dissolved since it was picked; and it is
    held (FOR SHARE) until the start commits, so a merge or dissolution of it cannot slip in between (issue 15).
    Called first in the transaction: orgs before people."""
    hold_active(to_org, field="to_org", message=_("目标组织已撤销，请重新选择。"))


def check_target(to_org: Organization, from_branch: Organization | None) -> None:
    if to_org.org_type == OrgType.LEADING:  # R-TR-6
        raise ValidationError({"to_org": ValidationError(
            _("团的领导机关不能作为转入组织，请选择团委、团工委、团总支或团支部。"), code="target_not_allowed")})
    if from_branch is not None and to_org.pk == from_branch.pk:
        raise ValidationError({"to_org": ValidationError(_("目标组织就是现在所在的团支部。"), code="same_branch")})


def check_none_pending(member) -> None:
    if TransferRequest.objects.filter(member=member, status=TransferRequest.Status.PENDING).exists():  # R-TR-10
        raise ValidationError(_("该团员已有一项正在办理的组织关系转接，请等它办结或撤回后再申请。"),
                              code="transfer_in_progress")


def pending_error() -> ValidationError:
    return ValidationError(_("该团员已有一项正在办理的组织关系转接，请等它办结或撤回后再申请。"),
                           code="transfer_in_progress")
