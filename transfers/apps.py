from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = _("组织关系接转")

    def ready(self):
        # Leaving the league waits for a transfer in progress (R-TR-10); members asks, transfers answers.
        from access.signals import second_factor_changed
        from members.extensions import provide_people_in_transfer
        from members.signals import age_exception_changed, identity_case_changed

        from .exporting import register_history_export
        from .messages import tell_age_exception, tell_identity_case, tell_second_factor
        from .models import TransferRequest

        # R-ACC-5: a second factor enrolled or reset is told in the message center, which this app owns.
        second_factor_changed.connect(tell_second_factor, dispatch_uid="transfers.tell_second_factor")
        # R-VER-5: identity cases filed and decided, likewise.
        identity_case_changed.connect(tell_identity_case, dispatch_uid="transfers.tell_identity_case")

        # R-ENT-11: each step of an age-exception request is told in the message center.
        age_exception_changed.connect(tell_age_exception, dispatch_uid="transfers.tell_age_exception")
        register_history_export()  # issue 14: a long history is built by members' export task
        provide_people_in_transfer(
            lambda: TransferRequest.objects.filter(status=TransferRequest.Status.PENDING).values("member_id"))
