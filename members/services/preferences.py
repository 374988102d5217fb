"""A person's own preferences (issue 14): the language of their mail and the reminders they do not want. Only the
person changes them (R-AUTH-5): they are the person's wishes, not part of the record admins keep."""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record, refusals_audited

from ..models import Person, ReminderOptOut


def _ensure_self(actor, person: Person) -> None:
    if actor is None or actor.pk != person.pk:
        raise PermissionDenied(_("只有本人可以更改这项设置。"))


def set_language(*, actor, person: Person, language: str) -> bool:
    """The language of the person's mail; the language switch calls this for the signed-in person. Returns whether
    it changed. An unknown language is ignored (the switch ignores it too)."""
    _ensure_self(actor, person)
    if language not in dict(settings.LANGUAGES) or language == person.language:
        return False
    Person.objects.filter(pk=person.pk).update(language=language)
    person.language = language
    return True


@refusals_audited("person.reminders")
def set_reminder_opt_outs(*, actor, person: Person, kinds) -> set[str]:
    """The kinds of reminder the person does not want, replacing those before. Returns them."""
    _ensure_self(actor, person)
    wanted_off = {k for k in kinds if k in ReminderOptOut.Kind.values}
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        before = set(ReminderOptOut.objects.filter(person=person).values_list("kind", flat=True))
        if before == wanted_off:
            return before
        ReminderOptOut.objects.filter(person=person).exclude(kind__in=wanted_off).delete()
        ReminderOptOut.objects.bulk_create([ReminderOptOut(person=person, kind=k) for k in wanted_off - before])
        record(actor=actor, action="person.reminders", target=person, off=sorted(wanted_off))
    return wanted_off
