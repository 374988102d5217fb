"""Who hears about what (消息中心): in-app messages for every new pending step, decision, automatic
approval and completion, to the member, the initiator and the approvers; e-mail where an address is on
file. Runs after commit (transfers/notify.py), so a rolled-back decision never announces itself; the mail itself is
a task (transfers/mail.py, issue 14), queued when the messages are committed, so no request waits for a mail server."""
import logging
from typing import NamedTuple

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from config.arrays import in_ids
from members.models import CadrePost, IdentityCase, Person
from orgs.models import Organization

from .mail import send_message_mail
from .message_texts import render
from .messages_sql import insert_digest, insert_messages
from .models import ApprovalStep, Message, TransferRequest

log = logging.getLogger(__name__)


STEP_EVENTS = ("step_opened", "step_decided")
DIGEST_BATCH = 2000  # messages an INSERT (reports/reminders.py: one statement of 140,000 rows spent most of its time being built)


class _Step(NamedTuple):
    pk: int
    kind: str
    status: str
    org_id: int
    org_parent_id: int | None
    org_name: str
    request: "_Request"


class _Request(NamedTuple):
    pk: int
    status: str
    member_id: int
    member_name: str
    initiated_by_id: int | None
    to_branch_id: int | None = None
    to_branch_name: str = ""


def _approvers(orgs) -> dict[int, set[int]]:
    """R-AUTH-3: the admins of each side and of its direct superior, {org pk: person ids}, in one query.
    `orgs`: (pk, parent pk) pairs."""
    sides = {pk: {pk, parent_id} for pk, parent_id in orgs}
    admins: dict[int, set[int]] = {}
    for org_id, person_id in (CadrePost.objects.held()
                              .filter(in_ids("org_id", {pk for side in sides.values() for pk in side if pk}), is_admin=True)
                              .values_list("org_id", "person_id")):
        admins.setdefault(org_id, set()).add(person_id)
    return {pk: set().union(*(admins.get(o, set()) for o in side)) for pk, side in sides.items()}


def _parties(request: _Request) -> set[int]:
    return {request.member_id} | ({request.initiated_by_id} if request.initiated_by_id else set())


def deliver(event: str, obj_id: int) -> None:
    deliver_many([(event, obj_id)])


def deliver_many(events: list[tuple[str, int]]) -> list[int]:
    """The messages of many events (a sweep's chunk, R-TR-7; a batch) with a fixed number of queries, reading
    plain rows (no model instances: a chunk has thousands of events): the same rows as `deliver` of each. On
    PostgreSQL one INSERT … SELECT builds and writes them all (messages_sql.py). Returns the ids of the messages whose
    recipient has an e-mail address: a task mails them once this transaction has committed."""
    if connection.vendor == "postgresql":
        to_mail = insert_messages(events, now=timezone.now())
    else:
        to_mail = deliver_rows(events)
    if to_mail:
        transaction.on_commit(lambda: send_message_mail.enqueue(to_mail))
    return to_mail


def deliver_rows(events: list[tuple[str, int]]) -> list[int]:
    """deliver_many's messages composed in Python (SQLite; tests/transfers/test_messages.py holds the SQL to it).
    Returns the ids of those to e-mail, as `insert_messages` does."""
    steps = {row[0]: _Step(*row[:6], _Request(*row[6:])) for row in ApprovalStep.objects.filter(
        pk__in={pk for event, pk in events if event in STEP_EVENTS}).values_list(
        "pk", "kind", "status", "org_id", "org__parent_id", "org__full_name",
        "request_id", "request__status", "request__member_id", "request__member__name", "request__initiated_by_id")}
    requests = {row[0]: _Request(*row) for row in TransferRequest.objects.filter(
        pk__in={pk for event, pk in events if event not in STEP_EVENTS}).values_list(
        "pk", "status", "member_id", "member__name", "initiated_by_id", "to_branch_id", "to_branch__full_name")}
    approvers = _approvers({(steps[pk].org_id, steps[pk].org_parent_id) for event, pk in events
                            if event == "step_opened"})
    labels = _Labels()
    messages = []
    for event, obj_id in events:
        step = steps[obj_id] if event in STEP_EVENTS else None
        request = step.request if step else requests[obj_id]
        recipients, params, link = _compose(event, step, request, approvers, labels)
        if not recipients:
            continue
        messages += [_message(recipient_id=pk, request_id=request.pk, event=event, code=event, params=params,
                              step_id=step.pk if event == "step_opened" else None, link=link)
                     for pk in sorted(recipients)]
    Message.objects.bulk_create(messages)
    with_address = set(Person.objects.filter(pk__in={m.recipient_id for m in messages}).exclude(email="")
                       .values_list("pk", flat=True))
    return [m.pk for m in messages if m.recipient_id in with_address]


class _Labels:
    """The links, each worked out once per delivery."""

    def __init__(self):
        self.inbox = reverse("transfers:inbox")
        self._details = {}

    def detail(self, pk: int) -> str:
        if pk not in self._details:
            self._details[pk] = reverse("transfers:detail", args=[pk])
        return self._details[pk]


def _compose(event: str, step: _Step | None, request: _Request, approvers, labels: _Labels
             ) -> tuple[set[int], dict, str]:
    """(recipients, the code's parameters, link); the code is the event (transfers/message_texts.py)."""
    who = request.member_name
    if event == "step_opened":
        return approvers[step.org_id], {"who": who, "kind": step.kind, "org": step.org_name}, labels.inbox
    if event == "step_decided":
        params = {"who": who, "org": step.org_name, "status": step.status}
    else:
        params = {"who": who, "status": request.status}
        if request.status == TransferRequest.Status.COMPLETED and request.to_branch_id:
            params["branch"] = request.to_branch_name
    return _parties(request), params, labels.detail(request.pk)


def deliver_sweep_digest(approved: dict[tuple[int, int | None], set[int]],
                         waiting: dict[tuple[int, int | None], set[int]], *, now) -> list[int]:
    """R-TR-7: what a sweep run tells the approvers (R-AUTH-3), one message each instead of one a step: how many
    steps of theirs it approved automatically, how many it opened for them. `approved` and `waiting`: {(organization,
    its parent): step ids}. Each admin's distinct steps are counted once, however many of their organizations reach
    a step. Returns the ids of the messages whose recipient has an e-mail address (mailed after commit)."""
    admins = _approvers(set(approved) | set(waiting))
    counts: dict[int, tuple[set[int], set[int]]] = {}
    for side, tally in ((0, approved), (1, waiting)):
        for org, step_ids in tally.items():
            for person_id in admins[org[0]]:
                counts.setdefault(person_id, (set(), set()))[side].update(step_ids)
    if not counts:
        return []
    link, texts, rows = reverse("transfers:inbox"), {}, []
    for person_id in sorted(counts):
        n, m = len(counts[person_id][0]), len(counts[person_id][1])
        if (n, m) not in texts:  # most admins share a few counts: rendered once each
            texts[n, m] = render(Message(code="sweep_digest", params={"n": n, "m": m}))[:300]
        rows.append((person_id, n, m, texts[n, m]))
    with transaction.atomic():
        if connection.vendor == "postgresql":  # ~50,000 approvers a national run: one statement, no model instances
            to_mail = insert_digest(rows, link=link, now=now)
        else:
            messages = [Message(recipient_id=pk, event="sweep_digest", code="sweep_digest", params={"n": n, "m": m},
                                text=text, link=link, created_at=now) for pk, n, m, text in rows]
            Message.objects.bulk_create(messages, batch_size=DIGEST_BATCH)
            with_address = set(Person.objects.filter(in_ids("pk", counts)).exclude(email="")
                               .values_list("pk", flat=True))
            to_mail = [msg.pk for msg in messages if msg.recipient_id in with_address]
        if to_mail:
            transaction.on_commit(lambda: send_message_mail.enqueue(to_mail))
    return to_mail


def _message(**fields) -> Message:
    """A message with its code and parameters, and `text` rendered from them in the writer's language (kept for the
    logs; the message center and the mail render the code in the reader's)."""
    message = Message(**fields)
    message.text = render(message)[:300]
    return message


def tell_second_factor(sender, *, person_id: int, actor_id: int | None, acting_org_id: int | None, event: str,
                       **kwargs) -> None:
    """R-ACC-5: the owner of a second factor hears in the message center when it is enrolled (if not them, they
    know at once) or reset by a custodian (R-AUTH-7). access sends `second_factor_changed` after commit, with ids;
    transfers connects this in its AppConfig.ready(), since access may not import the message center."""
    if event == "reset":
        actor = Person.objects.filter(pk=actor_id).values_list("name", flat=True).first() if actor_id else None
        org = Organization.objects.filter(pk=acting_org_id).values_list("full_name", flat=True).first()
        params = {"who": actor or "", "org": org or ""}
        link = reverse("two_factor:enrol")
    elif event == "enrolled":
        params = {}
        link = reverse("password_change")
    else:
        return
    _message(recipient_id=person_id, event=f"otp_{event}", code=f"otp_{event}", params=params, link=link).save()


def tell_identity_case(sender, *, case_id: int, event: str, **kwargs) -> None:
    """R-VER-5: a new identity case is told to the province's admins and the person; a decision to the filer and
    the person. members sends `identity_case_changed` after commit, with ids; the message center is this app's."""
    case = IdentityCase.objects.select_related("person", "province").filter(pk=case_id).first()
    if case is None:
        return
    params = {"who": case.person.name, "kind": case.kind, "status": case.status, "org": case.province.full_name}
    link = reverse("cases:detail", args=[case.pk])
    if event == "filed":
        recipients = set(CadrePost.objects.held().filter(org_id=case.province_id, is_admin=True)
                         .values_list("person_id", flat=True)) | {case.person_id}
        code = "identity_case_filed"
    elif event == "decided":
        recipients, code = {case.filed_by_id, case.person_id}, "identity_case_decided"
    else:
        return
    Message.objects.bulk_create([_message(recipient_id=pk, event=code, code=code, params=params, link=link)
                                 for pk in sorted(recipients)])


def tell_age_exception(sender, *, event: str, recipient_ids, params: dict, link: str, **kwargs) -> None:
    """R-ENT-11: each step of an age-exception request, told to the next party and back to the filer. members
    decides who hears and sends `age_exception_changed` after commit; this app, which owns the message center,
    writes the messages and queues their mail."""
    messages = [_message(recipient_id=pk, event=event, code=event, params=params, link=link) for pk in recipient_ids]
    Message.objects.bulk_create(messages)
    with_address = set(Person.objects.filter(pk__in=list(recipient_ids)).exclude(email="")
                       .values_list("pk", flat=True))
    to_mail = [m.pk for m in messages if m.recipient_id in with_address]
    if to_mail:
        transaction.on_commit(lambda: send_message_mail.enqueue(to_mail))
