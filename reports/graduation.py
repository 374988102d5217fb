"""Reads of the graduation season (R-TR-14): who graduates from the acting subtree in a year, and where
each one's transfer stands against the 30 June target. Every figure is computed by the database: one
queryset of people, each annotated with its state, so the list, the counts and the export cost a fixed
number of queries however large the subtree.

A year's graduates are the members of the branches whose expected graduation falls in that year: those
still in such a branch, and those who left it by a completed transfer since the season opened (1 September
of the year before: the final school year). Members flagged "delayed" are not graduates that year."""
import datetime as dt
import zoneinfo

from django.db.models import Case, CharField, Count, DateTimeField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Membership, Person
from orgs.models import Organization
from transfers.models import ApprovalStep, TransferRequest

from .models import BranchGraduation, GraduateFlag

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class State:
    """One word per state (UI.md); the pending and completed states keep their detail for the counts."""
    NOT_STARTED = "not_started"
    PENDING_OUT = "pending_out"
    PENDING_IN = "pending_in"
    PENDING_ASSIGN = "pending_assign"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    KEPT = "kept"
    DELAYED = "delayed"

    LABELS = {
        NOT_STARTED: _("未办理"),
        PENDING_OUT: _("办理中 · 待转出审批"),
        PENDING_IN: _("办理中 · 待转入审批"),
        PENDING_ASSIGN: _("办理中 · 待分配团支部"),
        DONE_ON_TIME: _("已完成 · 6月30日前"),
        DONE_LATE: _("已完成 · 6月30日后"),
        KEPT: _("留校"),
        DELAYED: _("延期毕业"),
    }
    BADGE = {NOT_STARTED: "muted", PENDING_OUT: "pending", PENDING_IN: "pending", PENDING_ASSIGN: "pending",
             DONE_ON_TIME: "ok", DONE_LATE: "ok", KEPT: "info", DELAYED: "muted"}
    PENDING = (PENDING_OUT, PENDING_IN, PENDING_ASSIGN)
    DONE = (DONE_ON_TIME, DONE_LATE)
    # What a filter may ask for: one state, or a group of them.
    GROUPS = {"pending": PENDING, "completed": DONE}
    LISTED = (NOT_STARTED, *PENDING, *DONE, KEPT)   # delayed graduates are counted apart, never listed by default


def deadline(year: int) -> dt.datetime:
    """The end of 30 June, Asia/Shanghai: a transfer finished before this instant is on time."""
    return dt.datetime(year, 7, 1, tzinfo=SHANGHAI)


def season_opens(year: int) -> dt.datetime:
    """1 September of the year before, Asia/Shanghai: transfers out of the branch from then on are the graduates'."""
    return dt.datetime(year - 1, 9, 1, tzinfo=SHANGHAI)


def default_year(today: dt.date | None = None) -> int:
    """The season in progress: from September on, the next summer's graduates."""
    today = today or timezone.localdate(timezone=SHANGHAI)
    return today.year if today.month < 9 else today.year + 1


def parse_year(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def graduating_branches(*, acting_org: Organization, year: int) -> QuerySet[BranchGraduation]:
    return (BranchGraduation.objects.filter(expected_on__year=year, branch__path__startswith=acting_org.path)
            .select_related("branch__parent").order_by("branch__full_name"))


def years_marked(*, acting_org: Organization) -> list[int]:
    """The years with graduating branches in the subtree (one query), for the year picker."""
    return sorted({d.year for d in BranchGraduation.objects.filter(branch__path__startswith=acting_org.path)
                   .dates("expected_on", "year")})


def graduates(*, acting_org: Organization, year: int, branch: Organization | None = None) -> QuerySet[Person]:
    """The year's graduates of the subtree (of one graduating branch when given), each annotated with
    `state`, the graduating branch (`grad_branch_id`, `grad_branch_name`) and the facts of its state."""
    marks = BranchGraduation.objects.filter(expected_on__year=year, branch__path__startswith=acting_org.path)
    if branch is not None:
        marks = marks.filter(branch=branch)
    branch_ids = marks.values("branch_id")
    current = Membership.objects.filter(ended_at__isnull=True, branch_id__in=branch_ids)
    left = TransferRequest.objects.filter(status=TransferRequest.Status.COMPLETED, from_branch_id__in=branch_ids,
                                          finished_at__gte=season_opens(year))
    cur = current.filter(person=OuterRef("pk"))
    done = left.filter(member=OuterRef("pk")).order_by("-finished_at", "-pk")
    step = (ApprovalStep.objects.filter(request__member=OuterRef("pk"), status=ApprovalStep.Status.PENDING,
                                        request__status=TransferRequest.Status.PENDING).order_by("-created_at", "-pk"))
    flag = GraduateFlag.objects.filter(person=OuterRef("pk"), year=year)

    def first(qs, field, output=None):
        return Subquery(qs.values(field)[:1], output_field=output) if output else Subquery(qs.values(field)[:1])

    return (Person.objects.filter(Q(pk__in=current.values("person_id")) | Q(pk__in=left.values("member_id")))
            .only("pk", "name", "id_number")
            .annotate(
                cur_branch_id=first(cur, "branch_id", IntegerField()),
                flag_kind=first(flag, "kind"), flag_note=first(flag, "note"),
                done_id=first(done, "pk"), done_at=first(done, "finished_at", DateTimeField()),
                done_to=first(done, "to_branch__full_name"),
                step_kind=first(step, "kind"), step_org=first(step, "org__full_name"),
                step_since=first(step, "created_at", DateTimeField()), pending_id=first(step, "request_id"))
            .annotate(
                grad_branch_id=Coalesce(F("cur_branch_id"), first(done, "from_branch_id", IntegerField())),
                grad_branch_name=Coalesce(first(cur, "branch__full_name", CharField()),
                                          first(done, "from_branch__full_name", CharField())),
                state=Case(
                    When(flag_kind=GraduateFlag.Kind.DELAYED, then=Value(State.DELAYED)),
                    When(flag_kind=GraduateFlag.Kind.KEPT, then=Value(State.KEPT)),
                    # Left the graduating branch by a completed transfer: done, on time or not.
                    When(cur_branch_id__isnull=True, done_at__lt=deadline(year), then=Value(State.DONE_ON_TIME)),
                    When(cur_branch_id__isnull=True, then=Value(State.DONE_LATE)),
                    When(step_kind=ApprovalStep.Kind.OUT, then=Value(State.PENDING_OUT)),
                    When(step_kind=ApprovalStep.Kind.IN, then=Value(State.PENDING_IN)),
                    When(step_kind=ApprovalStep.Kind.ASSIGN, then=Value(State.PENDING_ASSIGN)),
                    default=Value(State.NOT_STARTED), output_field=CharField()))
            .order_by("grad_branch_name", "name", "pk"))


def filter_state(qs: QuerySet[Person], state: str) -> QuerySet[Person]:
    """"" lists every graduate (not the delayed); a group name or one state narrows it."""
    if state in State.GROUPS:
        return qs.filter(state__in=State.GROUPS[state])
    if state in State.LABELS:
        return qs.filter(state=state)
    return qs.filter(state__in=State.LISTED)


def state_counts(qs: QuerySet[Person]) -> dict[str, int]:
    """Every state's count, the groups' and the total, in one query. Grouped by the state, so each person's state
    is worked out once — eight filtered counts worked it out eight times (4.3 s of the page at 10 k, issue 13)."""
    found = dict.fromkeys(State.LABELS, 0)
    found.update(qs.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    found["pending"] = sum(found[s] for s in State.PENDING)
    found["completed"] = sum(found[s] for s in State.DONE)
    found["total"] = sum(found[s] for s in State.LISTED)
    return found
