from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .idnumber import normalize_id_number


class IdNumberLoginForm(AuthenticationForm):
    """Django's login form; the ID number is normalized (full-width digits, lower-case x) before the check."""

    error_messages = {
        "invalid_login": _("身份证号或密码不正确。首次登录的密码是身份证号后8位。"),
        "inactive": _("该账号已停用。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("身份证号")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "inputmode": "text",
                                                     "autocapitalize": "characters", "spellcheck": "false"})
        self.fields["password"].label = _("密码")
        self.fields["password"].help_text = _("首次登录的密码是身份证号后8位，登录后须设置新密码。")

    def clean_username(self):
        return normalize_id_number(self.cleaned_data.get("username"))


class ForgotPasswordForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号"), max_length=30, widget=forms.TextInput(attrs={
        "autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"}))
    code = forms.CharField(label=_("重置码"), max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}), help_text=_(
        "向您所在组织或其上级组织的管理员索取，24小时内有效，只能使用一次。"))
    new_password1 = forms.CharField(label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                    help_text=lazy(password_validation.password_validators_help_text_html, str)())
    new_password2 = forms.CharField(label=_("再次输入新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return data
