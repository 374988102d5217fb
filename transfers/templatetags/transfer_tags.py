"""How times and statuses look on the transfer pages (UI.md): Asia/Shanghai, relative when recent with the
exact time on hover and focus; one colour and one word per status; deadlines as "还剩 2 天" / "已超时 5 小时"."""
import datetime as dt
import functools
import zoneinfo

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..message_texts import render
from ..models import ApprovalStep, TransferRequest
from ..selectors import steps_to_come, transfer_for_home

register = template.Library()
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
RECENT = dt.timedelta(days=7)
CLOCK = mark_safe('<svg class="clock" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true" focusable="false">'
                  '<circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.6"/>'
                  '<path d="M8 4.5V8l2.5 1.6" fill="none" stroke="currentColor" stroke-width="1.6" '
                  'stroke-linecap="round"/></svg>')


def exact(value) -> str:
    return timezone.localtime(value, SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _span(delta: dt.timedelta) -> str:
    """A duration in its largest whole unit: 2 天, 5 小时, 12 分钟."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds >= 86400:
        n = seconds // 86400
        return ngettext("%(n)d 天", "%(n)d 天", n) % {"n": n}
    if seconds >= 3600:
        n = seconds // 3600
        return ngettext("%(n)d 小时", "%(n)d 小时", n) % {"n": n}
    n = max(seconds // 60, 1)
    return ngettext("%(n)d 分钟", "%(n)d 分钟", n) % {"n": n}


def relative(value, now=None) -> str:
    delta = (now or timezone.now()) - value
    if delta < dt.timedelta(minutes=1):
        return _("刚刚")
    if delta < RECENT:
        return _("%(span)s前") % {"span": _span(delta)}
    return exact(value)


@register.simple_tag
def when(value, now=None):
    """<time> with the relative wording and the exact Asia/Shanghai time in its title (shown on focus too)."""
    if not value:
        return "—"
    shown = exact(value)
    title = _("%(t)s（北京时间）") % {"t": shown}
    return format_html('<time datetime="{}" title="{}" tabindex="0" data-exact="{}">{}</time>',
                       value.isoformat(), title, shown, relative(value, now))


def is_overdue(step, now=None) -> bool:
    return (step.status == ApprovalStep.Status.PENDING
            and step.created_at < (now or timezone.now()) - settings.TRANSFER_OVERDUE_AFTER)


@register.filter
def overdue(step) -> bool:
    return is_overdue(step)


@register.simple_tag
def deadline(step, now=None):
    """R-TR-8: 72 hours to decide. "还剩 2 天" before the mark, "已超时 5 小时" after it."""
    if step.status != ApprovalStep.Status.PENDING:
        return ""
    mark = step.created_at + settings.TRANSFER_OVERDUE_AFTER
    now = now or timezone.now()
    title = _("办理时限：%(t)s（北京时间）") % {"t": exact(mark)}
    if now <= mark:
        return format_html('<span class="deadline" title="{}">{}</span>', title, _("还剩 %(span)s") % {"span": _span(mark - now)})
    return format_html('<span class="deadline late" title="{}">{}</span>', title,
                       _("已超时 %(span)s") % {"span": _span(now - mark)})


@register.simple_tag
def auto_approval(step, now=None):
    """R-TR-7: OUT and IN steps are approved automatically at due_at; ASSIGN never."""
    if step.status != ApprovalStep.Status.PENDING or not step.due_at:
        return ""
    left = step.due_at - (now or timezone.now())
    text = (_("%(span)s后自动同意") % {"span": _span(left)}) if left.total_seconds() > 0 else _("即将自动同意")
    return format_html('<span class="auto-note" title="{}">{} {}</span>',
                       _("自动同意时间：%(t)s（北京时间）") % {"t": exact(step.due_at)}, CLOCK, text)


@register.inclusion_tag("transfers/_clocks.html")
def step_clocks(step):
    """The two clocks of a pending step, each named (issue 15): the time to decide before it is overdue and shown to
    the superior (R-TR-8, 72 hours), and when it is approved automatically (R-TR-7, 15 days; an ASSIGN step never)."""
    if step.status != ApprovalStep.Status.PENDING:
        return {"step": None}
    hours = int(settings.TRANSFER_OVERDUE_AFTER.total_seconds() // 3600)
    return {"step": step, "overdue_at": exact(step.created_at + settings.TRANSFER_OVERDUE_AFTER),
            "overdue_hours": hours, "auto_at": exact(step.due_at) if step.due_at else "",
            "auto_after": _span(settings.TRANSFER_AUTO_APPROVE_AFTER)}


@register.filter
def to_come(transfer):
    """[(kind label, organization)] of the steps still to come (selectors.steps_to_come), for the timeline."""
    labels = dict(ApprovalStep.Kind.choices)
    return [(kind, labels[kind], org) for kind, org in steps_to_come(transfer)]


@register.inclusion_tag("transfers/_home.html")
def home_transfer(person):
    """Issue 15: the home page shows the person's own transfer first (selectors.transfer_for_home). A tag, not the
    home view's context: the view lives in members, below transfers (tests/test_layers.py)."""
    return {"t": transfer_for_home(person)}


STEP_CLASS = {
    ApprovalStep.Status.PENDING: "pending", ApprovalStep.Status.APPROVED: "ok",
    ApprovalStep.Status.AUTO_APPROVED: "ok", ApprovalStep.Status.REJECTED: "muted",
    ApprovalStep.Status.CANCELLED: "muted",
}
REQUEST_CLASS = {
    TransferRequest.Status.PENDING: "pending", TransferRequest.Status.COMPLETED: "ok",
    TransferRequest.Status.REJECTED: "muted", TransferRequest.Status.WITHDRAWN: "muted",
}


# Any id: it is replaced by the row's in each address (a number no list of steps reaches).
_ANY_ID = 2_147_000_321
_STEP_LINKS = {"detail": "transfers:detail", "approve": "transfers:approve", "reject": "transfers:reject",
               "assign": "transfers:assign"}


@functools.lru_cache(maxsize=8)
def _link_shapes(prefix: str, urlconf) -> dict[str, tuple[str, str]]:
    return {key: tuple(reverse(name, args=[_ANY_ID], urlconf=urlconf).split(str(_ANY_ID)))
            for key, name in _STEP_LINKS.items()}


def step_links(step) -> dict[str, str]:
    """A row's addresses: the transfer's detail page and the step's approve, reject and assign, each made from one
    address reversed once per script prefix (the same strings as {% url %}; four reverses a row were a sixth of its
    rendering, issue 13)."""
    shapes = _link_shapes(get_script_prefix(), get_urlconf())
    ids = {"detail": step.request_id}
    return {key: f"{head}{ids.get(key, step.pk)}{tail}" for key, (head, tail) in shapes.items()}


@register.filter
def step_row(step, acting_org) -> dict:
    """What a row of transfers/_step_rows.html shows of its step beyond its fields, made in one call with one clock:
    its links, whether it is overdue, its badge, its deadline, when it came, when it is approved automatically, and
    which subordinate it waits at (R-AUTH-3: none when at the acting organization). As tags, a row's seven calls and
    their look-ups were a third of its rendering (issue 13, docs/performance.md)."""
    now = timezone.now()
    below = (_("待办方：%(org)s（下级）") % {"org": step.org.full_name}
             if acting_org is None or step.org_id != acting_org.pk else "")
    return {"links": step_links(step), "overdue": is_overdue(step, now), "badge": step_badge(step, now),
            "deadline": deadline(step, now), "received": when(step.created_at, now),
            "auto": auto_approval(step, now), "below": below}


@register.simple_tag
def step_badge(step, now=None):
    if is_overdue(step, now):
        return format_html('<span class="badge warn">{} · {}</span>', step.get_status_display(), _("已超时"))
    if step.status == ApprovalStep.Status.AUTO_APPROVED:
        return format_html('<span class="badge ok auto">{} {}</span>', CLOCK, step.get_status_display())
    return format_html('<span class="badge {}">{}</span>', STEP_CLASS[step.status], step.get_status_display())


@register.simple_tag
def request_badge(transfer):
    return format_html('<span class="badge {}">{}</span>', REQUEST_CLASS[transfer.status],
                       transfer.get_status_display())


@register.filter
def pending_step(transfer):
    """The step that has the transfer now (steps prefetched: no query)."""
    return next((s for s in transfer.steps.all() if s.status == ApprovalStep.Status.PENDING), None)


@register.filter
def tone(obj) -> str:
    """The status colour of a transfer or a step, for borders and timeline dots."""
    if isinstance(obj, ApprovalStep):
        return "late" if is_overdue(obj) else STEP_CLASS[obj.status]
    return REQUEST_CLASS[obj.status]


@register.filter
def message_text(message) -> str:
    """A message in the page's language (issue 14: stored as a code and parameters)."""
    return render(message)
