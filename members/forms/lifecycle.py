"""Forms of the league life-cycle pages: the shape of the input only; the rules are the services'
(members/services/lifecycle.py), whose errors `apply_errors` puts next to their fields."""
from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField

from ..models import Person
from ..services.lifecycle import LEAVING
from .people import BLANK, PeopleForm

S = Person.LeagueStatus

LEAVING_HELP = {
    S.AGED_OUT: _("年满28周岁、未在团内担任职务的团员离团。"),
    S.LAPSED: _("无正当理由连续6个月不参加团的组织生活、不交纳团费或不做团所分配的工作。"),
    S.WITHDREW: _("团员要求退团，经团支部大会讨论后宣布退团。"),
    S.EXPELLED: _("经团支部大会讨论决定，报上级团组织批准后生效。"),
}


def _reason(label):
    return TextField(label=label, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                     error_messages={"required": _("请写明原因。")})


class LeaveForm(PeopleForm):
    to_status = forms.ChoiceField(label=_("团籍变动"), choices=BLANK + [(s.value, s.label) for s in LEAVING],
                                  error_messages={"required": _("请选择团籍变动类型。")})
    effective_on = forms.DateField(label=_("生效日期"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   help_text=_("不填为今天；开除团籍自上级组织批准之日起生效。"))
    reason = _reason(_("原因"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].required_mark = self.fields["reason"].required_mark = True


class RestoreForm(PeopleForm):
    branch = forms.ModelChoiceField(label=_("恢复到团支部"), queryset=None, empty_label=_("请选择团支部"),
                                    error_messages={"required": _("请选择团支部。"),
                                                    "invalid_choice": _("请从列表中选择团支部。")})
    reason = _reason(_("恢复团籍的原因"))

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].required_mark = self.fields["reason"].required_mark = True
