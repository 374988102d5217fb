from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计")

    def ready(self):
        # Sign-in in the trail (R-TR-16): Django's auth signals and django-axes' lockout.
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import signin

        user_logged_in.connect(signin.logged_in, dispatch_uid="audit.signin.logged_in")
        user_logged_out.connect(signin.logged_out, dispatch_uid="audit.signin.logged_out")
        user_login_failed.connect(signin.login_failed, dispatch_uid="audit.signin.login_failed")
        user_locked_out.connect(signin.locked_out, dispatch_uid="audit.signin.locked_out")

        # Issue 14: one log line per task a worker runs (config/tasks.py), through the ID-number mask.
        from django_tasks.signals import task_finished

        from config.tasks import log_task

        task_finished.connect(log_task, dispatch_uid="config.tasks.log_task")
