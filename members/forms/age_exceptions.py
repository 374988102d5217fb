"""R-ENT-11: the age-exception request's forms. Shape only; the rules are members/services/age_exceptions.py's."""
from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField

from .people import PeopleForm, _date

REQUEST_FIELDS = ["name", "id_number", "phone", "joined_on", "development_number", "explanation"]


class AgeExceptionForm(PeopleForm):
    """What the FAQ asks of the recruiting branch or its county-level committee: the person, their contact, when
    they joined, where they are now (the branch), and a written explanation."""

    groups_spec = [(_("申请录入的人员"), ["branch", "name", "id_number", "phone", "joined_on", "development_number"]),
                   (_("情况说明"), ["explanation"])]
    branch = forms.ModelChoiceField(label=_("当前所在团组织（团支部）"), queryset=None, empty_label=_("请选择团支部"),
                                    error_messages={"required": _("请选择此人当前所在的团支部。"),
                                                    "invalid_choice": _("请从列表中选择团支部。")})
    name = TextField(label=_("姓名"), max_length=50, required=False)
    id_number = TextField(label=_("身份证号"), max_length=30, required=False)
    phone = TextField(label=_("联系方式（手机号码）"), max_length=20, required=False)
    joined_on = _date(_("入团时间"))
    development_number = TextField(label=_("发展团员编号"), max_length=30, required=False,
                                   help_text=_("2017年1月1日及以后入团的必须填写（新疆自2016年1月1日起）。"))
    explanation = TextField(label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                            help_text=_("写明此人入团时不满规定年龄的原因、发展经过和入团时间，团中央据此统一录入。"))

    def __init__(self, *args, branches=None, fixed_branch=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_branch is not None:
            del self.fields["branch"]
        else:
            self.fields["branch"].queryset = branches
        for name in ("branch", "name", "id_number", "phone", "joined_on", "explanation"):
            if name in self.fields:
                self.fields[name].required_mark = True


class ReturnForm(forms.Form):
    reason = TextField(label=_("退回原因"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
