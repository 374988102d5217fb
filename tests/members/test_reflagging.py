"""R-ENT-5 / issue 18: flags of people already on record re-checked when a segment is allocated or changed, in the
change's transaction up to REFLAG_INLINE_MAX people, by a chunked task above it; the change's audit row says how many."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from members import reflagging
from members.models import Person
from members.services import allocate_segment, change_segment
from tests.factories import MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _members(branch, numbers, joined=dt.date(2019, 5, 4)):
    people = []
    for number in numbers:
        person = PersonFactory(joined_on=joined, development_number=number)
        MembershipFactory(person=person, branch=branch)
        people.append(person)
    return people


def _issues(people) -> list[str]:
    found = dict(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "dev_number_issue"))
    return [found[p.pk] for p in people]


def _last(action) -> dict:
    return AuditEvent.objects.filter(action=action).order_by("-pk").first().detail


def test_a_person_made_non_standard_by_a_new_segment_is_flagged(tree):
    inside, outside = _members(tree["b1"], ["201900000005", "201900000500"])
    assert _issues([inside, outside]) == ["", ""]   # no segment in the ancestry: any number passes (R-ENT-4)

    allocate_segment(actor=tree["uni_admin"], org=tree["uni"], year=2019, first="201900000001", last="201900000100")

    assert _issues([inside, outside]) == ["", "segment"]
    detail = _last("segment.allocate")
    assert (detail["first"], detail["last"], detail["rechecked"], detail["reflagged"]) == (
        "201900000001", "201900000100", 2, 1)


def test_one_made_standard_again_is_unflagged_when_the_segment_is_changed(tree):
    segment = allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    (person,) = _members(tree["b1"], ["201900000101"])
    reflagging.recheck([person.pk])
    assert _issues([person]) == ["segment"]

    change_segment(actor=tree["uni_admin"], segment=segment, first="201900000001", last="201900000101")  # the boundary

    assert _issues([person]) == [""]
    detail = _last("segment.change")
    assert (detail["before"], detail["last"], detail["reflagged"]) == ("201900000001–201900000100", "201900000101", 1)


def test_only_the_segments_subtree_and_year_are_rechecked(tree):
    b1, fb = _members(tree["b1"], ["201900000500"]) + _members(tree["fb"], ["201900000600"])
    (other_year,) = _members(tree["b2"], ["201800000500"], joined=dt.date(2018, 5, 4))
    allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    assert _issues([b1, fb, other_year]) == ["segment", "", ""]
    assert _last("segment.allocate")["rechecked"] == 1


def test_a_refused_change_rechecks_no_one(tree):
    segment = allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    (person,) = _members(tree["b1"], ["201900000150"])
    reflagging.recheck([person.pk])
    with pytest.raises(PermissionDenied):
        change_segment(actor=tree["b1_admin"], segment=segment, first="201900000001", last="201900000200")
    with pytest.raises(ValidationError):
        change_segment(actor=tree["uni_admin"], segment=segment, first="201900000001", last="201800000200")
    assert _issues([person]) == ["segment"]


def test_a_change_that_would_overlap_another_segment_is_refused(tree):
    allocate_segment(actor=None, org=tree["firm"], year=2019, first="201900000200", last="201900000300")
    segment = allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    with pytest.raises(ValidationError) as err:
        change_segment(actor=tree["uni_admin"], segment=segment, first="201900000001", last="201900000200")
    assert err.value.error_dict["first"][0].code == "segment_overlap"
    change_segment(actor=tree["uni_admin"], segment=segment, first="201900000001", last="201900000199")  # touches


# --- the threshold: inline up to REFLAG_INLINE_MAX, queued above it ----------------------------------------------

@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(reflagging, "REFLAG_INLINE_MAX", 4)
    monkeypatch.setattr(reflagging, "REFLAG_CHUNK", 2)


def _outside(tree, n):
    return _members(tree["b1"], [f"2019000005{i:02d}" for i in range(n)])


def test_threshold_minus_one_people_are_rechecked_in_the_same_transaction(tree, small_threshold,
                                                                         django_capture_on_commit_callbacks):
    people = _outside(tree, 3)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    assert queued == []
    assert _issues(people) == ["segment"] * 3
    assert (_last("segment.allocate")["rechecked"], _last("segment.allocate")["reflagged"]) == (3, 3)


def test_exactly_the_threshold_is_still_inline(tree, small_threshold, django_capture_on_commit_callbacks):
    people = _outside(tree, 4)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    assert queued == [] and _issues(people) == ["segment"] * 4


def test_threshold_plus_one_people_are_queued_chunked_and_audited(tree, small_threshold,
                                                                 django_capture_on_commit_callbacks):
    people = _outside(tree, 5)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        allocate_segment(actor=tree["uni_admin"], org=tree["uni"], year=2019, first="201900000001",
                         last="201900000100")
    assert _issues(people) == [""] * 5   # not in the change's transaction
    assert _last("segment.allocate")["reflag"] == "queued"
    assert len(queued) == 1

    queued[0]()   # after commit: the task (immediate backend), chunk after chunk
    assert _issues(people) == ["segment"] * 5
    done = AuditEvent.objects.get(action=reflagging.REFLAG_ACTION)
    assert (done.detail["rechecked"], done.detail["reflagged"], done.actor_id) == (5, 5, tree["uni_admin"].pk)


def test_a_chunk_run_twice_changes_nothing_the_second_time(tree, small_threshold):
    """Resumable: a worker killed after a chunk committed has that chunk requeued (config.tasks.reap_stale)."""
    allocate_segment(actor=None, org=tree["firm"], year=2019, first="201900009001", last="201900009100")
    people = _outside(tree, 3)
    allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    Person.objects.filter(pk__in=[p.pk for p in people]).update(dev_number_issue="")
    ids, changed = reflagging.reflag_chunk(tree["uni"].pk, 2019, 0)
    assert (ids, changed) == ([people[0].pk, people[1].pk], 2)
    assert reflagging.reflag_chunk(tree["uni"].pk, 2019, 0) == (ids, 0)
    assert reflagging.reflag_chunk(tree["uni"].pk, 2019, ids[-1]) == ([people[2].pk], 1)


def test_the_affected_people_query_reads_the_subtree_and_the_years_numbers(tree):
    sql = str(reflagging.affected_people(tree["uni"], 2019).query)
    assert "org_path" in sql and "development_number" in sql and "BETWEEN" in sql and "ORDER BY" not in sql


# --- the page (issue 18): change a segment of the acting subtree -----------------------------------------------

def test_an_admin_changes_a_segment_of_the_subtree_and_the_people_are_rechecked(tree, client_as):
    from django.urls import reverse

    segment = allocate_segment(actor=None, org=tree["school"], year=2019, first="201900000001", last="201900000100")
    (person,) = _members(tree["b1"], ["201900000150"])
    reflagging.recheck([person.pk])
    client = client_as(tree["uni_admin"], tree["uni"])
    listing = client.get(reverse("people:segments")).content.decode()
    assert reverse("people:segment_change", args=[segment.pk]) in listing
    url = reverse("people:segment_change", args=[segment.pk])
    refused = client.post(url, {"first": "201900000001", "last": "2019000002"})
    assert refused.status_code == 200 and 'value="2019000002"' in refused.content.decode()   # nothing typed lost
    assert client.post(url, {"first": "201900000001", "last": "201900000200"}).status_code == 302
    assert _issues([person]) == [""]


def test_a_segment_outside_the_acting_subtree_cannot_be_changed(tree, client_as):
    from django.urls import reverse

    segment = allocate_segment(actor=None, org=tree["uni"], year=2019, first="201900000001", last="201900000100")
    client = client_as(tree["firm_admin"], tree["firm"])
    assert client.get(reverse("people:segment_change", args=[segment.pk])).status_code == 404
    school = client_as(tree["b1_admin"], tree["b1"])   # a branch allocates nothing
    assert school.get(reverse("people:segment_change", args=[segment.pk])).status_code == 403
