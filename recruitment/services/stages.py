"""The branch's and the committee's steps between application and oath (R-REC-4..10)."""
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from audit.services import refusals_audited
from members.models import Membership, Person

from ..models import Application, Stage, TrainingSession
from ..permissions import ensure_branch_admin, ensure_committee_admin
from ..rules import add_months, min_training_hours, notice_last_day, vote_problems
from . import flow


def _check_introducers(branch, introducers) -> list[Person]:
    people = list(introducers or [])
    if len(people) != 2 or any(p is None for p in people):
        raise ValidationError({"introducers": ValidationError(_("请选择两名入团介绍人。"), code="required")})
    if people[0].pk == people[1].pk:
        raise ValidationError({"introducers": ValidationError(_("两名入团介绍人不能是同一人。"), code="introducers_same")})
    current = set(Membership.objects.filter(branch=branch, ended_at__isnull=True, person_id__in=[p.pk for p in people],
                                            person__league_status=Person.LeagueStatus.NORMAL)
                  .values_list("person_id", flat=True))
    if len(current) != 2:
        raise ValidationError({"introducers": ValidationError(
            _("入团介绍人须是本团支部的团员（团籍正常）。"), code="introducer_invalid")})
    return people


@refusals_audited("recruitment.activist")
def choose_activist(*, actor, application: Application, activist_on, decision: str, introducers) -> Application:
    """R-REC-4: the branch chooses the applicant as an activist, with two introducers who are its members."""
    ensure_branch_admin(actor, application.branch)
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": ValidationError(_("请填写确定依据（支部委员会或支部大会的决定）。"),
                                                           code="required")})
    if len(decision) > 200:
        raise ValidationError({"decision": ValidationError(_("最多200个字。"), code="too_long")})
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.APPLIED)
        flow.check_date(activist_on, "activist_on", not_before=application.applied_on, label=_("递交申请书的日期"))
        first, second = _check_introducers(application.branch, introducers)
        flow.move(application, to=Stage.ACTIVIST, action="activist", actor=actor, acting_org=application.branch,
                  changes={"activist_on": activist_on, "activist_decision": decision,
                           "introducer_1": first.pk, "introducer_2": second.pk})
    return application


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        hours = Decimal(0)
    if not hours.is_finite() or hours <= 0 or hours > 12 or hours != hours.quantize(Decimal("0.1")):
        raise ValidationError({"hours": ValidationError(_("学时应大于0、不超过12，最多一位小数。"), code="hours_invalid")})
    return hours


@refusals_audited("recruitment.training")
def record_training(*, actor, application: Application, held_on, hours, topic: str) -> TrainingSession:
    """R-REC-5: one 团课 session, while the applicant is an activist or a candidate."""
    ensure_branch_admin(actor, application.branch)
    hours = _hours(hours)
    topic = (topic or "").strip()
    if not topic or len(topic) > 100:
        raise ValidationError({"topic": ValidationError(_("请填写团课内容（最多100个字）。"), code="required")})
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.ACTIVIST, Stage.CANDIDATE)
        flow.check_date(held_on, "held_on", not_before=application.activist_on, label=_("确定为入团积极分子的日期"))
        session = TrainingSession.objects.create(application=application, held_on=held_on, hours=hours, topic=topic,
                                                 recorded_by=actor if getattr(actor, "pk", None) else None)
        flow.move(application, to=application.stage, action="training", actor=actor, acting_org=application.branch,
                  session=session.pk, hours=str(hours))
    return session


def training_hours(application: Application, *, until: dt.date | None = None) -> Decimal:
    sessions = application.sessions.all()
    if until is not None:
        sessions = sessions.filter(held_on__lte=until)
    return sessions.aggregate(total=Sum("hours"))["total"] or Decimal(0)


@refusals_audited("recruitment.candidate")
def propose_candidate(*, actor, application: Application, candidate_on) -> Application:
    """R-REC-6: enough 学时 and months as an activist, then the branch proposes the candidate."""
    ensure_branch_admin(actor, application.branch)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.ACTIVIST)
        flow.check_date(candidate_on, "candidate_on", not_before=application.activist_on,
                        label=_("确定为入团积极分子的日期"))
        earliest = add_months(application.activist_on, settings.RECRUIT_ACTIVIST_MIN_MONTHS)
        if candidate_on < earliest:
            raise ValidationError({"candidate_on": ValidationError(
                _("入团积极分子须经过%(m)d个月以上的培养考察，最早%(day)s可确定为发展对象。")
                % {"m": settings.RECRUIT_ACTIVIST_MIN_MONTHS, "day": earliest.isoformat()}, code="activist_period")})
        hours, needed = training_hours(application, until=candidate_on), min_training_hours()
        if hours < needed:
            raise ValidationError({"candidate_on": ValidationError(
                _("团课学习不足%(n)s学时（已记录 %(h)s 学时）。") % {"n": needed, "h": hours}, code="training_hours")})
        flow.move(application, to=Stage.CANDIDATE, action="candidate", actor=actor, acting_org=application.branch,
                  changes={"candidate_on": candidate_on}, hours=str(hours))
    return application


@refusals_audited("recruitment.prereview")
def approve_prereview(*, actor, application: Application, decided_on=None) -> Application:
    """R-REC-7: the approving committee passes the candidate's pre-review."""
    committee = ensure_committee_admin(actor, application.branch)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.CANDIDATE)
        decided_on = flow.check_date(decided_on or flow.today(), "decided_on", not_before=application.candidate_on,
                                     label=_("确定为发展对象的日期"))
        flow.move(application, to=Stage.PREREVIEWED, action="prereview", actor=actor, acting_org=committee,
                  changes={"prereviewed_on": decided_on})
    return application


@refusals_audited("recruitment.prereview_return")
def return_prereview(*, actor, application: Application, reason: str) -> Application:
    """R-REC-7: back to the branch, an activist again (the 学时 stay), with the reason."""
    committee = ensure_committee_admin(actor, application.branch)
    reason = flow.reason_required(reason)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.CANDIDATE)
        flow.move(application, to=Stage.ACTIVIST, action="prereview_return", actor=actor, acting_org=committee,
                  reason=reason, changes={"candidate_on": None})
    return application


@refusals_audited("recruitment.notice")
def start_notice(*, actor, application: Application, notice_from) -> Application:
    """R-REC-8: the branch publishes the notice from a date."""
    ensure_branch_admin(actor, application.branch)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.PREREVIEWED)
        flow.check_date(notice_from, "notice_from", not_before=application.prereviewed_on, label=_("预审日期"))
        flow.move(application, to=Stage.NOTICE, action="notice", actor=actor, acting_org=application.branch,
                  changes={"notice_from": notice_from})
    return application


def _count(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100_000:
        raise ValidationError({field: ValidationError(_("请填写人数（0 或正整数）。"), code="meeting_votes")})
    return value


@refusals_audited("recruitment.meeting")
def record_meeting(*, actor, application: Application, meeting_on, entitled, present, votes_for, against, abstain,
                   form_number: str) -> Application:
    """R-REC-9: the branch meeting's resolution, recorded only when the meeting was quorate and it passed."""
    ensure_branch_admin(actor, application.branch)
    numbers = {"meeting_entitled": _count(entitled, "meeting_entitled"),
               "meeting_present": _count(present, "meeting_present"),
               "meeting_for": _count(votes_for, "meeting_for"), "meeting_against": _count(against, "meeting_against"),
               "meeting_abstain": _count(abstain, "meeting_abstain")}
    problems = vote_problems(entitled=numbers["meeting_entitled"], present=numbers["meeting_present"],
                             for_=numbers["meeting_for"], against=numbers["meeting_against"],
                             abstain=numbers["meeting_abstain"])
    if problems:
        errors = {}
        for field, message, code in problems:
            errors.setdefault(field, []).append(ValidationError(message, code=code))
        raise ValidationError(errors)
    form_number = (form_number or "").strip()
    if not form_number or len(form_number) > 30:
        raise ValidationError({"form_number": ValidationError(_("请填写入团志愿书编号（最多30个字符）。"),
                                                              code="required")})
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.NOTICE)
        flow.check_date(meeting_on, "meeting_on", not_before=application.notice_from, label=_("公示开始日期"))
        last = notice_last_day(application.notice_from)
        if meeting_on <= last:
            raise ValidationError({"meeting_on": ValidationError(
                _("公示期为%(n)d个工作日，到%(last)s结束；支部大会最早可在其后一天召开。")
                % {"n": settings.RECRUIT_NOTICE_WORKING_DAYS, "last": last.isoformat()}, code="notice_not_over")})
        due = flow.now() + dt.timedelta(days=settings.RECRUIT_APPROVAL_DAYS)  # R-REC-10
        flow.move(application, to=Stage.PASSED, action="meeting", actor=actor, acting_org=application.branch,
                  changes=dict(numbers, meeting_on=meeting_on, form_number=form_number, approval_due_at=due))
    return application


@refusals_audited("recruitment.approve")
def approve_admission(*, actor, application: Application, decided_on=None) -> Application:
    """R-REC-10: the approving committee approves the branch meeting's resolution."""
    committee = ensure_committee_admin(actor, application.branch)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.PASSED)
        decided_on = flow.check_date(decided_on or flow.today(), "decided_on", not_before=application.meeting_on,
                                     label=_("支部大会日期"))
        flow.move(application, to=Stage.APPROVED, action="approve", actor=actor, acting_org=committee,
                  changes={"approved_on": decided_on})
    return application


_MEETING = ("meeting_on", "meeting_entitled", "meeting_present", "meeting_for", "meeting_against", "meeting_abstain",
            "approval_due_at")


@refusals_audited("recruitment.approve_return")
def return_admission(*, actor, application: Application, reason: str) -> Application:
    """R-REC-10: returned with a reason; the branch meets again (the notice stands)."""
    committee = ensure_committee_admin(actor, application.branch)
    reason = flow.reason_required(reason)
    with transaction.atomic():
        application = flow.lock(application)
        flow.ensure_stage(application, Stage.PASSED)
        flow.move(application, to=Stage.NOTICE, action="approve_return", actor=actor, acting_org=committee,
                  reason=reason, changes=dict.fromkeys(_MEETING))
    return application
