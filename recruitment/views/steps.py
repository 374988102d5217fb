"""An application's file (its facts, 团课, timeline) and the form of each step the acting organization may take
there (R-REC-1). Each step is one POST to one service; a refusal comes back on the same page, nothing typed lost."""
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from access.acting import admin_required
from members.selectors.people import members_of
from transfers.views.common import consume_token, issue_token, refuse_double_submit, shows_refusals

from .. import forms as f
from .. import services as s
from ..models import Application, Stage
from ..permissions import approving_org
from ..selectors import latest_change, timeline, training_hours
from ..services import flow
from .errors import attach


def _call(service, **fixed):
    return lambda actor, application, data: service(actor=actor, application=application, **fixed, **data)


def _activist(actor, application, data):
    return s.choose_activist(actor=actor, application=application, activist_on=data["activist_on"],
                             decision=data["decision"], introducers=[data["introducer_1"], data["introducer_2"]])


def _meeting(actor, application, data):
    return s.record_meeting(actor=actor, application=application, **data)


def _training(actor, application, data):
    return s.record_training(actor=actor, application=application, **data)


# action: (who, form, service, title, done message)
STEPS = {
    "activist": ("branch", f.ActivistForm, _activist, gettext_lazy("确定为入团积极分子"), gettext_lazy("已确定为入团积极分子。")),
    "training": ("branch", f.TrainingForm, _training, gettext_lazy("记录团课"), gettext_lazy("已记录团课。")),
    "candidate": ("branch", f.CandidateForm, _call(s.propose_candidate), gettext_lazy("确定为发展对象，报上级预审"),
                  gettext_lazy("已确定为发展对象，等待上级团委预审。")),
    "prereview": ("committee", f.DecisionForm, _call(s.approve_prereview), gettext_lazy("预审通过"),
                  gettext_lazy("预审已通过。")),
    "prereview_return": ("committee", f.ReasonForm, _call(s.return_prereview), gettext_lazy("预审退回"),
                         gettext_lazy("已退回团支部。")),
    "notice": ("branch", f.NoticeForm, _call(s.start_notice), gettext_lazy("开始公示"), gettext_lazy("已开始公示。")),
    "meeting": ("branch", f.MeetingForm, _meeting, gettext_lazy("记录支部大会"),
                gettext_lazy("支部大会决议已记录，等待上级团委审批。")),
    "approve": ("committee", f.DecisionForm, _call(s.approve_admission), gettext_lazy("批准入团"),
                gettext_lazy("已批准。")),
    "approve_return": ("committee", f.ReasonForm, _call(s.return_admission), gettext_lazy("退回支部大会决议"),
                       gettext_lazy("已退回团支部。")),
    "oath": ("branch", f.OathForm, _call(s.take_oath), gettext_lazy("记录入团仪式"),
             gettext_lazy("已入团：已分配发展团员编号并录入团员信息。")),
    "close": ("branch", f.ReasonForm, _call(s.close_application), gettext_lazy("终止申请"),
              gettext_lazy("已终止该申请。")),
    "reverse": ("any", f.OptionalReasonForm, _call(s.reverse_change), gettext_lazy("撤销上一步"),
                gettext_lazy("已撤销上一步。")),
}
BY_STAGE = {
    Stage.APPLIED: ["activist"], Stage.ACTIVIST: ["training", "candidate"], Stage.CANDIDATE: ["training", "prereview",
                                                                                              "prereview_return"],
    Stage.PREREVIEWED: ["notice"], Stage.NOTICE: ["meeting"], Stage.PASSED: ["approve", "approve_return"],
    Stage.APPROVED: ["oath"],
}
# The services' field names where the forms call them otherwise.
RENAME = {"introducers": "introducer_2", "branch": None, "meeting_entitled": "entitled", "meeting_present": "present",
          "meeting_for": "votes_for", "meeting_against": "against", "meeting_abstain": "abstain"}


def _form(action, application, data=None):
    form_class = STEPS[action][1]
    if form_class is f.ActivistForm:
        return form_class(data, members=members_of(application.branch), prefix=action)
    return form_class(data, prefix=action)


def _reversible(request, acting, application):
    """A hint for the page (the service decides): offer 撤销 to the change's maker or an organization above it."""
    event = latest_change(application)
    if event is None or event.action in s.reversal.NOT_REVERSIBLE:
        return None
    window = flow.now() - event.at
    maker = event.actor_id == request.user.pk and event.acting_org_id == acting.pk
    if maker and window < dt.timedelta(hours=settings.RECRUIT_REVERSAL_HOURS):
        return event
    if event.acting_org is not None and acting.pk in event.acting_org.ancestor_ids()[:-1]:
        return event
    return None


def _available(request, acting, application) -> list[str]:
    if not application.is_open:
        return []
    committee = approving_org(application.branch)
    side = {"branch": acting.pk == application.branch_id, "committee": committee is not None and
            acting.pk == committee.pk}
    actions = [a for a in BY_STAGE.get(application.stage, []) if side[STEPS[a][0]]]
    if side["branch"]:
        actions.append("close")
    if _reversible(request, acting, application):
        actions.append("reverse")
    return actions


def _page(request, acting, application, *, bound=None, status=200):
    actions = _available(request, acting, application)
    forms = [(a, STEPS[a][3], bound[1] if bound and bound[0] == a else _form(a, application)) for a in actions]
    return render(request, "recruitment/detail.html", {
        "a": application, "forms": forms, "events": timeline(application),
        "sessions": list(application.sessions.order_by("held_on", "pk")), "hours": training_hours(application),
        "committee": approving_org(application.branch), "idem": issue_token(request),
    }, status=status)


def _scoped(acting, pk) -> Application:
    return get_object_or_404(Application.objects.filter(org_path__startswith=acting.path)
                             .select_related("branch", "introducer_1", "introducer_2", "person"), pk=pk)


@require_GET
@shows_refusals
@admin_required
def application_detail(request, acting, pk):
    return _page(request, acting, _scoped(acting, pk))


@require_POST
@shows_refusals
@admin_required
def application_step(request, acting, pk, action):
    application = _scoped(acting, pk)
    if action not in STEPS:
        return redirect("recruitment:detail", pk)
    if not consume_token(request, f"recruitment:{pk}:{action}"):
        return refuse_double_submit(request, "recruitment:detail", pk)
    form = _form(action, application, request.POST)
    if form.is_valid():
        try:
            STEPS[action][2](request.user, application, form.cleaned_data)
        except ValidationError as exc:
            attach(form, exc, rename=RENAME)
        else:
            messages.success(request, STEPS[action][4])
            return redirect("recruitment:detail", pk)
    application.refresh_from_db()
    return _page(request, acting, application, bound=(action, form), status=400)
