"""An organization's former names (issue 15): each rename (orgs.upkeep.rename_org) keeps the name it replaces,
with the time it was used, so that old papers and transfers that name it can still be traced."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormerName(models.Model):
    org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="former_names",
                            verbose_name=_("团组织"))
    full_name = models.CharField(_("原全称"), max_length=200)
    name = models.CharField(_("原简称"), max_length=100, blank=True)
    used_from = models.DateTimeField(_("启用时间"))
    used_until = models.DateTimeField(_("停用时间"))

    class Meta:
        verbose_name = _("曾用名")
        verbose_name_plural = _("曾用名")
        indexes = [models.Index(fields=["org", "-used_until"], name="former_name_org")]

    def __str__(self):
        return f"{self.org_id}: {self.full_name}"
