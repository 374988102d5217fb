"""The audit page (R-TR-16, R-AUTH-1): the events of the acting organization's subtree, filtered. An event belongs
to the subtree where its acting organization lies now: a prefix scan on the organizations' path through the join
(`org_path_prefix`), no copy of the path on the append-only table (docs/decisions.md, "The audit page").
Two queries a page whatever the trail's size: the count, and the page with its actor and organization."""
import datetime as dt
import re

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from audit.models import AuditEvent
from members.idnumber import id_number_filter, normalize_id_number
from members.models import Person

# An ID number as the lists show it (R-AUTH-6): its first 6 and last 1 characters, stars between.
MASKED = re.compile(r"^([0-9]{6})\*+([0-9X])$")


def sees_everything(acting) -> bool:
    """The root organization's admins read the whole trail, with the events no organization acted in (sign-ins,
    the system's own work)."""
    return acting.parent_id is None


def _id_lookup(query: str, field: str) -> dict | None:
    """An ID number typed whole, as its visible first 6 characters, or masked as listed; None for a name."""
    ident = normalize_id_number(query)
    masked = MASKED.match(ident)
    if masked:
        return {field + "__startswith": masked[1], field + "__endswith": masked[2]}
    if ident.isascii() and ident.isalnum() and any(ch.isdigit() for ch in ident):  # "管理员b2" is a name
        return id_number_filter(ident, field)  # R-AUTH-6: whole, or at most the first 6
    return None


def _by_actor(qs, query: str):
    lookup = _id_lookup(query, "actor__id_number")
    return qs.filter(**lookup) if lookup is not None else qs.filter(actor__name__contains=query)


def _by_target(qs, query: str):
    lookup = _id_lookup(query, "id_number")
    if lookup is None:
        return qs.filter(target_label__contains=query)
    people = Person.objects.filter(**lookup).annotate(key=Cast("pk", CharField())).values("key")
    return qs.filter(target_type="person", target_id__in=people)


def _by_action(qs, prefix: str):
    """A family of actions (audit.actions.FAMILIES): every action that starts with its prefix."""
    return qs.filter(action__startswith=prefix)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))  # Asia/Shanghai (TIME_ZONE)


def audit_events(acting, *, actor: str = "", action: str = "", target: str = "", result: str = "",
                 since: dt.date | None = None, until: dt.date | None = None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor", "acting_org")
    if not sees_everything(acting):
        qs = qs.filter(acting_org__path__startswith=acting.path)
    if actor:
        qs = _by_actor(qs, actor)
    if action:
        qs = _by_action(qs, action)
    if target:
        qs = _by_target(qs, target)
    if result:
        qs = qs.filter(result=result)
    if since:
        qs = qs.filter(at__gte=_day_start(since))
    if until:
        qs = qs.filter(at__lt=_day_start(until + dt.timedelta(days=1)))
    return qs.order_by("-at", "-pk")
