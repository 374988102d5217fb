"""The term (届) of an organization in one word and one colour (issue 15): amber while the election is due within
30 days, a red outline once the term has ended (UI.md: pending amber, overdue red outline)."""
import datetime as dt

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orgs.selectors import TERM_NOTICE_DAYS

register = template.Library()


@register.simple_tag
def term_state(ends_on: dt.date | None, today: dt.date | None = None) -> str:
    if ends_on is None:
        return ""
    today = today or timezone.localdate()
    left = (ends_on - today).days
    when = date_format(ends_on, "Y-m-d")
    if left < 0:
        return format_html('<span class="badge warn" title="{}">{}</span>', when,
                           ngettext("已超期 %(n)d 天", "已超期 %(n)d 天", -left) % {"n": -left})
    if left == 0:
        return format_html('<span class="badge pending" title="{}">{}</span>', when, _("今天届满"))
    if left <= TERM_NOTICE_DAYS:
        return format_html('<span class="badge pending" title="{}">{}</span>', when,
                           ngettext("还剩 %(n)d 天", "还剩 %(n)d 天", left) % {"n": left})
    return ""
