"""Reminders (issue 14): a message in the message center, and at most one mail a day (reports/reminder_mail.py),
to the people who should act — set-based, a few queries a kind however many people it reaches:

| kind            | who                                              | when                                  |
|-----------------|--------------------------------------------------|---------------------------------------|
| overdue         | a pending step's approvers (R-AUTH-3)            | daily, pending > 72 h (R-TR-8)        |
| escalation      | admins of the approvers' superior (R-TR-8)       | daily, pending > 120 h                |
| auto_soon       | a pending step's approvers                       | daily, automatic within 48 h (R-TR-7) |
| graduation      | members of graduating branches, no transfer      | weekly, 1 May – 30 June (R-TR-14)     |
| graduation_list | their branch's admins (how many)                 | weekly, 1 May – 30 June               |
| turning_28      | the branch's admins (how many)                   | monthly, 28th birthday within 90 days |
| incomplete      | the branch's admins (how many, R-CMP-4)          | monthly                               |
| term_due        | admins of the organization and of its parent     | monthly, term ends within 30 days or  |
|                 | (which organizations, issue 15)                  | has ended (orgs.selectors.terms_due)  |

Each kind reaches a person once a period (the day, the week from Monday, the month; Asia/Shanghai): the
`ReminderLog` row is claimed with INSERT … ON CONFLICT DO NOTHING RETURNING in the transaction that writes the
message, so two schedulers at once send it once. Nobody gets a kind they turned off (members.ReminderOptOut).
`run_reminders` is called by the scheduler (`manage.py run_schedule`)."""
import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from config.arrays import in_ids
from members import league_age
from members.extensions import in_transfer_flag
from members.models import CadrePost, Membership, ReminderOptOut
from orgs.models import Organization
from orgs.selectors import TERM_NOTICE_DAYS
from transfers.message_texts import render
from transfers.models import ApprovalStep, Message

from .models import BranchGraduation, GraduateFlag
from .reminder_mail import send_reminder_digests

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
Kind = ReminderOptOut.Kind
TERM_DUE = Kind.TERM_DUE  # issue 15: the term (换届) reminder
# The message's event and code of each kind (message_texts.py); graduation's are the manual reminder's own
# (reports/services.py), so the page's button and the schedule see each other's messages.
EVENT = {Kind.OVERDUE: "reminder_overdue", Kind.ESCALATION: "reminder_escalation", Kind.AUTO_SOON: "reminder_auto_soon",
         Kind.GRADUATION: "graduation_reminder", Kind.GRADUATION_LIST: "graduation_reminder_admin",
         Kind.TURNING_28: "reminder_turning_28", Kind.INCOMPLETE: "reminder_incomplete", TERM_DUE: "reminder_term_due"}
EVENTS = tuple(EVENT.values())
PENDING = ApprovalStep.Status.PENDING
BATCH = 2000


class Notice(NamedTuple):
    person_id: int
    params: dict
    link: str


def local_day(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, SHANGHAI).date()


def period_of(kind: str, day: dt.date) -> dt.date:
    if kind in (Kind.GRADUATION, Kind.GRADUATION_LIST):
        return day - dt.timedelta(days=day.weekday())
    if kind in (Kind.TURNING_28, Kind.INCOMPLETE, TERM_DUE):
        return day.replace(day=1)
    return day


def in_graduation_season(day: dt.date) -> bool:
    """1 May to the 30 June target (R-TR-14)."""
    return dt.date(day.year, 5, 1) <= day <= dt.date(day.year, 6, 30)


# --- who, per kind -----------------------------------------------------------------------------------------

def _admins_of(org_ids) -> dict[int, set[int]]:
    """{org pk: its admins' person ids}, one query."""
    out: dict[int, set[int]] = defaultdict(set)
    for org_id, person_id in (CadrePost.objects.held().filter(in_ids("org_id", org_ids), is_admin=True)
                              .values_list("org_id", "person_id")):
        out[org_id].add(person_id)
    return out


def _per_person(steps_by_org: dict[int, set[int]], admins: dict[int, set[int]], params: dict, link: str) -> list[Notice]:
    """Each admin's distinct steps counted once, however many of their organizations reach a step."""
    steps: dict[int, set[int]] = defaultdict(set)
    for org_id, step_ids in steps_by_org.items():
        for person_id in admins.get(org_id, ()):
            steps[person_id] |= step_ids
    return [Notice(pk, {**params, "n": len(ids)}, link) for pk, ids in steps.items()]


def _approver_notices(steps, params: dict, link: str) -> list[Notice]:
    """R-AUTH-3: the admins of the step's organization and of its direct superior. `steps`: (pk, org, parent)."""
    by_org: dict[int, set[int]] = defaultdict(set)
    for pk, org_id, parent_id in steps:
        by_org[org_id].add(pk)
        if parent_id:
            by_org[parent_id].add(pk)
    return _per_person(by_org, _admins_of(by_org), params, link)


def overdue(now: dt.datetime, _day: dt.date) -> list[Notice]:
    # R-TR-8: pending for more than 72 hours (transfers.selectors.overdue_cutoff: the same strict comparison).
    steps = (ApprovalStep.objects.filter(status=PENDING, created_at__lt=now - settings.TRANSFER_OVERDUE_AFTER)
             .order_by().values_list("pk", "org_id", "org__parent_id"))
    hours = int(settings.TRANSFER_OVERDUE_AFTER.total_seconds() // 3600)
    return _approver_notices(steps, {"h": hours}, reverse("transfers:inbox"))


def escalation(now: dt.datetime, _day: dt.date) -> list[Notice]:
    """R-TR-8: the steps the escalations page lists (transfers.selectors.escalations) — to the admins of the side's
    superior's superior, and for an ASSIGN step of the side's superior — once pending past 120 hours."""
    steps = list(ApprovalStep.objects.filter(status=PENDING,
                                             created_at__lt=now - settings.REMINDER_ESCALATE_AFTER)
                 .order_by().values_list("pk", "kind", "org__parent_id", "org__parent__parent_id"))
    by_org: dict[int, set[int]] = defaultdict(set)
    for pk, kind, parent_id, grandparent_id in steps:
        if grandparent_id:
            by_org[grandparent_id].add(pk)
        if kind == ApprovalStep.Kind.ASSIGN and parent_id:
            by_org[parent_id].add(pk)
    hours = int(settings.REMINDER_ESCALATE_AFTER.total_seconds() // 3600)
    return _per_person(by_org, _admins_of(by_org), {"h": hours}, reverse("transfers:escalations"))


def auto_soon(now: dt.datetime, _day: dt.date) -> list[Notice]:
    # R-TR-7: approved automatically within the next 48 hours unless someone decides first.
    steps = (ApprovalStep.objects.filter(status=PENDING, due_at__gt=now, due_at__lte=now + settings.REMINDER_AUTO_SOON)
             .order_by().values_list("pk", "org_id", "org__parent_id"))
    hours = int(settings.REMINDER_AUTO_SOON.total_seconds() // 3600)
    return _approver_notices(steps, {"h": hours}, reverse("transfers:inbox"))


def _graduates(day: dt.date):
    """(person, branch, branch name) of the year's graduating branches' current members without a transfer in
    progress (R-TR-10) and not flagged delayed or kept: one query."""
    branches = BranchGraduation.objects.filter(expected_on__year=day.year).values("branch_id")
    flagged = GraduateFlag.objects.filter(year=day.year).values("person_id")
    return (Membership.objects.filter(ended_at__isnull=True, branch_id__in=branches)
            .exclude(person_id__in=flagged).annotate(moving=in_transfer_flag("person_id")).filter(moving=False)
            .values_list("person_id", "branch_id", "branch__full_name"))


def graduation(_now: dt.datetime, day: dt.date) -> list[Notice]:
    if not in_graduation_season(day):
        return []
    link = reverse("transfers:apply")
    return [Notice(pk, {"b": name, "year": day.year}, link) for pk, _branch, name in _graduates(day)]


def _branch_admin_notices(counts: dict[int, tuple[str, int]], params: dict, link) -> list[Notice]:
    """One notice an admin, over the branches they administer: the names joined, the counts added."""
    mine: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for org_id, admins in _admins_of(counts).items():
        for person_id in admins:
            mine[person_id].append((*counts[org_id], org_id))
    return [Notice(pk, {**params, "b": "、".join(name for name, _n, _o in sorted(rows)), "n": sum(n for _b, n, _o in rows)},
                   link(sorted(rows)[0][2])) for pk, rows in mine.items()]


def graduation_list(_now: dt.datetime, day: dt.date) -> list[Notice]:
    if not in_graduation_season(day):
        return []
    counts: dict[int, tuple[str, int]] = {}
    for _pk, branch_id, name in _graduates(day):
        counts[branch_id] = (name, counts.get(branch_id, (name, 0))[1] + 1)
    page = reverse("reports:graduation")

    def link(org_id: int) -> str:
        return f"{page}?{urlencode({'year': day.year, 'branch': org_id, 'state': 'not_started'})}"
    return _branch_admin_notices(counts, {"year": day.year}, link)


def _by_branch(memberships) -> dict[int, tuple[str, int]]:
    return {branch_id: (name, n) for branch_id, name, n in
            memberships.order_by().values_list("branch_id", "branch__full_name").annotate(n=Count("pk"))}


def turning_28(_now: dt.datetime, day: dt.date) -> list[Notice]:
    """Members whose 28th birthday falls from tomorrow to day 90 (members.selectors.lifecycle.turning_28)."""
    last = day + dt.timedelta(days=league_age.LOOKAHEAD_DAYS)
    counts = _by_branch(Membership.objects.filter(ended_at__isnull=True,
                                                  person__birth_date__gt=league_age.latest_birth_date(day),
                                                  person__birth_date__lte=league_age.latest_birth_date(last)))
    link = reverse("lifecycle:turning")
    return _branch_admin_notices(counts, {"d": league_age.LOOKAHEAD_DAYS}, lambda _o: link)


def incomplete(_now: dt.datetime, _day: dt.date) -> list[Notice]:
    """R-CMP-4: the branch's current members whose records miss a required field (R-ENT-8)."""
    counts = _by_branch(Membership.objects.filter(ended_at__isnull=True, person__is_complete=False))
    link = f"{reverse('people:members')}?{urlencode({'incomplete': 1})}"
    return _branch_admin_notices(counts, {}, lambda _o: link)


def term_due(_now: dt.datetime, day: dt.date) -> list[Notice]:
    """Issue 15: organizations whose term ends within 30 days or has ended (换届), to their admins and their
    parent's: each admin once, naming their organizations (the soonest first). Two queries: the organizations
    (a partial index of those with a term date), their admins."""
    last = day + dt.timedelta(days=TERM_NOTICE_DAYS)
    due = list(Organization.objects.filter(is_active=True, term_ends_on__lte=last)
               .order_by("term_ends_on", "full_name", "pk").values_list("pk", "parent_id", "full_name"))
    by_org: dict[int, list[str]] = defaultdict(list)
    for pk, parent_id, name in due:
        by_org[pk].append(name)
        if parent_id:
            by_org[parent_id].append(name)
    mine: dict[int, list[str]] = defaultdict(list)
    for org_id, admins in _admins_of(by_org).items():
        for person_id in admins:
            mine[person_id] += [n for n in by_org[org_id] if n not in mine[person_id]]
    link = reverse("orgs:terms_due")
    order = {name: i for i, (_pk, _parent, name) in enumerate(due)}
    return [Notice(pk, {"b": "、".join(sorted(names, key=order.__getitem__)), "n": len(names), "d": TERM_NOTICE_DAYS},
                   link) for pk, names in mine.items()]


KINDS = {Kind.OVERDUE: overdue, Kind.ESCALATION: escalation, Kind.AUTO_SOON: auto_soon, Kind.GRADUATION: graduation,
         Kind.GRADUATION_LIST: graduation_list, Kind.TURNING_28: turning_28, Kind.INCOMPLETE: incomplete,
         TERM_DUE: term_due}


# --- sending -----------------------------------------------------------------------------------------------

def _claim(table: str, columns: tuple[str, ...], rows: list[tuple], conflict: str) -> set[int]:
    """INSERT the rows, skip those already there (another run, now or earlier), return the person ids written."""
    if not rows:
        return set()
    rows = sorted(rows)  # by person: two schedulers wait on each other's rows in one order, never deadlock (STYLE 10)
    claimed: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one statement, the columns as arrays
            types = {"person_id": "bigint", "kind": "text", "period": "date", "day": "date", "sent_at": "timestamptz"}
            arrays = ", ".join(f"%s::{types[c]}[]" for c in columns)
            cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
                           f"ON CONFLICT ({conflict}) DO NOTHING RETURNING person_id",
                           [list(column) for column in zip(*rows, strict=True)])
            return {pk for (pk,) in cursor.fetchall()}
        values = f"({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([values] * len(chunk))} "
                           f"ON CONFLICT ({conflict}) DO NOTHING RETURNING person_id", [v for row in chunk for v in row])
            claimed |= {pk for (pk,) in cursor.fetchall()}
    return claimed


def send(kind: str, notices: list[Notice], *, now: dt.datetime, day: dt.date) -> int:
    """Write one kind's messages to those not reminded of it this period and not opted out; one transaction."""
    if not notices:
        return 0
    with transaction.atomic():
        off = set(ReminderOptOut.objects.filter(in_ids("person_id", [n.person_id for n in notices]), kind=kind)
                  .values_list("person_id", flat=True))
        wanted = [n for n in notices if n.person_id not in off]
        period = period_of(kind, day)
        fresh = _claim("reports_reminderlog", ("person_id", "kind", "period", "sent_at"),
                       [(n.person_id, kind, period, now) for n in wanted], "person_id, kind, period")
        event = EVENT[kind]
        texts: dict[str, str] = {}  # many people share a text (a branch's graduates): rendered once
        messages = []
        for n in wanted:
            if n.person_id in fresh:
                message = Message(recipient_id=n.person_id, event=event, code=event, params=n.params, link=n.link,
                                  created_at=now)
                key = repr(sorted(n.params.items()))
                if key not in texts:
                    texts[key] = render(message)[:300]
                message.text = texts[key]
                messages.append(message)
        # In statements of BATCH rows: one INSERT of 140,000 rows spent most of its time being built (docs/performance.md).
        Message.objects.bulk_create(messages, batch_size=BATCH)
    return len(messages)


def send_digests(*, now: dt.datetime, day: dt.date) -> int:
    """One mail a day to each person with an address and the day's reminders not yet mailed: the digest row is
    claimed here, the mail goes from a task after commit (reports/reminder_mail.py)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    with transaction.atomic():
        people = set(Message.objects.filter(event__in=EVENTS, created_at__gte=start, mailed_at=None)
                     .exclude(recipient__email="").values_list("recipient_id", flat=True).distinct())
        fresh = sorted(_claim("reports_reminderdigest", ("person_id", "day"), [(pk, day) for pk in people],
                              "person_id, day"))
        if fresh:
            transaction.on_commit(lambda: send_reminder_digests.enqueue(fresh, day.isoformat()))
    return len(fresh)


def run_reminders(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every kind once, then the day's digests. Safe to run at any time, often, from several machines."""
    now = now or timezone.now()
    day = local_day(now)
    sent = {kind: send(kind, compute(now, day), now=now, day=day) for kind, compute in KINDS.items()}
    sent["digests"] = send_digests(now=now, day=day)
    return sent

