"""Reads of the transfer workflow."""
import datetime as dt
import functools
import operator
import zoneinfo

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from access.permissions import admin_org_ids
from members.models import CadrePost, Person
from orgs.models import Organization, OrgType
from orgs.naming import normalize_full_name
from orgs.selectors import subtree

from .models import ApprovalStep, Message, TransferRequest

# What a row of steps shows (the inbox, the escalations, the dashboard's drill-down): the page's query joins
# ROW_JOINED only, and `row_facts` reads the rest.
ROW_JOINED = ("request__member",)
ROW_ORGS = ("from_branch_id", "to_org_id", "to_branch_id", "initiating_org_id")   # of the request


def pending_steps(*, actor, acting_org) -> QuerySet[ApprovalStep]:
    """What actor, acting as acting_org, may decide: steps of acting_org and of its direct subordinates
    (R-AUTH-3), oldest (most overdue) first. Steps alone: a page adds ROW_JOINED and `row_facts`."""
    if acting_org is None or acting_org.pk not in admin_org_ids(actor):
        return ApprovalStep.objects.none()
    # The organizations first, as a list (the acting one and its children: one indexed query), then their
    # pending steps through (org, status). An OR across the join — and even a sub-select, once the inbox joins
    # what it shows — let PostgreSQL hash every pending step and organization (issue 13, docs/performance.md).
    covered = [acting_org.pk, *Organization.objects.filter(parent_id=acting_org.pk).values_list("pk", flat=True)]
    return (ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING, org_id__in=covered)
            .order_by("created_at", "pk"))


def overdue_cutoff(now=None):
    return (now or timezone.now()) - settings.TRANSFER_OVERDUE_AFTER


def escalations(*, actor, acting_org, now=None) -> QuerySet[ApprovalStep]:
    """R-TR-8: overdue steps whose approvers answer to acting_org (the side's superior's superior). Steps alone, as
    `pending_steps`."""
    if acting_org is None or acting_org.pk not in admin_org_ids(actor):
        return ApprovalStep.objects.none()
    # The organizations first, as lists (two indexed queries): an OR of sub-selects scanned every step.
    children = list(Organization.objects.filter(parent_id=acting_org.pk).values_list("pk", flat=True))
    grandchildren = list(Organization.objects.filter(parent_id__in=children).values_list("pk", flat=True))
    return (ApprovalStep.objects.filter(status=ApprovalStep.Status.PENDING, created_at__lt=overdue_cutoff(now))
            .filter(Q(org_id__in=grandchildren) | Q(org_id__in=children, kind=ApprovalStep.Kind.ASSIGN))
            .order_by("created_at", "pk"))


def row_facts(steps: list[ApprovalStep]) -> list[ApprovalStep]:
    """What a row of steps shows (transfers/_step_rows.html) beyond the step, its request and its member (ROW_JOINED,
    in the page's query): the organizations it names — the step's, both ends, the assigned
    branch, the initiating organization — in one query by id, and the initiators who are not the member (one query,
    only when there are any). Joined instead, they made an 11-table query that PostgreSQL took 20–35 ms to *plan*
    at any size, for a millisecond's work (issue 13, docs/performance.md)."""
    requests = [s.request for s in steps]
    wanted = {s.org_id for s in steps} | {getattr(r, f) for r in requests for f in ROW_ORGS}
    orgs = Organization.objects.in_bulk(wanted - {None})
    others = Person.objects.in_bulk({r.initiated_by_id for r in requests} - {r.member_id for r in requests} - {None})
    for step in steps:
        _cached(step, "org", orgs[step.org_id])
    for r in requests:
        for field in ROW_ORGS:
            if getattr(r, field) is not None:
                _cached(r, field.removesuffix("_id"), orgs[getattr(r, field)])
        if r.initiated_by_id is not None:
            _cached(r, "initiated_by", r.member if r.initiated_by_id == r.member_id else others[r.initiated_by_id])
    return steps


def _cached(instance, name: str, value) -> None:
    """As select_related leaves it: reading instance.<name> makes no query."""
    instance._meta.get_field(name).set_cached_value(instance, value)


def transfers_of(member) -> QuerySet[TransferRequest]:
    return (TransferRequest.objects.filter(member=member).select_related("from_branch", "to_org", "to_branch")
            .prefetch_related("steps__org", "steps__decided_by").order_by("-created_at", "-pk"))


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")  # RULES.md: every "day" is an Asia/Shanghai day
HOME_DAYS = 30  # issue 15: a finished transfer stays on the member's home page through the 30th day after


def transfer_for_home(member, *, now=None) -> TransferRequest | None:
    """What the member's home page shows first: their transfer in progress (R-TR-10: at most one); else the last
    one finished on day D (Asia/Shanghai), through day D+30 — whatever its outcome, since the member sees every
    outcome (R-TR-11). Steps, their organizations and the target come with it (two queries)."""
    today = timezone.localtime(now or timezone.now(), SHANGHAI).date()
    since = dt.datetime.combine(today - dt.timedelta(days=HOME_DAYS), dt.time.min, tzinfo=SHANGHAI)
    rows = list(TransferRequest.objects.filter(member=member)
                .filter(Q(status=TransferRequest.Status.PENDING) | Q(finished_at__gte=since))
                .select_related("from_branch", "to_org", "to_branch")
                .prefetch_related(Prefetch("steps", queryset=ApprovalStep.objects.select_related("org")
                                           .order_by("created_at", "pk")))
                .order_by(F("finished_at").desc(nulls_first=True), "-pk")[:5])
    return next((t for t in rows if t.status == TransferRequest.Status.PENDING), rows[0] if rows else None)


def history(*, acting_org, status="", reason="", query="") -> QuerySet[TransferRequest]:
    """Transfers that left or reached the acting organization's subtree."""
    qs = (TransferRequest.objects.filter(Q(from_branch__path__startswith=acting_org.path)
                                         | Q(to_org__path__startswith=acting_org.path))
          .select_related("member", "from_branch", "to_org", "to_branch").order_by("-created_at", "-pk"))
    if status:
        qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    if query:
        qs = qs.filter(member__name__contains=query.strip())
    return qs


TIMELINE_STEPS = ApprovalStep.objects.select_related("org__parent", "decided_by", "acting_org").order_by("created_at", "pk")
MIN_QUERY = 2


def steps_to_come(transfer: TransferRequest) -> list[tuple[str, Organization]]:
    """The steps a pending transfer has still to pass after the one open now, (kind, organization), in the order
    flow.decide and flow.after_in will open them: an OUT step is followed by the IN step unless the initiating side
    has already approved it (R-TR-1..5), an OUT or IN step by ASSIGN when the target is not a branch (R-TR-6).
    Reads the prefetched steps and the target already loaded: no query."""
    if transfer.status != TransferRequest.Status.PENDING:
        return []
    steps = list(transfer.steps.all())
    now = next((s for s in steps if s.status == ApprovalStep.Status.PENDING), None)
    if now is None:
        return []
    kinds = []
    if now.kind == ApprovalStep.Kind.OUT and not any(
            s.kind == ApprovalStep.Kind.IN and s.status == ApprovalStep.Status.APPROVED for s in steps):
        kinds.append(ApprovalStep.Kind.IN)
    if now.kind != ApprovalStep.Kind.ASSIGN and transfer.to_org.org_type != OrgType.BRANCH:
        kinds.append(ApprovalStep.Kind.ASSIGN)
    return [(kind, transfer.to_org) for kind in kinds]


def target_candidates(query: str, *, limit: int = 20) -> QuerySet[Organization]:
    """R-ORG-5 / R-TR-6: active organizations anywhere in the country whose normalized full name contains
    the query; never a leading organ (not a target)."""
    key = normalize_full_name(query)
    if len(key) < MIN_QUERY:
        return Organization.objects.none()
    return (Organization.objects.filter(is_active=True, name_key__contains=key).exclude(org_type=OrgType.LEADING)
            .select_related("parent").order_by("depth", "full_name")[:limit])


# Issue 18 / R-TR-13: the FAQ sends a graduate with no job yet (`unemployed`) to the township or street committee of
# their home registration *or* a talent exchange centre's league organization. Neither is a type of organization here:
# a centre's is a committee (or a branch) whose full name says 人才交流中心, a township's or street's a committee or
# working committee whose name says 乡/镇/街道 (docs/decisions.md "Targets for graduates without a job").
TALENT_CENTRE = "人才交流中心"
TOWNSHIP_WORDS = ("街道", "乡", "镇")


def unemployed_candidates(query: str, *, limit: int = 10) -> dict[str, list[Organization]]:
    """The two kinds of target the FAQ names for `unemployed`, each a short list: {"township": [...], "talent": [...]}.
    The query narrows both; without one (at least MIN_QUERY characters) nothing is listed. Two queries."""
    key = normalize_full_name(query)
    if len(key) < MIN_QUERY:
        return {"township": [], "talent": []}
    base = (Organization.objects.filter(is_active=True, name_key__contains=key).exclude(org_type=OrgType.LEADING)
            .select_related("parent").order_by("depth", "full_name"))
    township = base.filter(org_type__in=(OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE)).filter(
        functools.reduce(operator.or_, (Q(name_key__contains=w) for w in TOWNSHIP_WORDS)))
    talent = base.filter(name_key__contains=TALENT_CENTRE)
    return {"township": list(township.exclude(name_key__contains=TALENT_CENTRE)[:limit]),
            "talent": list(talent[:limit])}


def visible_transfer(*, viewer, acting_org, pk) -> TransferRequest:
    """One transfer with its timeline, for the member, the initiator, or an admin whose acting subtree holds
    its from branch or its target (R-AUTH-1, R-AUTH-5); anyone else gets a 404."""
    who = Q(member=viewer) | Q(initiated_by=viewer)
    if acting_org is not None:
        who |= Q(from_branch__path__startswith=acting_org.path) | Q(to_org__path__startswith=acting_org.path)
    qs = (TransferRequest.objects.filter(who)
          .select_related("member", "from_branch", "to_org", "to_branch", "initiated_by", "initiating_org")
          .prefetch_related(Prefetch("steps", queryset=TIMELINE_STEPS)))
    return get_object_or_404(qs, pk=pk)


def with_timeline(pk) -> TransferRequest:
    """A transfer already reached through a scoped lookup, with what its timeline shows."""
    return (TransferRequest.objects.select_related("member", "from_branch", "to_org", "to_branch", "initiated_by",
                                                   "initiating_org")
            .prefetch_related(Prefetch("steps", queryset=TIMELINE_STEPS)).get(pk=pk))


def branches_below(org: Organization) -> QuerySet[Organization]:
    """Active branches of org's subtree, org itself excluded (R-AUTH-4: batch and assignment stay inside)."""
    return subtree(org, include_self=False).filter(org_type=OrgType.BRANCH).order_by("depth", "full_name")


def direct_branches(org: Organization) -> QuerySet[Organization]:
    """R-TR-5: a committee transfers out the members of the branches directly below it."""
    return Organization.objects.filter(parent=org, is_active=True, org_type=OrgType.BRANCH).order_by("full_name")


def messages_of(person) -> QuerySet[Message]:
    # The step: a step_opened message says what became of it (transfers/message_texts.py).
    return Message.objects.filter(recipient=person).select_related("step").order_by("-created_at", "-pk")


def unread_count(person) -> int:
    """Unread messages, plus the posts waiting for the person's answer (R-ENT-9): both wait in the message center."""
    def count_of(qs, field):
        counted = qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    row = (Person.objects.filter(pk=person.pk)  # one query for both figures
           .annotate(unread=count_of(Message.objects.filter(read_at__isnull=True), "recipient"),
                     pending=count_of(CadrePost.objects.pending(), "person"))
           .values_list("unread", "pending").first())
    return sum(row) if row else 0
