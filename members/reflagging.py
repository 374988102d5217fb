"""R-ENT-5: the development-number flags of people already on record, re-checked when a rule they depend on changes
(issue 18), not only when their own record does.

A segment allocated or changed (R-ENT-4a) can change the flag of exactly the current members of the segment's
organization's subtree whose number is of the segment's year: R-ENT-4 checks the segment only for a number of
12 digits whose first four are the joining year, and only against the segments of the branch's ancestry. They are
found by one indexed query (the membership's kept path, `membership_path`, and the person's unique number index, a
range of that year). Up to REFLAG_INLINE_MAX of them are re-checked in the change's own transaction; more are
re-checked by `reflag_task`, in chunks of REFLAG_CHUNK by person id, each chunk its own transaction. A chunk
re-reads the rules as they are when it runs, so running it twice (a worker killed and its task requeued by
config.tasks.reap_stale, the same change queued twice) changes nothing the second time: the task is idempotent, and
resumes at the chunk that did not finish.

"A number taken" needs no re-check here: members_person.development_number is unique, so no person on record can
come to hold another's number (docs/decisions.md "Re-flagging development numbers")."""
from django.db import transaction
from django.db.models import F, Value
from django_tasks import task

from audit.services import record
from config.tasks import retrying
from orgs.models import Organization

from .completeness import refresh_people
from .models import Membership, Person
from .selectors.lookups import PrefetchedLookups

REFLAG_INLINE_MAX = 200  # people re-checked in the change's own transaction; more go to the task queue
REFLAG_CHUNK = 500  # people a chunk of the task re-checks in one transaction
REFLAG_ACTION = "segment.reflag"


def year_range(year: int) -> tuple[str, str]:
    """The numbers of a year as a range of the unique index on development_number."""
    return f"{int(year):04d}00000000", f"{int(year):04d}99999999"


def affected_people(org: Organization, year: int):
    """Ids of the people whose flag a segment of `year` allocated to `org` may change (R-ENT-5), in no order: with
    ORDER BY person_id and a LIMIT, PostgreSQL walked the whole current-membership index in id order and filtered by
    path (151 ms for a city of 10,000 members in 1,000,000), where the path index finds them in 6 ms
    (docs/decisions.md "Re-flagging development numbers")."""
    low, high = year_range(year)
    return (Membership.objects.filter(org_path__startswith=org.path, ended_at__isnull=True,
                                      person__development_number__range=(low, high))
            .order_by().values_list("person_id", flat=True))


def _by_id(qs):
    """By person id, sorted after the path index has found them: `person_id + 0` is no index's order."""
    return qs.order_by((F("person_id") + Value(0)).asc())


def recheck(person_ids) -> int:
    """Re-check these people's flags with the holders and segments read once for all of them; how many changed."""
    ids = list(person_ids)
    if not ids:
        return 0
    # Locked in id order (orgs, then people: orgs/locking.py), so an edit of one of them at the same moment either
    # commits first and is re-read here, or waits and then sees the new segment.
    numbers = list(Person.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True)
                   .values_list("development_number", flat=True))
    return refresh_people(ids, lookups=PrefetchedLookups(id_numbers=[], numbers=numbers))


def reflag_after_segment_change(*, actor, org: Organization, year: int) -> dict:
    """Inside the segment change's transaction: re-check the people it may concern, or queue the task when there are
    more than REFLAG_INLINE_MAX of them (after commit; nothing is queued if the change rolls back). The returned dict
    goes into the change's audit row: `rechecked` and `reflagged` counts, or `reflag` = "queued"."""
    ids = list(affected_people(org, year)[:REFLAG_INLINE_MAX + 1])
    if len(ids) <= REFLAG_INLINE_MAX:
        return {"rechecked": len(ids), "reflagged": recheck(ids)}
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(lambda: reflag_task.enqueue(org.pk, int(year), 0, 0, 0, actor_id))
    return {"reflag": "queued", "rechecked": f">{REFLAG_INLINE_MAX}"}


def reflag_chunk(org_id: int, year: int, after: int) -> tuple[list[int], int]:
    """One chunk: the next REFLAG_CHUNK affected people after person id `after`, re-checked in one transaction.
    Returns (their ids, how many changed)."""
    org = Organization.objects.filter(pk=org_id).only("pk", "path").first()
    if org is None:
        return [], 0
    with transaction.atomic():
        ids = list(_by_id(affected_people(org, year).filter(person_id__gt=after))[:REFLAG_CHUNK])
        return ids, recheck(ids)


@task()
@retrying
def reflag_task(org_id: int, year: int, after: int, rechecked: int, reflagged: int, actor_id: int | None) -> None:
    """The re-check of a large subtree (R-ENT-5), one chunk a run: each run queues the next one after its commit and
    the last writes the audit row with the totals. Arguments are ids and counts only (no ID numbers in the queue)."""
    ids, changed = reflag_chunk(org_id, year, after)
    rechecked, reflagged = rechecked + len(ids), reflagged + changed
    if len(ids) == REFLAG_CHUNK:
        reflag_task.enqueue(org_id, year, ids[-1], rechecked, reflagged, actor_id)
        return
    org = Organization.objects.filter(pk=org_id).first()
    actor = Person.objects.filter(pk=actor_id).first() if actor_id else None
    record(actor=actor, action=REFLAG_ACTION, target=org, year=year, rechecked=rechecked, reflagged=reflagged)
