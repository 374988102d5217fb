"""A person's own preferences (issue 14): the language switch remembers the signed-in person's choice for their
mail; the reminders they want, on their own page. Nobody else changes either (members/services/preferences.py)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from ..models import ReminderOptOut
from ..services import set_language, set_reminder_opt_outs


def reminder_choices(person) -> list[dict]:
    off = set(ReminderOptOut.objects.filter(person=person).values_list("kind", flat=True))
    return [{"value": value, "label": label, "on": value not in off} for value, label in ReminderOptOut.Kind.choices]


def language_switch(request):
    """Django's language switch (the cookie, the redirect), and for a signed-in person their mail's language too."""
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        set_language(actor=request.user, person=request.user, language=request.POST.get("language", ""))
    return response


@require_POST
@login_required
def reminders(request):
    """The signed-in person's own reminders: the kinds left unticked are not sent to them."""
    wanted = set(request.POST.getlist("on"))
    set_reminder_opt_outs(actor=request.user, person=request.user,
                          kinds=[k for k in ReminderOptOut.Kind.values if k not in wanted])
    messages.success(request, _("提醒设置已保存。"))
    return redirect("people:me")
