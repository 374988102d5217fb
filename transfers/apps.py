from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = _("组织关系接转")

    def ready(self):
        # Leaving the league waits for a transfer in progress (R-TR-10); members asks, transfers answers.
        from members.extensions import provide_people_in_transfer

        from .models import TransferRequest

        provide_people_in_transfer(
            lambda: TransferRequest.objects.filter(status=TransferRequest.Status.PENDING).values("member_id"))
