"""Reads behind the league life-cycle pages (issue 6 item 5). Each is one query whatever the subtree's size,
stays inside the acting organization's subtree (R-AUTH-1) and preloads what its template touches."""
import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from orgs.models import Organization

from .. import league_age
from ..extensions import in_transfer_flag
from ..models import CadrePost, LeagueStatusChange, Membership, Person
from ..services.lifecycle import LEAVING, RESTORABLE

PENDING = LeagueStatusChange.Status.PENDING
APPROVED = LeagueStatusChange.Status.APPROVED


def _holds_post() -> Exists:
    return Exists(CadrePost.objects.held().filter(person=OuterRef("person_id"), org__is_active=True))


def _transfer_pending():
    return in_transfer_flag("person_id")  # R-TR-10, as the transfers app reports it (members/extensions.py)


def _change_pending() -> Exists:
    return Exists(LeagueStatusChange.objects.filter(person=OuterRef("person_id"), status=PENDING))


def _current_members(acting: Organization) -> QuerySet[Membership]:
    return (Membership.objects.filter(org_path__startswith=acting.path, ended_at__isnull=True)
            .select_related("person", "branch"))


def turning_28(acting: Organization, *, on: dt.date | None = None) -> QuerySet[Membership]:
    """Members of the subtree whose 28th birthday falls in the next 90 days (tomorrow to day 90), soonest
    first; `holds_post` marks those who stay (团章: a post in the league keeps the membership)."""
    on = on or league_age.today()
    last = on + dt.timedelta(days=league_age.LOOKAHEAD_DAYS)
    return (_current_members(acting)
            .filter(person__birth_date__gt=league_age.latest_birth_date(on),
                    person__birth_date__lte=league_age.latest_birth_date(last))
            .annotate(holds_post=_holds_post())
            .order_by("person__birth_date", "person__name", "pk"))


def aged_out(acting: Organization, *, on: dt.date | None = None) -> QuerySet[Membership]:
    """Members of the subtree already 28 without a post in the league: the bulk 离团 list. `transfer_pending`
    and `change_pending` mark those who must wait (R-TR-10, a change waiting for the superior)."""
    on = on or league_age.today()
    return (_current_members(acting)
            .filter(person__birth_date__lte=league_age.latest_birth_date(on))
            .filter(~_holds_post())
            .annotate(transfer_pending=_transfer_pending(), change_pending=_change_pending())
            .order_by("branch__full_name", "person__birth_date", "person__name", "pk"))


def left_the_league(acting: Organization, *, status: str = "", restorable: bool = False) -> QuerySet[LeagueStatusChange]:
    """People who left from a branch of the subtree and have not come back: each one's last change that took
    effect, with `restore_pending` when a restoration waits for the superior."""
    later = LeagueStatusChange.objects.filter(person=OuterRef("person_id"), status=APPROVED, pk__gt=OuterRef("pk"))
    qs = (LeagueStatusChange.objects.filter(org_path__startswith=acting.path, status=APPROVED, to_status__in=LEAVING)
          .filter(~Exists(later))
          .annotate(restore_pending=_change_pending())
          .select_related("person", "branch", "approved_by"))
    if status in LEAVING:
        qs = qs.filter(to_status=status)
    if restorable:
        qs = qs.filter(to_status__in=RESTORABLE)
    return qs.order_by("-effective_on", "-pk")


def awaiting_approval(acting: Organization) -> QuerySet[LeagueStatusChange]:
    """Changes the acting organization decides as the direct superior of the branch (团章)."""
    return (LeagueStatusChange.objects.filter(status=PENDING, branch__parent=acting)
            .select_related("person", "branch", "requested_by").order_by("requested_at", "pk"))


def submitted_by(acting: Organization) -> QuerySet[LeagueStatusChange]:
    """Changes asked for while acting as this organization, still waiting for the superior."""
    return (LeagueStatusChange.objects.filter(status=PENDING, acting_org=acting)
            .select_related("person", "branch", "requested_by").order_by("requested_at", "pk"))


def people_in_scope(acting: Organization) -> QuerySet[Person]:
    """Current members of the subtree, and people who left (or asked to come back) from one of its branches and
    are in no branch now: once someone is a member elsewhere, their history is no window onto them."""
    member_here = Membership.objects.filter(person=OuterRef("pk"), ended_at__isnull=True,
                                            org_path__startswith=acting.path)
    member_anywhere = Membership.objects.filter(person=OuterRef("pk"), ended_at__isnull=True)
    changed_here = LeagueStatusChange.objects.filter(person=OuterRef("pk"), org_path__startswith=acting.path)
    return Person.objects.filter(Q(Exists(member_here)) | (Q(Exists(changed_here)) & ~Q(Exists(member_anywhere))))


def changes_of(person: Person) -> QuerySet[LeagueStatusChange]:
    return (LeagueStatusChange.objects.filter(person=person)
            .select_related("branch__parent", "requested_by", "approved_by").order_by("-requested_at", "-pk"))
