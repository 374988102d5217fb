from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import TextField


class CodeForm(forms.Form):
    """R-ACC-5: one code, from the authenticator app (6 digits) or a backup code (10 digits). The service cleans
    and checks it; this form only takes it in (STYLE 11: control and format characters out here)."""

    code = TextField(label=_("验证码"), max_length=32, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "autofocus": True}))

    def __init__(self, *args, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = help_text
