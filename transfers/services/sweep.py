"""R-TR-7: approve OUT and IN steps left undecided for 15 days, a chunk of steps per transaction.

Safe to run often, and from several processes or machines at once: a chunk is claimed by one statement that
locks its requests with FOR NO KEY UPDATE SKIP LOCKED, so two sweeps never take the same request, and a request an
admin is deciding right now is left to them. Inside the chunk's transaction flow.py's lock order holds
(requests, then their steps; then people in ascending id, then their memberships, R-TR-17) and every state is
re-read after locking. Each kind of row is then written by one statement for the whole chunk, so a chunk
costs the same number of queries for 10 steps or 2,000: on PostgreSQL by sweep_sql.py (plain SQL over the chunk,
the figures refreshed once), elsewhere by `_write_rows` (the ORM).

`_apply` does for each step what `flow.decide(request, step, status=AUTO_APPROVED)` does for one, and
tests/transfers/test_sweep_bulk.py holds the two (on PostgreSQL and on SQLite) to the same end state. Change them
together."""
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from access.permissions import forget_admin_orgs
from audit.services import event_values, record_values
from config.arrays import in_ids
from members.completeness import refresh_orgs
from members.models import CadrePost, Membership
from orgs.models import OrgType

from ..messages import deliver_many, deliver_sweep_digest
from ..models import ApprovalStep, TransferRequest
from .flow import lock_members, not_in_branch
from .sweep_sql import write_chunk

log = logging.getLogger(__name__)

PENDING, AUTO = ApprovalStep.Status.PENDING, ApprovalStep.Status.AUTO_APPROVED
OUT, IN, ASSIGN = ApprovalStep.Kind.OUT, ApprovalStep.Kind.IN, ApprovalStep.Kind.ASSIGN
CHUNK = 1000  # steps per transaction: bench/sweep.py; its locks last a fraction of a second
DEADLOCK, DEADLOCK_RETRIES = "40P01", 3  # PostgreSQL's deadlock_detected


@dataclass
class _Due:
    """A claimed step with what deciding it needs from its request."""
    step_id: int
    due_at: object
    kind: str
    request_id: int
    member_id: int
    from_branch_id: int
    to_org_id: int
    to_org_path: str
    to_org_type: str
    step_org_id: int  # the approvers of the step (R-AUTH-3: its organization's admins and its parent's), for the digest
    step_org_parent_id: int | None
    to_org_parent_id: int | None  # … and of the step it opens
    in_done: bool = False  # R-TR-2: the IN side approved at the start, so the OUT approval completes

    @property
    def completes(self) -> bool:  # R-TR-6: only a branch's IN approval completes; another target assigns
        return (self.kind == IN or self.in_done) and self.to_org_type == OrgType.BRANCH


@dataclass
class Digest:
    """What a sweep run tells the approvers: one message each at the end of the run (deliver_sweep_digest), not one a
    step opened for them. {(organization, its parent): step ids}, of the committed chunks only."""
    approved: dict[tuple[int, int | None], set[int]] = field(default_factory=dict)
    waiting: dict[tuple[int, int | None], set[int]] = field(default_factory=dict)

    def add(self, other: "Digest") -> None:
        for mine, theirs in ((self.approved, other.approved), (self.waiting, other.waiting)):
            for org, step_ids in theirs.items():
                mine.setdefault(org, set()).update(step_ids)

    def send(self, *, now) -> None:
        if self.approved or self.waiting:
            deliver_sweep_digest(self.approved, self.waiting, now=now)


def auto_approve_due(*, now=None, batch: int = CHUNK) -> int:
    """Approve every step due at `now`, `batch` steps per transaction; return how many were approved. The
    approvers hear once, at the end (Digest). `now` is the sweep's clock: the steps it opens start at `now`, so they
    are not due in this run."""
    now = now or timezone.now()
    approved, digest = sweep_run(now=now, batch=batch)
    digest.send(now=now)
    return approved


def sweep_run(*, now, batch: int = CHUNK) -> tuple[int, Digest]:
    """auto_approve_due without the approvers' digest, which the caller sends (once for several workers)."""
    approved, after, digest = 0, None, Digest()
    while True:
        chunk = Digest()
        claimed, done = _chunk_again_after_deadlock(now=now, size=batch, after=after, digest=chunk)
        if not claimed:
            return approved, digest
        digest.add(chunk)  # committed: a chunk rolled back and run again noted nothing
        approved += done
        after = claimed  # keyset: a step left pending (not_in_branch) is not claimed again by this run


def _chunk_again_after_deadlock(*, now, size: int, after, digest: Digest) -> tuple[tuple | None, int]:
    """`sweep_chunk`, run again when PostgreSQL broke a deadlock by rolling it back: nothing of the chunk was kept
    (all or nothing) and it is idempotent. Counters that triggers keep in shared rows can make two sweeps (or a sweep
    and an admin) wait on each other; the warning says so each time."""
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            return sweep_chunk(now=now, size=size, after=after, digest=digest)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK or attempt == DEADLOCK_RETRIES:
                raise
            digest.approved.clear()
            digest.waiting.clear()
            log.warning("sweep chunk after %s rolled back by a deadlock (attempt %s), run again", after, attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def sweep_chunk(*, now, size: int, after: tuple | None = None, digest: Digest | None = None
                ) -> tuple[tuple | None, int]:
    """Claim and decide up to `size` due steps after the key `after`; return the last key claimed (None when
    nothing was left) and how many steps were approved. The approvers' part is noted in `digest`."""
    with transaction.atomic():
        due = _claim(now, size, after)
        if not due:
            return None, 0
        last = (due[-1].due_at, due[-1].step_id)
        due = _recheck(due)
        completing = [d for d in due if d.completes]
        held = lock_members([d.member_id for d in completing]) if completing else {}
        refused = set()
        for d in completing:
            old = held.get(d.member_id)
            if old is None or old.branch_id != d.from_branch_id:  # R-TR-17: it stays pending for an admin to reject
                refused.add(d.step_id)
                log.warning("transfer %s not approved automatically: %s", d.request_id,
                            "; ".join(not_in_branch().messages))
        due = [d for d in due if d.step_id not in refused]
        if due:
            _apply(due, held, now=now, digest=digest if digest is not None else Digest())
        return last, len(due)


def _claim(now, size: int, after) -> list[_Due]:
    due = Q(steps__status=PENDING, steps__due_at__lte=now, steps__kind__in=[OUT, IN])
    if after is not None:
        # The `gte` is implied by the rest; it gives the index scan (step_due) its start, past the steps done.
        due &= Q(steps__due_at__gte=after[0]) & (Q(steps__due_at__gt=after[0]) | Q(steps__pk__gt=after[1]))
    # Read from the request, the row locked (parent first, STYLE.md 3); one filter() call, so one join to its
    # steps. A request locked by anyone is skipped and the LIMIT counts only the rows taken: a second sweep
    # takes the next chunk instead of waiting for this one. FOR NO KEY UPDATE: it excludes every other writer
    # of the request as FOR UPDATE does (flow.lock), but not the key checks of rows that reference it, so the
    # messages another sweep writes for requests it has just decided never wait for this chunk to commit (a
    # claim's snapshot may still see those requests as due and lock them, before the re-check drops them).
    rows = (TransferRequest.objects.filter(due, status=TransferRequest.Status.PENDING)
            .select_for_update(skip_locked=True, of=("self",), no_key=True)
            .order_by("steps__due_at", "steps__pk")
            .values_list("steps__pk", "steps__due_at", "steps__kind", "pk", "member_id", "from_branch_id",
                         "to_org_id", "to_org__path", "to_org__org_type", "steps__org_id", "steps__org__parent_id",
                         "to_org__parent_id")[:size])
    return [_Due(*row) for row in rows]


def _recheck(due: list[_Due]) -> list[_Due]:
    """The steps, locked and read again: the claim's snapshot may predate a decision committed just before the
    request's lock was taken (STYLE.md 10)."""
    in_approved = ApprovalStep.objects.filter(request=OuterRef("request_id"), kind=IN,
                                              status=ApprovalStep.Status.APPROVED)
    live = dict(ApprovalStep.objects.select_for_update().filter(in_ids("pk", [d.step_id for d in due]), status=PENDING)
                .annotate(in_done=Exists(in_approved)).values_list("pk", "in_done"))
    for d in due:
        d.in_done = d.kind == OUT and live.get(d.step_id, False)
    return [d for d in due if d.step_id in live]


def _apply(due: list[_Due], held: dict[int, Membership], *, now, digest: Digest) -> None:
    if connection.vendor == "postgresql":
        opened = write_chunk(due, held, now=now)  # sweep_sql.py: the same rows, set-based, the figures once
    else:
        opened = _write_rows(due, held, now=now)
    completed = [d for d in due if d.completes]
    if completed:
        forget_admin_orgs()  # R-TR-12: posts ended; rights read in this transaction go with them
        refresh_orgs({held[d.member_id].branch_id for d in completed} | {d.to_org_id for d in completed})
    notices = []
    for d in due:  # in the order decide() would send them, step by step; the approvers' step_opened: the digest
        notices.append(("step_decided", d.step_id))
        if d.completes:
            notices.append(("request_finished", d.request_id))
        else:
            digest.waiting.setdefault((d.to_org_id, d.to_org_parent_id), set()).add(opened[d.step_id])
        digest.approved.setdefault((d.step_org_id, d.step_org_parent_id), set()).add(d.step_id)
    transaction.on_commit(lambda: _deliver(notices))


def _deliver(notices: list[tuple[str, int]]) -> None:
    """The chunk's messages, after its commit (STYLE.md 6), in a transaction of their own. It commits without waiting
    for the disk, as the chunk's does (issue 13: one wait a chunk fewer), unless it queues mail: the log is written in
    order, so a crash may lose the messages with the chunk, never the chunk alone with its messages kept; and a mail
    goes out only about messages (and so a chunk) already on disk, its synchronous commit flushing the chunk's."""
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true)")
        if deliver_many(notices) and postgres:
            cursor.execute("SELECT set_config('synchronous_commit', 'on', true)")


def _write_rows(due: list[_Due], held: dict[int, Membership], *, now) -> dict[int, int]:
    """sweep_sql.write_chunk through the ORM (SQLite): the steps, the next steps or completions, the audit events."""
    ApprovalStep.objects.filter(in_ids("pk", [d.step_id for d in due])).update(
        status=AUTO, decided_by=None, acting_org=None, decided_at=now, comment="")
    opened = _open_next_steps([d for d in due if not d.completes], now=now)
    completed = [d for d in due if d.completes]
    if completed:
        _complete(completed, held, now=now)
    events = []
    for d in due:  # in the order decide() would write them, step by step
        events.append(event_values(actor=None, action=f"transfer.{d.kind}.{AUTO}", target=_request(d, "pending"),
                                   acting_org=None, step=d.step_id, automatic=True))
        if d.completes:
            events.append(event_values(actor=None, action="transfer.completed", target=_request(d, "completed"),
                                       from_branch=held[d.member_id].branch_id, to_branch=d.to_org_id))
    record_values(events)
    return opened


def _request(d: _Due, status: str) -> TransferRequest:
    """What the audit row names: the request as `record` would see it then (its label carries the status)."""
    return TransferRequest(pk=d.request_id, status=status)


def _open_next_steps(due: list[_Due], *, now) -> dict[int, int]:
    """flow.open_step for each: the IN step after an OUT approval, or the ASSIGN step after the IN side of a
    committee (R-TR-6; never due, R-TR-7). {decided step id: opened step id}."""
    steps = []
    for d in due:
        kind = IN if d.kind == OUT and not d.in_done else ASSIGN
        steps.append(ApprovalStep(request_id=d.request_id, kind=kind, org_id=d.to_org_id, org_path=d.to_org_path,
                                  created_at=now,
                                  due_at=None if kind == ASSIGN else now + settings.TRANSFER_AUTO_APPROVE_AFTER))
    ApprovalStep.objects.bulk_create(steps)
    return {d.step_id: step.pk for d, step in zip(due, steps, strict=True)}


def _complete(due: list[_Due], held: dict[int, Membership], *, now) -> None:
    """flow.complete for each (R-TR-12), the members already locked and checked (R-TR-17)."""
    # R-TR-10: the member's one pending request is the one completing here; it names the ended membership.
    completing = TransferRequest.objects.filter(member_id=OuterRef("person_id"), status=TransferRequest.Status.PENDING)
    ended = [held[d.member_id].pk for d in due]
    Membership.objects.filter(in_ids("pk", ended)).update(
        ended_at=now, end_reason=Concat(Value("transfer:"), Cast(Subquery(completing.values("pk")[:1]), CharField())))
    Membership.objects.bulk_create([Membership(person_id=d.member_id, branch_id=d.to_org_id, org_path=d.to_org_path,
                                               started_at=now) for d in due])
    # R-TR-12: what each held in their old branch ends, pending posts too.
    old_branch = Membership.objects.filter(in_ids("pk", ended), person_id=OuterRef("person_id"),
                                           branch_id=OuterRef("org_id"))
    CadrePost.objects.filter(Exists(old_branch), in_ids("person_id", [d.member_id for d in due]),
                             ended_at__isnull=True).update(ended_at=now)
    # flow.finish cancels the request's other pending steps: there are none, the one pending step was just decided.
    TransferRequest.objects.filter(in_ids("pk", [d.request_id for d in due])).update(
        status=TransferRequest.Status.COMPLETED, finished_at=now, to_branch=F("to_org"))
