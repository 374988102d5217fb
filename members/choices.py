"""Fixed lists used by people's records."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Verification(models.TextChoices):
    PENDING = "pending", _("未认证")
    VERIFIED = "verified", _("已认证")
    FAILED = "failed", _("认证不通过")


class DevNumberIssue(models.TextChoices):
    """R-ENT-5: why a development number on file breaks R-ENT-4."""
    MISSING = "missing", _("缺少编号")
    FORMAT = "format", _("格式不对")
    YEAR = "year", _("年份不符")
    SEGMENT = "segment", _("位数或号段不符")
    TAKEN = "taken", _("编号重复")
