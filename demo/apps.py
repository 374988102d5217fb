from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data set: one command on top of every app, calling each app's own demo.py in order."""
    name = "demo"
    verbose_name = _("演示数据")
