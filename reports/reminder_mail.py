"""The day's reminder mail (issue 14): one mail a person a day gathering the reminders of that day, in the
person's language (Person.language). A task, queued when the digest rows are committed (reports/reminders.py);
retried in place while the mail server is away (config/tasks.py); each message mailed once (`mailed_at`)."""
import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.mail import get_connection, send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from config.tasks import retrying
from transfers.mail import in_language
from transfers.message_texts import render
from transfers.models import Message

from .models import ReminderDigest

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CHUNK = 200
REMINDER_EVENTS = ("reminder_overdue", "reminder_escalation", "reminder_auto_soon", "graduation_reminder",
                   "graduation_reminder_admin", "reminder_turning_28", "reminder_incomplete",
                   "reminder_term_due")


def _body(messages: list[Message], base_url: str) -> str:
    lines = [_("您好，以下是今天的提醒：")]
    lines += [f"- {render(m)}" + (f"\n  {base_url}{m.link}" if base_url and m.link else "") for m in messages]
    lines.append(_("不想收到某类提醒，可以在“我的信息”页面取消勾选。"))
    return "\n\n".join(lines)


@task()
@retrying
def send_reminder_digests(person_ids: list[int], day: str) -> int:
    """One mail each to these people with their reminders of `day` not yet mailed; their digest rows are marked
    sent. A second run finds the messages mailed and the digests sent, and sends nothing."""
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.min, tzinfo=SHANGHAI)
    sent = 0
    for first in range(0, len(person_ids), CHUNK):
        with transaction.atomic():
            digests = list(ReminderDigest.objects.select_for_update(skip_locked=True)
                           .filter(person_id__in=person_ids[first:first + CHUNK], day=day, sent_at=None)
                           .values_list("person_id", flat=True))
            rows = list(Message.objects.filter(recipient_id__in=digests, event__in=REMINDER_EVENTS,
                                               created_at__gte=start, created_at__lt=start + dt.timedelta(days=1),
                                               mailed_at=None)
                        .exclude(recipient__email="").select_related("recipient").order_by("recipient_id", "pk"))
            per_person: dict[int, list[Message]] = {}
            for message in rows:
                per_person.setdefault(message.recipient_id, []).append(message)
            mails = [in_language(ms[0].recipient.language, lambda ms=ms: (
                _("团籍：今日提醒"), _body(ms, settings.SITE_URL), settings.DEFAULT_FROM_EMAIL, [ms[0].recipient.email]))
                for ms in per_person.values()]
            if mails:
                send_mass_mail(mails, connection=get_connection(fail_silently=False))
            now = timezone.now()
            Message.objects.filter(pk__in=[m.pk for m in rows]).update(mailed_at=now)
            ReminderDigest.objects.filter(person_id__in=digests, day=day).update(sent_at=now)
        sent += len(mails)
    return sent
