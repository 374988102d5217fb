from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("团员与团干部")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .prompts import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="members.prompts.on_sign_in")  # R-ENT-5, issue 18
