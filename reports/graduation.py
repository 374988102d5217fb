"""Reads of the graduation season (R-TR-14): who graduates from the acting subtree in a year, and where
each one's transfer stands against the 30 June target. Every figure is computed by the database: one
queryset of people, each annotated with its state, so the list, the counts and the export cost a fixed
number of queries however large the subtree.

A year's graduates are the members of the branches whose expected graduation falls in that year: those
still in such a branch, and those who left it by a completed transfer since the season opened (1 September
of the year before: the final school year). Members flagged "delayed" are not graduates that year."""
import datetime as dt
import zoneinfo
from itertools import groupby
from operator import itemgetter

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
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
            .select_related("branch").order_by("branch__full_name", "branch_id"))


def years_marked(*, acting_org: Organization) -> list[int]:
    """The years with graduating branches in the subtree (one query), for the year picker."""
    return sorted({d.year for d in BranchGraduation.objects.filter(branch__path__startswith=acting_org.path)
                   .dates("expected_on", "year")})


class AnyOf(Func):
    """`column IN (sub-select)`; on PostgreSQL `column = ANY(ARRAY(sub-select))`: the short list is read once, first
    (an InitPlan), and the column's index is searched with it. As an IN, the planner pulls the sub-select up into
    the join tree, where its tables count against join_collapse_limit."""
    output_field = BooleanField()
    conditional = True
    template = "%(expressions)s"
    arg_joiner = " IN "

    def __init__(self, column: str, subquery: QuerySet):
        super().__init__(F(column), Subquery(subquery))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=" = ANY(ARRAY", template="%(expressions)s)", **extra)


def _name(org_id: str) -> Subquery:
    return Subquery(Organization.objects.filter(pk=OuterRef(org_id)).values("full_name"))


def graduates(*, acting_org: Organization, year: int, branch: Organization | None = None, name: str = "",
              listed_in: list[int] | None = None) -> QuerySet[Person]:
    """The year's graduates of the subtree (of one graduating branch when given), each annotated with
    `state`, the graduating branch (`grad_branch_id`, `grad_branch_name`) and the facts of its state; `name`
    keeps those whose name contains it.

    Set-based (issue 13): the graduating branches first, a short list read once (`AnyOf`); the graduates are the
    current members of those branches and whoever left one by a completed transfer since the season opened (one
    UNION of ids), and each fact of a graduate is one join, at most one row a person. `listed_in`: only the
    graduates whose graduating branch is one of these (a page's, `GraduatePages`)."""
    marks = BranchGraduation.objects.filter(expected_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                                            branch__path__startswith=acting_org.path)
    marks = (marks.filter(branch=branch) if branch is not None else marks).values("branch_id")
    opens = season_opens(year)
    current = Membership.objects.filter(AnyOf("branch_id", marks), ended_at__isnull=True)
    left = TransferRequest.objects.filter(AnyOf("from_branch_id", marks), status=TransferRequest.Status.COMPLETED,
                                          finished_at__gte=opens)
    latest = (left.annotate(nth=Window(RowNumber(), partition_by=[F("member_id")],
                                       order_by=[F("finished_at").desc(), F("pk").desc()]))
              .filter(nth=1).values("pk"))
    if listed_in is not None:   # a superset of the graduates whose graduating branch is listed; narrowed below
        found = (Membership.objects.filter(branch_id__in=listed_in, ended_at__isnull=True).values("person_id")
                 .union(left.filter(from_branch_id__in=listed_in).values("member_id")))
    else:
        found = current.values("person_id").union(left.values("member_id"))
    # The facts, one join each: the current membership in a graduating branch (one, R-ENT-7), the latest transfer
    # out of one, the year's flag (one per person and year), the transfer in progress (one, R-TR-10) and its pending
    # step (one). Names are read by primary key, for the rows returned: joined too, the tables passed PostgreSQL's
    # join_collapse_limit and it joined every person before narrowing to the graduates.
    qs = (Person.objects.filter(pk__in=found)
          .only("pk", "name", "id_number")
          .alias(
              cur=FilteredRelation("memberships", condition=Q(AnyOf("memberships__branch_id", marks),
                                                              memberships__ended_at__isnull=True)),
              done=FilteredRelation("transfers", condition=Q(AnyOf("transfers__pk", latest))),
              flag=FilteredRelation("graduate_flags", condition=Q(graduate_flags__year=year)),
              open=FilteredRelation("transfers", condition=Q(transfers__status=TransferRequest.Status.PENDING)),
              step=FilteredRelation("open__steps", condition=Q(open__steps__status=ApprovalStep.Status.PENDING)),
          )
          .annotate(
              cur_branch_id=F("cur__branch_id"),
              flag_kind=F("flag__kind"), flag_note=F("flag__note"),
              done_id=F("done__pk"), done_at=F("done__finished_at"), done_to=_name("done__to_branch_id"),
              step_kind=F("step__kind"), step_org=_name("step__org_id"), step_since=F("step__created_at"),
              pending_id=F("step__request_id"),
              grad_branch_id=Coalesce(F("cur__branch_id"), F("done__from_branch_id")),
          )
          .annotate(grad_branch_name=_name("grad_branch_id"))
          .annotate(state=Case(
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
    if name:
        qs = qs.filter(name__contains=name)
    return qs.filter(grad_branch_id__in=listed_in) if listed_in is not None else qs


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
    return _with_groups(found)


def counts_by_branch(qs: QuerySet[Person]) -> dict[int, dict[str, int]]:
    """Each graduating branch's count per state, in one query: the page's figures are their sums, and its list
    reads only the branches its page falls in (`GraduatePages`)."""
    found: dict[int, dict[str, int]] = {}
    rows = qs.order_by().values_list("grad_branch_id", "state").annotate(n=Count("pk"))
    for branch_id, state, n in rows.values_list("grad_branch_id", "state", "n"):
        found.setdefault(branch_id, dict.fromkeys(State.LABELS, 0))[state] = n
    return {branch_id: _with_groups(counts) for branch_id, counts in found.items()}


def summed(per_branch: dict[int, dict[str, int]]) -> dict[str, int]:
    return {key: sum(counts[key] for counts in per_branch.values()) for key in (*State.LABELS, *State.GROUPS, "total")}


def _with_groups(found: dict[str, int]) -> dict[str, int]:
    found["pending"] = sum(found[s] for s in State.PENDING)
    found["completed"] = sum(found[s] for s in State.DONE)
    found["total"] = sum(found[s] for s in State.LISTED)
    return found


class GraduatePages:
    """The list behind the page's Paginator. Its size and each graduating branch's share are known from
    `counts_by_branch`, so a slice reads only the graduates of the branches it falls in: the first page of 3,000
    graduates reads a branch or two, not all of them (issue 13). `rows_of(ids)` gives the listed graduates of those
    branches in the page's order; `branches` are (id, name) in that order (`graduating_branches`)."""

    def __init__(self, *, rows_of, branches: list[tuple[int, str]], sizes: dict[int, int]):
        self.rows_of = rows_of
        # Branches of one name make one run: the order by branch name, then person name, mixes their people.
        self.runs: list[tuple[list[int], int]] = []   # (branch ids, graduates listed), in the page's order
        for _name, group in groupby(branches, key=itemgetter(1)):
            ids = [pk for pk, _name in group]
            self.runs.append((ids, sum(sizes.get(pk, 0) for pk in ids)))
        self.total = sum(n for _ids, n in self.runs)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[Person]:
        start, stop = window.start or 0, min(window.stop or self.total, self.total)
        chosen, skip, before = [], 0, 0
        for ids, n in self.runs:
            if n and before < stop and before + n > start:
                skip = skip if chosen else start - before
                chosen += ids
            before += n
        return list(self.rows_of(chosen)[skip:skip + stop - start]) if chosen else []


def season_list(*, acting_org: Organization, year: int, branch: Organization | None = None, state: str = "",
                name: str = "") -> tuple[list[BranchGraduation], dict[str, int], GraduatePages]:
    """What the season page shows: the subtree's graduating branches (one query, the short list the others
    carry), every state's count (one grouped query) and the list for a Paginator, each page of which reads the
    graduates of its own branches only (one query)."""
    marks = list(graduating_branches(acting_org=acting_org, year=year))

    def of(**narrowed) -> QuerySet[Person]:
        return graduates(acting_org=acting_org, year=year, branch=branch, name=name, **narrowed)

    per_branch = counts_by_branch(of()) if marks else {}   # no graduating branch: nothing to ask
    listed = GraduatePages(rows_of=lambda page_ids: filter_state(of(listed_in=page_ids), state),
                           branches=[(m.branch_id, m.branch.full_name) for m in marks],
                           sizes={pk: n[state or "total"] for pk, n in per_branch.items()})
    return marks, summed(per_branch), listed
