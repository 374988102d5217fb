"""The shape of the graduation season's input; the rules are in reports/services.py."""
from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField

from .models import GraduateFlag


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ExpectedForm(forms.Form):
    expected_on = forms.DateField(label=_("预计毕业时间"), widget=DateInput(),
                                  help_text=_("毕业生应在当年6月30日前完成团组织关系转接。"),
                                  error_messages={"required": _("请填写预计毕业时间。"),
                                                  "invalid": _("请按“年-月-日”填写日期。")})


class FlagForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    year = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("毕业去向"), required=False,
                             choices=[("", _("随班毕业"))] + list(GraduateFlag.Kind.choices))
    note = TextField(label=_("说明"), required=False, max_length=200)
