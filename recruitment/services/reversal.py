"""Undoing the latest stage change (R-REC-13): by its maker within the window, or by a superior with a reason."""
import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.permissions import admin_org_ids
from audit.services import refusals_audited

from ..models import OPEN, Application, StageEvent
from ..permissions import is_superior_admin
from . import flow

NOT_REVERSIBLE = ("apply", "training", "oath", "reverse")


def latest_change(application: Application) -> StageEvent | None:
    """The change a reversal would undo: the newest stage change not undone yet, when it made the present stage."""
    event = (application.events.exclude(action__in=("training", "reverse")).filter(reversed_by__isnull=True)
             .select_related("acting_org").order_by("-at", "-pk").first())
    if event is None or event.to_stage != application.stage:
        return None
    return event


def _window() -> dt.timedelta:
    return dt.timedelta(hours=settings.RECRUIT_REVERSAL_HOURS)


@refusals_audited("recruitment.reverse")
def reverse_change(*, actor, application: Application, reason: str = "") -> StageEvent:
    reason = (reason or "").strip()
    with transaction.atomic():
        application = flow.lock(application)
        event = latest_change(application)
        if event is None or event.action in NOT_REVERSIBLE:
            raise ValidationError(_("没有可以撤销的阶段变更（递交申请和入团仪式不能撤销）。"), code="not_reversible")
        maker = (actor is not None and event.actor_id == actor.pk
                 and event.acting_org_id in admin_org_ids(actor))
        superior = actor is None or (event.acting_org is not None and is_superior_admin(actor, event.acting_org))
        if maker and flow.now() - event.at < _window():
            pass  # R-REC-13: the maker, within 24 hours
        elif superior:
            reason = flow.reason_required(reason)
        elif maker:
            raise ValidationError(_("超过%(h)d小时，不能再自行撤销；请联系上级组织撤销并说明理由。")
                                  % {"h": settings.RECRUIT_REVERSAL_HOURS}, code="reversal_expired")
        else:
            raise PermissionDenied(_("只有办理这一步的管理员（%(h)d小时内）或上级组织的管理员可以撤销。")
                                   % {"h": settings.RECRUIT_REVERSAL_HOURS})
        if len(reason) > 200:
            raise ValidationError({"reason": ValidationError(_("理由最多200个字。"), code="too_long")})
        if event.action == "close" and Application.objects.filter(OPEN, id_number=application.id_number).exists():
            raise ValidationError(_("该身份证号已有另一份正在办理的入团申请，不能恢复这份申请。"), code="application_open")
        flow.restore(application, event.before)
        acting = event.acting_org if maker else _superior_org(actor, event)
        return flow.move(application, to=event.from_stage, action="reverse", actor=actor, acting_org=acting,
                         reason=reason, reverses=event, undone=event.action)


def _superior_org(actor, event):
    if actor is None or event.acting_org is None:
        return None
    ids = admin_org_ids(actor) & set(event.acting_org.ancestor_ids()[:-1])
    return type(event.acting_org).objects.filter(pk__in=ids).order_by("-depth").first()
