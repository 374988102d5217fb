"""Counts for the navigation (transfers/_nav.html): unread messages for everyone, pending steps for admins.
Each is one query, run only when a template shows it."""
from django.utils.functional import SimpleLazyObject

from access.acting import acting_org

from .selectors import pending_steps, unread_count


def transfer_counts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def waiting():
        org = acting_org(request)
        return pending_steps(actor=user, acting_org=org).count() if org is not None else 0

    return {"transfer_unread": SimpleLazyObject(lambda: unread_count(user)),
            "transfer_waiting": SimpleLazyObject(waiting)}
