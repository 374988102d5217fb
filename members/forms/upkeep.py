"""Forms of an organization's upkeep (issue 15): the shape of the input only; the rules are orgs.upkeep's."""
from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField


class RenameForm(forms.Form):
    full_name = TextField(label=_("新全称"), max_length=200,
                          help_text=_("全称唯一，括号全角半角视为相同。原全称会记入曾用名。"))
    name = TextField(label=_("简称（可选）"), max_length=100, required=False)


class TermForm(forms.Form):
    term_ends_on = forms.DateField(label=_("届满日期（下次换届）"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   help_text=_("届满前 30 天起，本组织和上级组织的管理员会收到换届提醒。留空表示不设。"),
                                   error_messages={"invalid": _("请按“年-月-日”填写日期，如 2027-05-04。")})
