from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from config.forms import TextField, clean_text

from ..idnumber import normalize_id_number

ID_NUMBER_MAX_LENGTH = 30  # generous for spaces and full-width digits; an ID number has 18 characters


def login_id_number(request, credentials=None) -> str | None:
    """R-ACC-4: the key django-axes counts login failures under (AXES_USERNAME_CALLABLE), the ID number as
    R-ENT-1 normalizes it, so every spelling (a lower-case x, spaces, full-width digits) is one ID number."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = getattr(request, "POST", {}).get("username")
    normalized = normalize_id_number(clean_text(raw or ""))[:ID_NUMBER_MAX_LENGTH]
    return normalized or None


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
        return normalize_id_number(clean_text(self.cleaned_data.get("username") or ""))


class ForgotPasswordForm(forms.Form):
    id_number = TextField(label=_("身份证号"), max_length=ID_NUMBER_MAX_LENGTH, widget=forms.TextInput(attrs={
        "autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"}))
    code = TextField(label=_("重置码"), max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}), help_text=_(
        "向您所在组织或其上级组织的管理员索取，24小时内有效，只能使用一次。"))
    # strip=False as on Django's own password forms: the password is what was typed, spaces and all.
    new_password1 = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                    help_text=lazy(password_validation.password_validators_help_text_html, str)())
    new_password2 = forms.CharField(label=_("再次输入新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return data
