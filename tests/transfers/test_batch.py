"""Batch transfer (批量接转, R-TR-9): up to 30 members of one subordinate branch to a branch of the admin's
subtree (R-AUTH-4), at once, without approval, all or nothing. (Who may run one: test_permissions.py.)"""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from members.models import Membership
from members.selectors.people import branch_of
from orgs.models import OrgType
from orgs.services import create_org, dissolve_org
from transfers.models import Message, TransferRequest
from transfers.services import apply_for_transfer, batch_transfer

from .support import codes, new_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return [new_member(tree["b1"], name=f"成员{i}") for i in range(3)]


def _batch(tree, members, *, to="b2", by="school", source="b1", reason="job_change", note=""):
    return batch_transfer(actor=tree[f"{by}_admin"], acting_org=tree[by], from_branch=tree[source], members=members,
                          to_branch=tree[to], reason=reason, note=note)


def _unmoved(tree, members):
    return all(branch_of(p) == tree["b1"] for p in members) and not TransferRequest.objects.exists()


def test_it_moves_everyone_at_once_without_approval(tree, people):
    done = _batch(tree, people)
    assert len(done) == 3
    assert {(r.kind, r.status, r.to_branch_id, r.initiated_by_id) for r in done} == {
        ("batch", "completed", tree["b2"].pk, tree["school_admin"].pk)}
    assert len({r.batch_id for r in done}) == 1 and done[0].batch_id is not None
    assert not any(r.steps.exists() for r in done)  # no approval at all
    assert all(branch_of(p) == tree["b2"] for p in people)
    # R-TR-12: the history is kept for each of them
    assert Membership.objects.filter(person__in=people, branch=tree["b1"], ended_at__isnull=False).count() == 3
    assert {m.person_id: m.end_reason for m in Membership.objects.filter(person__in=people, branch=tree["b1"])} == {
        r.member_id: f"transfer:{r.pk}" for r in done}
    event = AuditEvent.objects.get(action="transfer.batch")
    assert (event.actor, event.acting_org, event.detail["count"]) == (tree["school_admin"], tree["school"], 3)


def test_it_takes_30_and_refuses_31(tree):
    """R-TR-9: `batch_too_large` above 30; the refusal moves nobody."""
    people = [new_member(tree["b1"], name=f"成员{i}") for i in range(31)]
    with pytest.raises(ValidationError) as err:
        _batch(tree, people)
    assert codes(err.value) == {"batch_too_large"}
    assert _unmoved(tree, people)

    done = _batch(tree, people[:30])
    assert len(done) == 30
    assert all(branch_of(p) == tree["b2"] for p in people[:30]) and branch_of(people[30]) == tree["b1"]


def test_the_limit_is_a_setting(tree, people, settings):
    settings.TRANSFER_BATCH_LIMIT = 2
    with pytest.raises(ValidationError) as err:
        _batch(tree, people)
    assert codes(err.value) == {"batch_too_large"}


def test_one_member_with_a_transfer_in_progress_stops_the_whole_batch(tree, people):
    """R-TR-9 all or nothing, R-TR-10 one transfer in progress."""
    apply_for_transfer(member=people[1], to_org=tree["fb"], reason="moved")
    with pytest.raises(ValidationError) as err:
        _batch(tree, people)
    assert codes(err.value) == {"transfer_in_progress"}
    assert all(branch_of(p) == tree["b1"] for p in people)
    assert TransferRequest.objects.count() == 1


def test_someone_not_of_the_chosen_branch_stops_the_whole_batch(tree, people):
    outsider = new_member(tree["b2"], name="外人")
    with pytest.raises(ValidationError) as err:
        _batch(tree, [*people, outsider], to="b2")
    assert codes(err.value) == {"not_in_branch"}
    assert _unmoved(tree, people) and branch_of(outsider) == tree["b2"]


@pytest.mark.parametrize("source, to, by", [
    ("b1", "fb", "school"),     # the target is outside the general branch
    ("fb", "b1", "school"),     # the source is outside it
    ("b1", "fb", "uni"),        # the company's branch is outside the university
    ("b1", "xjb", "uni"),       # another province
])
def test_a_batch_across_subtrees_is_refused(tree, source, to, by):
    """R-AUTH-4: batch transfers stay inside the acting organization's subtree."""
    person = new_member(tree[source])
    with pytest.raises(ValidationError) as err:
        _batch(tree, [person], source=source, to=to, by=by)
    assert codes(err.value) == {"not_in_subtree"}
    assert branch_of(person) == tree[source] and not TransferRequest.objects.exists()


def test_a_batch_to_the_same_branch_is_refused(tree, people):
    with pytest.raises(ValidationError) as err:
        _batch(tree, people, to="b1")
    assert codes(err.value) == {"same_branch"}


def test_a_batch_target_must_be_a_branch(tree, people):
    with pytest.raises(ValidationError) as err:
        _batch(tree, people, to="school", by="uni")
    assert codes(err.value) == {"target_not_allowed"}


def test_a_batch_to_a_dissolved_branch_is_refused(tree, people):
    closed = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    dissolve_org(actor=None, org=closed)
    with pytest.raises(ValidationError) as err:
        batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"], members=people,
                       to_branch=closed, reason="job_change")
    assert codes(err.value) == {"target_not_active"}
    assert _unmoved(tree, people)


@pytest.mark.parametrize("reason, note, code", [("bogus", "", "unknown_reason"), ("other", "太短", "note_required")])
def test_a_batch_needs_a_reason_from_the_list(tree, people, reason, note, code):
    """R-TR-13."""
    with pytest.raises(ValidationError) as err:
        _batch(tree, people, reason=reason, note=note)
    assert codes(err.value) == {code}
    assert _unmoved(tree, people)


def test_a_batch_counts_each_person_once(tree, people):
    done = _batch(tree, [*people, people[0]])
    assert len(done) == 3


def _queries_of_a_batch(tree, n, capture_on_commit):
    """Queries of one batch of n, its messages after commit included."""
    people = [new_member(tree["b1"], name=f"批{n}成员{i}") for i in range(n)]
    with CaptureQueriesContext(connection) as ctx, capture_on_commit(execute=True):
        assert len(_batch(tree, people)) == n
    assert Message.objects.filter(request__member__in=people, event="request_finished").count() == 2 * n
    return [q["sql"] for q in ctx.captured_queries]


def test_a_batch_of_30_costs_the_same_queries_as_a_batch_of_3(tree, django_capture_on_commit_callbacks):
    """Issue 13: the members are locked in one statement each for Person and Membership (R-TR-17's order); the
    requests, the memberships ended and begun, the posts ended, the audit events and the messages are written in one
    statement each; branch standards are refreshed once. Nothing is read or written once per member."""
    three = _queries_of_a_batch(tree, 3, django_capture_on_commit_callbacks)
    thirty = _queries_of_a_batch(tree, 30, django_capture_on_commit_callbacks)
    assert len(thirty) == len(three), "\n".join(thirty)
    assert AuditEvent.objects.filter(action="transfer.completed").count() == 33
