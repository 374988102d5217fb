"""The audit page's filters (the shape of the query string only; the reads are in reports/selectors/audit.py)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from audit.actions import FAMILIES
from audit.models import AuditEvent
from config.forms import TextField

from .season_forms import DateInput


class AuditFilter(forms.Form):
    actor = TextField(label=_("操作人"), required=False, max_length=50,
                      help_text=_("姓名或身份证号（完整号码、前6位，或遮蔽后的号码）"))
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部操作")), *FAMILIES])
    target = TextField(label=_("对象"), required=False, max_length=100, help_text=_("名称，或人员的身份证号"))
    result = forms.ChoiceField(label=_("结果"), required=False,
                               choices=[("", _("全部结果")), *AuditEvent.Result.choices])
    since = forms.DateField(label=_("起始日期"), required=False, widget=DateInput(),
                            error_messages={"invalid": _("请按“年-月-日”填写日期。")})
    until = forms.DateField(label=_("截止日期"), required=False, widget=DateInput(),
                            error_messages={"invalid": _("请按“年-月-日”填写日期。")})

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", forms.ValidationError(_("截止日期不能早于起始日期。"), code="range"))
        return data

    def filters(self) -> dict:
        """The filters that are valid, for the selector; a field in error filters nothing (its message is shown)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value}
