from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Who may do what (R-AUTH): the posts people hold in organizations, the admin rights they carry, the
    acting organization, custody of accounts. Below every app that checks a right (docs/architecture.md)."""
    name = "access"
    verbose_name = _("权限")

    def ready(self):
        from . import checks  # noqa: F401  (registers the R-ACC-5 system checks)
