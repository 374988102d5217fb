"""The texts of the message center (issue 14): a message is stored as a code and its parameters and rendered here,
in the active language, when it is shown — a page in the page's language, a mail in the recipient's
(`Person.language`). Parameters are names and numbers as written, and choice values (a step's kind, a status)
that are translated here, not when the message was written. A step_opened message says what became of its step
once the step is decided (`Message.step`, read with the message)."""
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import IdentityCase

from .models import ApprovalStep, Message, TransferRequest


def _choice(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _step_opened(p: dict, step: ApprovalStep | None) -> str:
    values = {"who": p.get("who", ""), "kind": _choice(ApprovalStep.Kind, p.get("kind")), "org": p.get("org", "")}
    if step is not None and step.status != ApprovalStep.Status.PENDING:
        return _("%(who)s 的组织关系转接：%(kind)s（%(org)s）已处理：%(outcome)s") % {
            **values, "outcome": _choice(ApprovalStep.Status, step.status)}
    return _("%(who)s 的组织关系转接等待您处理：%(kind)s（%(org)s）") % values


def _step_decided(p: dict, _step) -> str:
    return _("%(who)s 的组织关系转接：%(org)s %(status)s") % {
        "who": p.get("who", ""), "org": p.get("org", ""), "status": _choice(ApprovalStep.Status, p.get("status"))}


def _request_finished(p: dict, _step) -> str:
    text = _("%(who)s 的组织关系转接%(status)s") % {
        "who": p.get("who", ""), "status": _choice(TransferRequest.Status, p.get("status"))}
    if p.get("branch"):
        text += _("，现在所在团支部：%(b)s") % {"b": p["branch"]}
    return text


def _otp_reset(p: dict, _step) -> str:
    return _("%(who)s（%(org)s）重置了您的两步验证。下次打开管理页面前，请重新绑定身份验证器；如果您不知情，请联系对方。") % {
        "who": p.get("who") or _("系统"), "org": p.get("org") or "—"}


def _otp_enrolled(_p: dict, _step) -> str:
    return _("您的账号绑定了新的身份验证器（两步验证）。如果不是您本人操作，请立即修改密码，并请上级组织管理员重置两步验证。")


def _target(p: dict) -> str:
    return _("%(y)d年6月30日") % {"y": int(p.get("year", 0))}


def _graduation(p: dict, _step) -> str:
    return _("毕业季提醒：您所在的%(b)s即将毕业，请在%(t)s前办理团组织关系转接。") % {"b": p.get("b", ""), "t": _target(p)}


def _graduation_admin(p: dict, _step) -> str:
    return _("毕业季提醒：%(b)s有%(n)d名毕业生尚未办理团组织关系转接，请督促在%(t)s前办理。") % {
        "b": p.get("b", ""), "n": int(p.get("n", 0)), "t": _target(p)}


def _overdue(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("提醒：%(n)d 个转接审批等待您处理已超过 %(h)d 小时。",
                    "提醒：%(n)d 个转接审批等待您处理已超过 %(h)d 小时。", n) % {"n": n, "h": int(p.get("h", 72))}


def _escalation(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("督办提醒：下级组织有 %(n)d 个转接审批超过 %(h)d 小时未处理，请督促办理。",
                    "督办提醒：下级组织有 %(n)d 个转接审批超过 %(h)d 小时未处理，请督促办理。", n) % {
        "n": n, "h": int(p.get("h", 120))}


def _auto_soon(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("提醒：%(n)d 个转接审批将在 %(h)d 小时内超时自动同意，请及时处理。",
                    "提醒：%(n)d 个转接审批将在 %(h)d 小时内超时自动同意，请及时处理。", n) % {
        "n": n, "h": int(p.get("h", 48))}


def _turning_28(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("提醒：%(b)s有 %(n)d 名团员将在 %(d)d 天内年满 28 周岁，请做好离团或保留团籍的准备。",
                    "提醒：%(b)s有 %(n)d 名团员将在 %(d)d 天内年满 28 周岁，请做好离团或保留团籍的准备。", n) % {
        "b": p.get("b", ""), "n": n, "d": int(p.get("d", 90))}


def _incomplete(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("提醒：%(b)s有 %(n)d 人的信息不完整，请补全必填项。",
                    "提醒：%(b)s有 %(n)d 人的信息不完整，请补全必填项。", n) % {"b": p.get("b", ""), "n": n}


def _term_due(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("换届提醒：%(b)s的届满日期在 %(d)d 天内或已过，请按期做好换届工作。",
                    "换届提醒：%(b)s等 %(n)d 个组织的届满日期在 %(d)d 天内或已过，请按期做好换届工作。", n) % {
        "b": p.get("b", ""), "n": n, "d": int(p.get("d", 30))}


def _sweep_digest(p: dict, _step) -> str:
    """R-TR-7: one a sweep run and approver (transfers/messages.py, deliver_sweep_digest)."""
    return _("转接审批超时：%(n)d 个已自动同意，%(m)d 个等待您处理。") % {
        "n": int(p.get("n", 0)), "m": int(p.get("m", 0))}


def _identity_case_filed(p: dict, _step) -> str:
    """R-VER-5 (members/services/cases.py)."""
    return _("%(who)s 的认证问题（%(kind)s）已提交%(org)s处理。") % {
        "who": p.get("who", ""), "kind": _choice(IdentityCase.Kind, p.get("kind")), "org": p.get("org", "")}


def _identity_case_decided(p: dict, _step) -> str:
    return _("%(who)s 的认证问题（%(kind)s）已由%(org)s处理：%(status)s。") % {
        "who": p.get("who", ""), "kind": _choice(IdentityCase.Kind, p.get("kind")), "org": p.get("org", ""),
        "status": _choice(IdentityCase.Status, p.get("status"))}


def _age_filed(p: dict, _step) -> str:
    return _("年龄例外录入申请：%(org)s提交了 %(who)s 的申请，等待省级团委汇总报送。") % {
        "org": p.get("org", ""), "who": p.get("who", "")}


def _age_withdrawn(p: dict, _step) -> str:
    return _("年龄例外录入申请：%(org)s撤回了 %(who)s 的申请。") % {"org": p.get("org", ""), "who": p.get("who", "")}


def _age_batch(p: dict, _step) -> str:
    n = int(p.get("n", 0))
    return ngettext("年龄例外录入申请：%(org)s报送了 %(n)d 份申请，等待团中央统一录入。",
                    "年龄例外录入申请：%(org)s报送了 %(n)d 份申请，等待团中央统一录入。", n) % {
        "org": p.get("org", ""), "n": n}


def _age_forwarded(p: dict, _step) -> str:
    return _("年龄例外录入申请：%(who)s 的申请已由省级团委报送团中央。") % {"who": p.get("who", "")}


def _age_entered(p: dict, _step) -> str:
    return _("年龄例外录入申请：团中央已录入 %(who)s，此人可用身份证号后8位登录。") % {"who": p.get("who", "")}


def _age_returned(p: dict, _step) -> str:
    return _("年龄例外录入申请：%(who)s 的申请被退回，原因：%(reason)s。请修改后重新提交，或撤回。") % {
        "who": p.get("who", ""), "reason": p.get("reason", "")}


TEXTS: dict[str, Callable[[dict, ApprovalStep | None], str]] = {
    "step_opened": _step_opened,
    "step_decided": _step_decided,
    "sweep_digest": _sweep_digest,
    "request_finished": _request_finished,
    "otp_reset": _otp_reset,
    "otp_enrolled": _otp_enrolled,
    "graduation_reminder": _graduation,
    "graduation_reminder_admin": _graduation_admin,
    "reminder_overdue": _overdue,
    "reminder_escalation": _escalation,
    "reminder_auto_soon": _auto_soon,
    "reminder_turning_28": _turning_28,
    "reminder_incomplete": _incomplete,
    "reminder_term_due": _term_due,  # issue 15
    "identity_case_filed": _identity_case_filed,  # issue 18, R-VER-5
    "identity_case_decided": _identity_case_decided,
    # R-ENT-11 (members/services/age_exceptions.py)
    "age_exception_filed": _age_filed,
    "age_exception_withdrawn": _age_withdrawn,
    "age_exception_batch": _age_batch,
    "age_exception_forwarded": _age_forwarded,
    "age_exception_entered": _age_entered,
    "age_exception_returned": _age_returned,
}


def render(message: Message) -> str:
    """The message's text in the active language: from its code when it has one, else as it was written (rows
    from before issue 14). A step_opened message says what became of its step when the step was loaded with it
    (`select_related("step")`); never a query a message — unloaded, it reads as written (pending)."""
    compose = TEXTS.get(message.code)
    if compose is None:
        return message.text
    step = message.step if message.step_id and Message.step.is_cached(message) else None
    return compose(message.params or {}, step)
