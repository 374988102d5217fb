"""Merging a branch into a sibling (合并团支部, issue 15; transfers/services/merging.py): every member moves as a
completed transfer of the system reason "组织调整" (R-TR-12 as any completion), open transfers follow the merge,
the merged branch is dissolved. Concurrency: test_merging_concurrency.py."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import CadrePost
from audit.models import AuditEvent
from members.models import Membership
from members.selectors.people import branch_of
from orgs.models import Organization, OrgType
from orgs.services import create_org, dissolve_org
from tests.factories import CadrePostFactory
from tests.orgs.test_figures import consistent
from transfers.forms import REASON_CHOICES
from transfers.models import ApprovalStep, SystemReason, TransferRequest
from transfers.rules import check_reason
from transfers.services import apply_for_transfer, approve, transfer_out
from transfers.services.merging import merge_branch, plan_merge

from .support import codes, denied_events, new_member, pending_step

pytestmark = pytest.mark.django_db


def _merge(tree, *, merged="b1", into="b2", by="school"):
    return merge_branch(actor=tree[f"{by}_admin"], acting_org=tree[by], merged=tree[merged], into=tree[into])


def _fresh(org):
    return Organization.objects.get(pk=org.pk)


def test_every_member_moves_with_history_as_a_completed_reorganization(tree):
    people = [new_member(tree["b1"], name=f"成员{i}") for i in range(3)]
    post = CadrePostFactory(person=people[0], org=tree["b1"], title="组织委员")
    done = _merge(tree)
    assert len(done) == 3
    assert all(branch_of(p) == tree["b2"] for p in people)
    for person in people:
        request = TransferRequest.objects.get(member=person)
        assert (request.status, request.reason, request.kind) == ("completed", "reorganization", "reorg")
        assert (request.from_branch_id, request.to_branch_id) == (tree["b1"].pk, tree["b2"].pk)
        assert request.get_reason_display() == "组织调整"
        old = Membership.objects.get(person=person, branch=tree["b1"])  # the history is kept
        assert old.ended_at is not None and old.end_reason == f"transfer:{request.pk}"
    post.refresh_from_db()
    assert post.ended_at is not None  # R-TR-12: a post of the old branch ends
    b1 = _fresh(tree["b1"])
    assert not b1.is_active and b1.dissolved_at is not None
    # its cadres who were not members lose their posts with the branch
    assert not CadrePost.objects.filter(org=tree["b1"], ended_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="org.merge")
    assert event.actor_id == tree["school_admin"].pk and event.detail["members"] == 3
    assert AuditEvent.objects.filter(action="transfer.completed").count() == 3


def test_an_empty_branch_is_merged_too(tree):
    assert _merge(tree) == []
    assert not _fresh(tree["b1"]).is_active


def test_an_admin_above_the_parent_may_merge(tree):
    person = new_member(tree["b1"])
    _merge(tree, by="uni")
    assert branch_of(person) == tree["b2"]


@pytest.mark.parametrize("by", ["b1", "b2", "firm", "fb"])
def test_only_an_admin_of_an_organization_holding_both_may_merge(tree, by):
    person = new_member(tree["b1"])
    with pytest.raises(PermissionDenied):
        _merge(tree, by=by)
    assert branch_of(person) == tree["b1"] and _fresh(tree["b1"]).is_active
    assert denied_events(tree[f"{by}_admin"], "org.merge").exists()  # R-AUTH-6


def test_acting_as_an_organization_one_does_not_administer_is_refused(tree):
    with pytest.raises(PermissionDenied):
        merge_branch(actor=tree["b2_admin"], acting_org=tree["school"], merged=tree["b1"], into=tree["b2"])


def test_only_siblings_may_be_merged(tree):
    with pytest.raises(ValidationError) as exc:
        _merge(tree, into="fb", by="province")
    assert codes(exc.value) == {"not_sibling"}


def test_a_branch_is_not_merged_into_itself(tree):
    with pytest.raises(ValidationError) as exc:
        _merge(tree, into="b1")
    assert codes(exc.value) == {"same_branch"}


def test_only_branches_are_merged(tree):
    with pytest.raises(ValidationError) as exc:
        merge_branch(actor=tree["uni_admin"], acting_org=tree["uni"], merged=tree["school"], into=tree["b1"])
    assert codes(exc.value) == {"target_not_allowed"}


def test_a_dissolved_branch_is_neither_merged_nor_merged_into(tree):
    gone = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    dissolve_org(actor=None, org=gone)
    for merged, into in ((gone, tree["b2"]), (tree["b2"], gone)):
        with pytest.raises(ValidationError) as exc:
            merge_branch(actor=tree["school_admin"], acting_org=tree["school"], merged=merged, into=into)
        assert codes(exc.value) == {"target_not_active"}


def test_an_open_transfer_leaving_the_branch_leaves_the_sibling_and_still_completes(tree):
    person = new_member(tree["b1"])
    request = apply_for_transfer(member=person, to_org=tree["fb"], reason="moved")
    _merge(tree)
    request.refresh_from_db()
    step = pending_step(request)
    assert (request.status, request.from_branch_id) == ("pending", tree["b2"].pk)
    assert (step.org_id, step.org_path) == (tree["b2"].pk, tree["b2"].path)
    # R-TR-10: the member keeps one transfer in progress; the merge's own is complete
    assert TransferRequest.objects.filter(member=person, status="pending").count() == 1
    approve(actor=tree["b2_admin"], acting_org=tree["b2"], step=step)  # the sibling's admins decide it now
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    assert branch_of(person) == tree["fb"]


def test_an_open_transfer_arriving_at_the_branch_arrives_at_the_sibling(tree):
    person = new_member(tree["fb"])
    request = apply_for_transfer(member=person, to_org=tree["b1"], reason="moved")
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))  # IN step at b1 now
    _merge(tree)
    request.refresh_from_db()
    step = pending_step(request)
    assert request.to_org_id == tree["b2"].pk and (step.kind, step.org_id) == ("in", tree["b2"].pk)
    approve(actor=tree["b2_admin"], acting_org=tree["b2"], step=step)
    assert branch_of(person) == tree["b2"]


def test_an_open_transfer_between_the_two_refuses_the_merge_by_name(tree):
    person = new_member(tree["b1"], name="王二")
    other = new_member(tree["b1"], name="赵四")
    apply_for_transfer(member=person, to_org=tree["b2"], reason="moved")
    with pytest.raises(ValidationError) as exc:
        _merge(tree)
    assert codes(exc.value) == {"transfer_between"} and "王二" in exc.value.messages[0]
    assert branch_of(other) == tree["b1"] and _fresh(tree["b1"]).is_active  # refused whole
    assert not TransferRequest.objects.filter(kind="reorg").exists()


def test_finished_transfers_keep_their_branches(tree):
    person = new_member(tree["b1"])
    request = transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=person, to_org=tree["fb"],
                           reason="moved")
    approve(actor=tree["fb_admin"], acting_org=tree["fb"], step=pending_step(request))
    _merge(tree)
    request.refresh_from_db()
    assert request.from_branch_id == tree["b1"].pk  # history is not rewritten


def test_the_plan_counts_what_the_merge_will_do(tree):
    people = [new_member(tree["b1"], name=f"成员{i}") for i in range(2)]
    leaving = apply_for_transfer(member=people[0], to_org=tree["fb"], reason="moved")
    arriving = apply_for_transfer(member=new_member(tree["fb"]), to_org=tree["b1"], reason="moved")
    plan = plan_merge(merged=tree["b1"], into=tree["b2"])
    assert (plan.members, plan.cadres) == (2, 1)  # b1's admin holds the one post
    assert plan.leaving == [leaving] and plan.arriving == [arriving] and plan.between == []


def test_the_system_reason_is_never_a_choice_of_a_form(tree):
    """R-TR-13: the national list stays the choice list; "组织调整" is written by a merge only."""
    assert SystemReason.REORGANIZATION not in [value for value, _label in REASON_CHOICES]
    with pytest.raises(ValidationError) as exc:
        check_reason(SystemReason.REORGANIZATION, "")
    assert codes(exc.value) == {"unknown_reason"}
    with pytest.raises(ValidationError) as exc:
        apply_for_transfer(member=new_member(tree["b1"]), to_org=tree["fb"], reason="reorganization")
    assert codes(exc.value) == {"unknown_reason"}


def _queries_of_a_merge(tree, n, capture) -> tuple[list[str], int]:
    """The merge's own statements, and how many its after-commit messages took."""
    b = create_org(actor=None, full_name=f"信息学院合并{n}班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    people = [new_member(b, name=f"成员{i}") for i in range(n)]
    for person in people[:2]:
        CadrePostFactory(person=person, org=b, title="组织委员")
    apply_for_transfer(member=people[2], to_org=tree["fb"], reason="moved")
    apply_for_transfer(member=new_member(tree["fb"]), to_org=b, reason="moved")
    admin = type(tree["school_admin"]).objects.get(pk=tree["school_admin"].pk)
    with capture() as callbacks, CaptureQueriesContext(connection) as ctx:
        done = merge_branch(actor=admin, acting_org=tree["school"], merged=b, into=tree["b2"])
    assert callbacks  # the list is filled when the capture ends
    with CaptureQueriesContext(connection) as after:
        for callback in callbacks:
            callback()
    assert len(done) == n
    return [q["sql"][:200] for q in ctx.captured_queries], len(after.captured_queries)


def test_a_merge_of_50_costs_the_same_queries_as_a_merge_of_5(tree, django_capture_on_commit_callbacks):
    """Set-based, for a 500-member branch: locks, moves, posts, requests and events are one statement each, whatever
    the number of members (flow.complete_all does the moves, as for a batch). The messages after commit too, but for
    SQLite's limit of 999 parameters a statement, which splits their INSERT in two past ~90 rows."""
    five, five_after = _queries_of_a_merge(tree, 5, django_capture_on_commit_callbacks)
    fifty, fifty_after = _queries_of_a_merge(tree, 50, django_capture_on_commit_callbacks)
    assert len(fifty) == len(five), "\n".join(fifty)
    assert fifty_after - five_after <= (0 if connection.vendor == "postgresql" else 1)


@pytest.mark.postgres
def test_the_figures_equal_a_recount_after_a_merge(tree):
    people = [new_member(tree["b1"], name=f"成员{i}") for i in range(4)]
    CadrePostFactory(person=people[0], org=tree["b1"], title="组织委员")
    apply_for_transfer(member=people[1], to_org=tree["fb"], reason="moved")
    apply_for_transfer(member=new_member(tree["fb"]), to_org=tree["b1"], reason="moved")
    _merge(tree)
    consistent()


def test_a_step_moved_to_the_sibling_is_announced_to_its_admins(tree, django_capture_on_commit_callbacks):
    person = new_member(tree["b1"])
    request = apply_for_transfer(member=person, to_org=tree["fb"], reason="moved")
    with django_capture_on_commit_callbacks(execute=True):
        _merge(tree)
    step = pending_step(request)
    assert step.org_id == tree["b2"].pk
    assert tree["b2_admin"].messages.filter(event="step_opened", step=step).exists()
    assert ApprovalStep.objects.filter(org=tree["b1"], status="pending").count() == 0
