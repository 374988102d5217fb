import unicodedata

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

RUN = 6


class IdNumberDigitsValidator:
    """Refuses a password that contains 6 or more consecutive characters of the person's ID number
    (the initial password is the last 8; birth dates are easy to guess)."""

    def validate(self, password, user=None):
        id_number = (getattr(user, "id_number", "") or "").upper()
        # Full-width digits and Ｘ are the same characters to whoever guesses them (R-ENT-4 normalizes them too).
        text = unicodedata.normalize("NFKC", password or "").upper()
        for start in range(0, max(len(id_number) - RUN + 1, 0)):
            if id_number[start:start + RUN] in text:
                raise ValidationError(_("密码不能包含身份证号中连续的数字。"), code="password_has_id_digits")

    def get_help_text(self):
        return _("密码不能包含身份证号中连续6位以上的数字。")


class NotBlankValidator:
    """Refuses a password of nothing but spaces (half- or full-width), tabs or line breaks: eight spaces pass
    every length check and are guessed first (R-ACC-1, R-ACC-2)."""

    def validate(self, password, user=None):
        if not (password or "").strip():
            raise ValidationError(_("密码不能全是空格。"), code="password_blank")

    def get_help_text(self):
        return _("密码不能全是空格。")


class NotCurrentPasswordValidator:
    """Refuses the person's current password as the new one, on the password change page and with a reset
    code (R-ACC-2): a change that changes nothing leaves whoever knew the old password inside."""

    def validate(self, password, user=None):
        current = getattr(user, "password", "") if getattr(user, "pk", None) else ""
        # No setter: a check never re-hashes the stored password as a side effect.
        if current and check_password(password, current):
            raise ValidationError(_("新密码不能与当前密码相同。"), code="password_unchanged")

    def get_help_text(self):
        return _("新密码不能与当前密码相同。")


class StrippedMinimumLengthValidator(MinimumLengthValidator):
    """At least `min_length` characters once surrounding spaces (half- or full-width), tabs and line breaks are
    stripped: Django's own validator counts them, so "  abc12  " passed as 9 characters (issue 12)."""

    def validate(self, password, user=None):
        if len((password or "").strip()) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short",
                                  params={"min_length": self.min_length})

    def get_error_message(self):
        return _("密码去掉首尾空格后至少要有 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self):
        return _("密码至少 %(min_length)d 个字符（首尾的空格不算）。") % {"min_length": self.min_length}
