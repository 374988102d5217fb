"""Transfer e-mail (issue 14): a task, queued after the messages' commit (transfers/messages.py), that mails the
messages it is given to their recipients' addresses. Retried in place with backoff while the mail server or the
database is away (config/tasks.py); each message is mailed once (`mailed_at`), however often the task runs."""
from django.conf import settings
from django.core.mail import get_connection, send_mass_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from config.tasks import retrying

from .message_texts import render
from .models import Message

CHUNK = 200  # messages locked, mailed over one connection and marked per transaction


@task()
@retrying
def send_message_mail(message_ids: list[int]) -> int:
    """One mail per message (nobody sees anyone else's address). Messages already mailed, or being mailed by another
    run of this task (SKIP LOCKED), are left alone. Returns how many were sent."""
    sent = 0
    for start in range(0, len(message_ids), CHUNK):
        with transaction.atomic():
            rows = list(Message.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(pk__in=message_ids[start:start + CHUNK], mailed_at=None)
                        .exclude(recipient__email="").order_by("pk")
                        .select_related("step", "recipient").only("code", "params", "text", "step__status", "recipient__email",
                                                     "recipient__language"))
            if not rows:
                continue
            # A mail server that refuses raises here: the transaction rolls back, nothing is marked, `retrying` waits
            # and tries again. Mailed but not marked (the database lost after sending) is mailed again: at least once.
            send_mass_mail([in_language(m.recipient.language, lambda m=m: (
                _("团籍：组织关系转接提醒"), render(m), settings.DEFAULT_FROM_EMAIL, [m.recipient.email])) for m in rows],
                           connection=get_connection(fail_silently=False))
            Message.objects.filter(pk__in=[m.pk for m in rows]).update(mailed_at=timezone.now())
        sent += len(rows)
    return sent


def in_language(language: str, compose):
    """`compose()` in the recipient's language (Person.language, issue 14)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return compose()
