"""The stage pipeline, guarded in one place (R-REC-12..14). Every change runs inside the caller's transaction:
  1. the branch, held FOR SHARE (orgs.locking.hold_active: a move or a merge of it waits, or is seen finished);
  2. the application, FOR UPDATE, re-read; the change refuses (`wrong_stage`) unless it still stands where the change
     starts from (two admins pressing at once make one change);
  3. (the oath only) the year's number segments, by id (numbers.py), then what enter_member locks.
Whoever holds a later lock never waits for an earlier one."""
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from orgs.locking import hold_active

from ..models import Application, StageEvent


def now() -> dt.datetime:
    """The service clock (tests stand it at a chosen moment: R-REC-13's 24 hours)."""
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


def lock(application: Application) -> Application:
    hold_active(application.branch, field="branch", message=_("该团支部已撤销。"))
    # of=("self",): the join would otherwise lock the branch FOR UPDATE too, on top of the share hold above —
    # two admins at once each held it shared and waited for the other's (a deadlock, tests/recruitment).
    return (Application.objects.select_for_update(of=("self",)).select_related("branch")
            .get(pk=application.pk))


def ensure_stage(application: Application, *stages: str) -> None:
    if application.stage not in stages:
        raise ValidationError(_("该申请已不在这一阶段（当前：%(stage)s；可能刚被其他管理员处理），请刷新页面。")
                              % {"stage": application.get_stage_display()}, code="wrong_stage")


def _plain(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def move(application: Application, *, to: str, action: str, actor, acting_org, reason: str = "",
         changes: dict | None = None, reverses: StageEvent | None = None, **detail) -> StageEvent:
    """Set the fields (by field name; foreign keys by id), move the stage, write the timeline row and the audit event.
    The row keeps what the change replaced (`before`), which is what a reversal puts back (R-REC-13)."""
    changes = dict(changes or {})
    before = {}
    for name, value in changes.items():
        attname = Application._meta.get_field(name).attname
        before[name] = _plain(getattr(application, attname))
        setattr(application, attname, value)
    from_stage = application.stage
    application.stage, application.changed_at = to, now()
    application.save()
    event = StageEvent.objects.create(application=application, action=action, from_stage=from_stage, to_stage=to,
                                      actor=actor if getattr(actor, "pk", None) else None, acting_org=acting_org,
                                      at=application.changed_at, reason=reason, before=before,
                                      reverses=reverses)
    record(actor=actor, action=f"recruitment.{action}", target=application, acting_org=acting_org,
           from_stage=from_stage, to_stage=to, event=event.pk, reason=reason, **detail)
    return event


def restore(application: Application, before: dict) -> None:
    for name, value in before.items():
        field = Application._meta.get_field(name)
        setattr(application, field.attname, None if value is None else field.to_python(value))


def date_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code="date_invalid")})


def check_date(value, field: str, *, not_before: dt.date | None = None, label: str = "") -> dt.date:
    """A date of something done: not in the future, not before the stage it follows."""
    if not isinstance(value, dt.date):
        raise date_error(field, _("请填写日期。"))
    if value > today():
        raise date_error(field, _("日期不能晚于今天。"))
    if not_before is not None and value < not_before:
        raise date_error(field, _("日期不能早于%(label)s（%(day)s）。") % {"label": label, "day": not_before.isoformat()})
    return value


def reason_required(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("请填写理由。"), code="reason_required")})
    if len(reason) > 200:
        raise ValidationError({"reason": ValidationError(_("理由最多200个字。"), code="too_long")})
    return reason
