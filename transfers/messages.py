"""Who hears about what (消息中心): in-app messages for every new pending step, decision, automatic
approval and completion, to the member, the initiator and the approvers; e-mail where an address is on
file. Runs after commit (transfers/notify.py), so a rolled-back decision never announces itself."""
import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from members.models import CadrePost, Person
from orgs.models import Organization

from .models import ApprovalStep, Message, TransferRequest

log = logging.getLogger(__name__)


def _approvers(org) -> set[int]:
    """R-AUTH-3: the admins of the side and of its direct superior."""
    return set(CadrePost.objects.held().filter(org_id__in=[org.pk, org.parent_id], is_admin=True)
               .values_list("person_id", flat=True))


def _parties(request: TransferRequest) -> set[int]:
    return {request.member_id} | ({request.initiated_by_id} if request.initiated_by_id else set())


def deliver(event: str, obj_id: int) -> None:
    if event in ("step_opened", "step_decided"):
        step = ApprovalStep.objects.select_related("request__member", "org", "request__to_org").get(pk=obj_id)
        request = step.request
    else:
        step, request = None, TransferRequest.objects.select_related("member", "to_org", "to_branch").get(pk=obj_id)
    who = request.member.name
    if event == "step_opened":
        recipients = _approvers(step.org)
        text = _("%(who)s 的组织关系转接等待您处理：%(kind)s（%(org)s）") % {
            "who": who, "kind": step.get_kind_display(), "org": step.org.full_name}
        link = reverse("transfers:inbox")
    elif event == "step_decided":
        recipients = _parties(request)
        text = _("%(who)s 的组织关系转接：%(org)s %(status)s") % {
            "who": who, "org": step.org.full_name, "status": step.get_status_display()}
        link = reverse("transfers:detail", args=[request.pk])
    else:
        recipients = _parties(request)
        text = _("%(who)s 的组织关系转接%(status)s") % {"who": who, "status": request.get_status_display()}
        if request.status == TransferRequest.Status.COMPLETED and request.to_branch_id:
            text += _("，现在所在团支部：%(b)s") % {"b": request.to_branch.full_name}
        link = reverse("transfers:detail", args=[request.pk])
    if not recipients:
        return
    Message.objects.bulk_create([Message(recipient_id=pk, request=request, event=event, text=text[:300], link=link)
                                 for pk in recipients])
    _mail(recipients, text)


def _mail(recipients: set[int], text: str) -> None:

    addresses = [e for e in Person.objects.filter(pk__in=recipients).exclude(email="").values_list("email", flat=True)]
    if not addresses:
        return
    try:
        send_mass_mail([(_("团籍：组织关系转接提醒"), text, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses])
    except OSError:  # a mail server that is down must not undo or block the decision
        log.exception("transfer mail failed")


def tell_second_factor(sender, *, person_id: int, actor_id: int | None, acting_org_id: int | None, event: str,
                       **kwargs) -> None:
    """R-ACC-5: the owner of a second factor hears in the message center when it is enrolled (if not them, they
    know at once) or reset by a custodian (R-AUTH-7). access sends `second_factor_changed` after commit, with ids;
    transfers connects this in its AppConfig.ready(), since access may not import the message center."""
    if event == "reset":
        actor = Person.objects.filter(pk=actor_id).values_list("name", flat=True).first() if actor_id else None
        org = Organization.objects.filter(pk=acting_org_id).values_list("full_name", flat=True).first()
        text = _("%(who)s（%(org)s）重置了您的两步验证。下次打开管理页面前，请重新绑定身份验证器；如果您不知情，请联系对方。") % {
            "who": actor or _("系统"), "org": org or "—"}
        link = reverse("two_factor:enrol")
    elif event == "enrolled":
        text = _("您的账号绑定了新的身份验证器（两步验证）。如果不是您本人操作，请立即修改密码，并请上级组织管理员重置两步验证。")
        link = reverse("password_change")
    else:
        return
    Message.objects.create(recipient_id=person_id, event=f"otp_{event}", text=text[:300], link=link)
