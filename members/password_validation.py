from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

RUN = 6


class IdNumberDigitsValidator:
    """Refuses a password that contains 6 or more consecutive characters of the person's ID number
    (the initial password is the last 8; birth dates are easy to guess)."""

    def validate(self, password, user=None):
        id_number = (getattr(user, "id_number", "") or "").upper()
        text = (password or "").upper()
        for start in range(0, max(len(id_number) - RUN + 1, 0)):
            if id_number[start:start + RUN] in text:
                raise ValidationError(_("密码不能包含身份证号中连续的数字。"), code="password_has_id_digits")

    def get_help_text(self):
        return _("密码不能包含身份证号中连续6位以上的数字。")
