"""Reads of the graduation season (R-TR-14): who graduates from the acting subtree in a year, and where
each one's transfer stands against the 30 June target. Every figure is computed by the database: one
queryset of people, each annotated with its state, so the list, the counts and the export cost a fixed
number of queries however large the subtree.

A year's graduates are the members of the branches whose expected graduation falls in that year: those
still in such a branch, and those who left it by a completed transfer since the season opened (1 September
of the year before: the final school year). Members flagged "delayed" are not graduates that year."""
import datetime as dt
import zoneinfo
from typing import NamedTuple

from django.db import connection
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
from transfers.models import ApprovalStep, Reason, SystemReason, TransferRequest

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


def graduating_branches(*, acting_org: Organization, year: int, query: str = "") -> QuerySet[BranchGraduation]:
    """The subtree's branches graduating in `year`, by name; `query`: those whose name contains it."""
    qs = (BranchGraduation.objects.filter(expected_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                                          branch__path__startswith=acting_org.path)
          .select_related("branch").order_by("branch__full_name", "branch_id"))
    return qs.filter(branch__full_name__contains=query) if query else qs


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


class InList(Func):
    """`column IN (ids…)`; on PostgreSQL `column = ANY(%s)` with one array parameter: a list of hundreds of ids
    written out three times cost more to plan (7 ms at 456 graduating branches) than the query took to run."""
    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: list[int]):
        super().__init__(F(column))
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s)", (*params, self.ids)


def _name(org_id: str) -> Subquery:
    return Subquery(Organization.objects.filter(pk=OuterRef(org_id)).values("full_name"))


def graduates(*, acting_org: Organization, year: int, branch: Organization | None = None, name: str = "",
              listed_in: list[int] | None = None, marks: list[int] | None = None) -> QuerySet[Person]:
    """The year's graduates of the subtree (of one graduating branch when given), each annotated with
    `state`, the graduating branch (`grad_branch_id`, `grad_branch_name`) and the facts of its state; `name`
    keeps those whose name contains it.

    Set-based (issue 13): the graduating branches first, a short list read once (`AnyOf`); the graduates are the
    current members of those branches and whoever left one by a completed transfer since the season opened (one
    UNION of ids), and each fact of a graduate is one join, at most one row a person. `listed_in`: only the
    graduates whose graduating branch is one of these (a page's, `GraduatePages`). `marks`: the ids of the subtree's
    graduating branches that year, when the caller has read them already (`season_branches`): each use is then a
    list of constants, not the sub-select again."""
    if marks is None:
        found_marks = BranchGraduation.objects.filter(
            expected_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)), branch__path__startswith=acting_org.path)
        found_marks = (found_marks.filter(branch=branch) if branch is not None else found_marks).values("branch_id")

        def in_marks(column: str) -> Q:
            return Q(AnyOf(column, found_marks))
    else:
        ids = [pk for pk in marks if branch is None or pk == branch.pk] or [0]   # [0]: none, and still a query

        def in_marks(column: str) -> Q:
            return Q(InList(column, ids))
    opens = season_opens(year)
    current = Membership.objects.filter(in_marks("branch_id"), ended_at__isnull=True)
    left = TransferRequest.objects.filter(in_marks("from_branch_id"), status=TransferRequest.Status.COMPLETED,
                                          finished_at__gte=opens)
    if listed_in is not None:   # a superset of the graduates whose graduating branch is listed; narrowed below
        found = (Membership.objects.filter(branch_id__in=listed_in, ended_at__isnull=True).values("person_id")
                 .union(left.filter(from_branch_id__in=listed_in).values("member_id")))
        left = left.filter(member_id__in=found)   # the latest transfers of a page's people only, not the season's
    else:
        found = current.values("person_id").union(left.values("member_id"))
    latest = (left.annotate(nth=Window(RowNumber(), partition_by=[F("member_id")],
                                       order_by=[F("finished_at").desc(), F("pk").desc()]))
              .filter(nth=1).values("pk"))
    # The facts, one join each: the current membership in a graduating branch (one, R-ENT-7), the latest transfer
    # out of one, the year's flag (one per person and year), the transfer in progress (one, R-TR-10) and its pending
    # step (one). Names are read by primary key, for the rows returned: joined too, the tables passed PostgreSQL's
    # join_collapse_limit and it joined every person before narrowing to the graduates.
    qs = (Person.objects.filter(pk__in=found)
          .only("pk", "name", "id_number")
          .alias(
              cur=FilteredRelation("memberships", condition=in_marks("memberships__branch_id")
                                   & Q(memberships__ended_at__isnull=True)),
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
          .order_by("grad_branch_name", "grad_branch_id", "name", "pk"))
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
    """Each graduating branch's count per state, in one query, in the list's order of branches: the live count
    (SQLite; a search by name), where PostgreSQL reads the kept counts (`kept_counts`)."""
    found: dict[int, dict[str, int]] = {}
    rows = (qs.order_by().values_list("grad_branch_id", "grad_branch_name", "state").annotate(n=Count("pk"))
            .order_by("grad_branch_name", "grad_branch_id"))
    for branch_id, _name, state, n in rows.values_list("grad_branch_id", "grad_branch_name", "state", "n"):
        found.setdefault(branch_id, dict.fromkeys(State.LABELS, 0))[state] = n
    return {branch_id: _with_groups(counts) for branch_id, counts in found.items()}


NO_TRANSFER = "none"   # a graduate with no transfer in progress or completed: still without a target (issue 18)


def reason_counts(qs: QuerySet[Person]) -> list[tuple[str, str, int]]:
    """Issue 18: the listed graduates (not the delayed) by the reason of their transfer — the one in progress, or the
    completed one that made them done — with NO_TRANSFER for those who have none (not started) and the kept apart
    (留校: no transfer needed). (key, label, count) in the national list's order (R-TR-13), every reason shown. One
    grouped query over the same joins as the list: no per-graduate sub-select."""
    found = dict(qs.filter(state__in=State.LISTED).annotate(why=Case(
        When(state__in=State.DONE, then=F("done__reason")),
        When(state__in=State.PENDING, then=F("open__reason")),
        When(state=State.KEPT, then=Value(State.KEPT)),
        default=Value(NO_TRANSFER), output_field=CharField()))
        .order_by().values_list("why").annotate(n=Count("pk")).values_list("why", "n"))
    rows = [(NO_TRANSFER, _("尚未办理转接（仍无去向）"), found.pop(NO_TRANSFER, 0))]
    rows += [(value, label, found.pop(value, 0)) for value, label in Reason.choices]
    rows.append((State.KEPT, State.LABELS[State.KEPT], found.pop(State.KEPT, 0)))
    labels = dict(SystemReason.choices)
    rows += [(value, labels.get(value, value), n) for value, n in found.items() if n]   # 组织调整 (a merge)
    return rows


def summed(per_branch: dict[int, dict[str, int]]) -> dict[str, int]:
    return {key: sum(counts[key] for counts in per_branch.values()) for key in (*State.LABELS, *State.GROUPS, "total")}


def _with_groups(found: dict[str, int]) -> dict[str, int]:
    found["pending"] = sum(found[s] for s in State.PENDING)
    found["completed"] = sum(found[s] for s in State.DONE)
    found["total"] = sum(found[s] for s in State.LISTED)
    return found


def kept_counts() -> bool:
    """PostgreSQL keeps each graduate's state and each graduating branch's counts by triggers
    (reports/graduation_sql.py), and each graduating branch's counts from them; SQLite, the development database,
    counts live."""
    return connection.vendor == "postgresql"


class Mark(NamedTuple):
    """A graduating branch of the season page: id, name, expected graduation, its counts (`_with_groups`)."""
    branch_id: int
    full_name: str
    expected_on: dt.date
    counts: dict[str, int]


def season_branches(*, acting_org: Organization, year: int) -> list[tuple[int, str, dt.date]]:
    """The subtree's branches graduating in `year`, (id, name, expected graduation) in the list's order (by name,
    then id): one query of short rows, read once a page and passed to the others as constants."""
    return list(graduating_branches(acting_org=acting_org, year=year)
                .values_list("branch_id", "branch__full_name", "expected_on"))


def kept_counts_of(*, acting_org: Organization, year: int, branch_ids: list[int],
                   name: str = "") -> dict[int, dict[str, int]]:
    """The kept counts of these graduating branches as the subtree sees them (PostgreSQL), in one query over a row a
    branch: the season's rows, the branches' own and those of graduates who left one of them for a graduating branch
    outside the subtree (`within`: reports/graduation_sql.marks_of); plus this transaction's deltas, folded at
    commit (reports/graduation_sql.FOLD)."""
    if not branch_ids:
        return {}
    if name:   # a search: the kept states of those whose name contains it, by branch
        return _kept_found(acting_org=acting_org, year=year, branch_ids=branch_ids, name=name)
    columns = ", ".join(State.LABELS)
    where = "year = %s AND within < %s"
    # A province's few hundred ids: `= ANY`, by the primary key. The root's 11,000: a hash join (as `= ANY`, each
    # row searched the list: 216 → 82 ms at 1 M members; 456 ids joined instead: 3.5 → 27 ms).
    many = len(branch_ids) > 1000
    ids = "JOIN unnest(%s::bigint[]) AS b(id) ON b.id = k.branch_id" if many else "WHERE k.branch_id = ANY(%s)"
    with connection.cursor() as cur:
        cur.execute(f"SELECT k.branch_id, {', '.join(f'sum(k.{s})' for s in State.LABELS)}"
                    f" FROM (SELECT branch_id, {columns} FROM reports_graduationcount WHERE {where}"
                    f"       UNION ALL SELECT branch_id, {columns} FROM reports_graduationdelta WHERE {where}) k"
                    f" {ids} GROUP BY k.branch_id",
                    [year, len(acting_org.path), year, len(acting_org.path), list(branch_ids)])
        return {row[0]: _with_groups(dict(zip(State.LABELS, row[1:], strict=True))) for row in cur.fetchall()}


def _kept_found(*, acting_org: Organization, year: int, branch_ids: list[int], name: str) -> dict[int, dict[str, int]]:
    pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found: dict[int, dict[str, int]] = {}
    with connection.cursor() as cur:
        cur.execute("SELECT k.branch_id, k.state, count(*) FROM reports_graduatemark k"
                    " JOIN members_person p ON p.id = k.person_id"
                    " WHERE k.branch_id = ANY(%s) AND k.year = %s AND k.within < %s AND p.name LIKE %s"
                    " GROUP BY k.branch_id, k.state", [list(branch_ids), year, len(acting_org.path), pattern])
        for branch_id, state, n in cur.fetchall():
            found.setdefault(branch_id, dict.fromkeys(State.LABELS, 0))[state] = n
    return {branch_id: _with_groups(counts) for branch_id, counts in found.items()}


def branch_counts(*, acting_org: Organization, year: int, branch_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each of these graduating branches' counts per state: kept (PostgreSQL) or live (SQLite), one query."""
    if not branch_ids:
        return {}
    if kept_counts():
        return kept_counts_of(acting_org=acting_org, year=year, branch_ids=branch_ids)
    return counts_by_branch(graduates(acting_org=acting_org, year=year, marks=list(branch_ids)))


def season_counts(*, acting_org: Organization, year: int, branch: Organization | None = None) -> dict[str, int]:
    """Every state's count, the groups' and the total, for the subtree or one graduating branch of it."""
    ids = [pk for pk, _name, _on in season_branches(acting_org=acting_org, year=year)
           if branch is None or pk == branch.pk]
    return summed(branch_counts(acting_org=acting_org, year=year, branch_ids=ids))


class GraduatePages:
    """The list behind the page's Paginator. Its size and each graduating branch's share are known from the
    counts, so a slice reads only the graduates of the branches it falls in: the first page of 6,000 graduates reads
    a few branches, not all of them (issue 13). `sizes` are (branch id, graduates listed) in the list's order;
    `rows_of(ids)` gives the listed graduates of those branches in the list's order (by branch name, branch, person
    name, person)."""

    def __init__(self, *, rows_of, sizes: list[tuple[int, int]]):
        self.rows_of, self.sizes = rows_of, sizes
        self.total = sum(n for _pk, n in sizes)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[Person]:
        start, stop = window.start or 0, min(window.stop or self.total, self.total)
        chosen, skip, before = [], 0, 0
        for pk, n in self.sizes:
            if n and before < stop and before + n > start:
                skip = skip if chosen else start - before
                chosen.append(pk)
            before += n
        return list(self.rows_of(chosen)[skip:skip + stop - start]) if chosen else []


def season_list(*, acting_org: Organization, year: int, branch: Organization | None = None, state: str = "",
                name: str = "") -> tuple[list[Mark], dict[str, int], GraduatePages]:
    """What the season page shows: the subtree's graduating branches with their counts (`Mark`, in the list's
    order), every state's count, and the list for a Paginator, each page of which reads the graduates of the
    branches it falls in (one query). Two queries before the page: the graduating branches (short rows), and
    their counts: kept on PostgreSQL (a row a branch, reports/graduation_sql.py; for a search by name, the kept
    states of those found); live on SQLite (one grouped query over the graduates). No graduating branch: one query."""
    branches = season_branches(acting_org=acting_org, year=year)
    ids = [pk for pk, _name, _on in branches]
    chosen = [pk for pk in ids if branch is None or pk == branch.pk]

    def of(**narrowed) -> QuerySet[Person]:
        return graduates(acting_org=acting_org, year=year, branch=branch, name=name, marks=ids, **narrowed)

    if not chosen:
        per_branch = {}
    elif kept_counts():
        per_branch = kept_counts_of(acting_org=acting_org, year=year, branch_ids=ids, name=name)
    else:
        per_branch = counts_by_branch(of())
    zero = _with_groups(dict.fromkeys(State.LABELS, 0))
    marks = [Mark(pk, full_name, on, per_branch.get(pk, zero)) for pk, full_name, on in branches]
    counts = summed({pk: per_branch.get(pk, zero) for pk in chosen})
    listed = GraduatePages(rows_of=lambda page_ids: filter_state(of(listed_in=page_ids), state),
                           sizes=[(pk, per_branch.get(pk, zero)[state or "total"]) for pk in chosen])
    return marks, counts, listed
