"""The shapes of the recruitment pages' input (STYLE rule 11: text cleaned here); the rules live in the services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField

from .models import Stage


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if hasattr(value, "isoformat") else value


def _date(label, required=True):
    return forms.DateField(label=label, required=required, widget=DateInput)


def _count(label):
    return forms.IntegerField(label=label, min_value=0, max_value=100_000)


class ApplyForm(forms.Form):
    name = TextField(label=_("姓名"), max_length=50)
    id_number = TextField(label=_("身份证号"), max_length=30)
    work_unit = TextField(label=_("学习工作单位"), max_length=100, required=False)
    phone = TextField(label=_("手机号码"), max_length=20, required=False)
    applied_on = _date(_("递交入团申请书日期"))
    expected_join_on = _date(_("预计入团时间"))


class ActivistForm(forms.Form):
    activist_on = _date(_("确定为入团积极分子日期"))
    decision = TextField(label=_("确定依据"), max_length=200, help_text=_("如：支部委员会2026年3月1日会议决定"))
    introducer_1 = forms.ModelChoiceField(label=_("入团介绍人（一）"), queryset=None)
    introducer_2 = forms.ModelChoiceField(label=_("入团介绍人（二）"), queryset=None)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("introducer_1", "introducer_2"):
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = lambda p: p.name


class TrainingForm(forms.Form):
    held_on = _date(_("团课日期"))
    hours = forms.DecimalField(label=_("学时"), min_value=0, max_value=12, decimal_places=1, max_digits=3)
    topic = TextField(label=_("团课内容"), max_length=100)


class CandidateForm(forms.Form):
    candidate_on = _date(_("确定为发展对象日期"))


class DecisionForm(forms.Form):
    decided_on = _date(_("日期"), required=False)


class ReasonForm(forms.Form):
    reason = TextField(label=_("理由"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class OptionalReasonForm(forms.Form):
    reason = TextField(label=_("理由"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoticeForm(forms.Form):
    notice_from = _date(_("公示开始日期"))


class MeetingForm(forms.Form):
    meeting_on = _date(_("支部大会日期"))
    entitled = _count(_("应到会有表决权团员数"))
    present = _count(_("实到会有表决权团员数"))
    votes_for = _count(_("赞成"))
    against = _count(_("反对"))
    abstain = _count(_("弃权"))
    form_number = TextField(label=_("入团志愿书编号"), max_length=30)


class OathForm(forms.Form):
    oath_on = _date(_("入团仪式日期"))


class StageFilter(forms.Form):
    stage = forms.ChoiceField(label=_("阶段"), required=False, choices=[("", _("全部在办"))] + Stage.choices)
