"""How the reports write durations and shares."""
import datetime as dt

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def took(value: dt.timedelta | None) -> str:
    """A time to decide in its two largest units: "2 天 3 小时", "5 小时 12 分钟", "12 分钟"."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours} if hours else _("%(d)d 天") % {"d": days}
    if hours:
        return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": minutes} if minutes else _("%(h)d 小时") % {"h": hours}
    return _("%(m)d 分钟") % {"m": minutes} if minutes else _("不到 1 分钟")


@register.filter
def share(pct: int | None) -> str:
    return "—" if pct is None else f"{pct}%"
