"""The figures kept per organization (orgs/figures.py, issue 13) against a count from scratch, after every kind
of change that moves them: entry, posts asked for / confirmed / ended, people's flags, a batch transfer, a move
of a subtree, dissolving, bulk updates that bypass the models. PostgreSQL only: the triggers are PostgreSQL's."""
import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from access.models import CadrePost
from members.models import Membership, Person
from members.selectors.lists import member_count, member_list
from orgs import figures_sql
from orgs.figures import COUNTERS, ORG_FLAGS, OrgStatsDelta
from orgs.models import SEGMENT, SMALL_BRANCH, Organization, OrgType
from orgs.selectors import children, figures_of, figures_within, org_flags
from orgs.services import compact_figures, create_org, dissolve_org, figures_differing, move_org, rebuild_figures
from tests.factories import CadrePostFactory, MembershipFactory, PersonFactory
from tests.transfers.support import new_member
from transfers.models import TransferRequest
from transfers.services import apply_for_transfer, auto_approve_due, transfer_in, transfer_out
from transfers.services.batch import batch_transfer

pytestmark = pytest.mark.postgres


def total(org, name) -> int:
    return sum(figures_within(org).values_list(name, flat=True))


def consistent():
    """The kept figures equal a count from scratch, and every subtree's totals as the pages read them (folded
    totals + what is appended below) equal the sum of its organizations' own current figures."""
    assert figures_differing() == {}
    for org in Organization.objects.all():
        rows = list(figures_within(org).values())
        expected = {n: sum(r[n] for r in rows) for n in COUNTERS}
        expected |= {n: sum(org_flags(r)[n] for r in rows) for n in ORG_FLAGS}
        whole, by_child = figures_of(org, list(children(org)))
        assert whole == expected, org
        for child in children(org):
            assert by_child[child.pk] == figures_of(child)[0]


def test_the_frozen_constants_of_the_triggers_are_the_models():
    assert (figures_sql.SEGMENT, figures_sql.SMALL_BRANCH) == (SEGMENT, SMALL_BRANCH)


@pytest.mark.django_db
def test_entry_posts_and_flags_are_counted_as_they_happen(tree):
    consistent()
    member = new_member(tree["b1"])
    assert total(tree["uni"], "members") == 1
    consistent()
    # A post asked for grants nothing until confirmed (R-ENT-9): it counts from the confirmation on.
    post = CadrePostFactory(person=member, org=tree["b1"], title="组织委员", confirmed_at=None)
    cadres = total(tree["uni"], "cadres")
    consistent()
    CadrePost.objects.filter(pk=post.pk).update(confirmed_at=timezone.now())
    assert total(tree["uni"], "cadres") == cadres + 1
    consistent()
    Person.objects.filter(pk=member.pk).update(is_complete=True, verification_status="failed",
                                               dev_number_issue="missing")
    consistent()
    CadrePost.objects.filter(pk=post.pk).update(ended_at=timezone.now())
    Membership.objects.filter(person=member).update(ended_at=timezone.now(), end_reason="test")
    assert total(tree["uni"], "members") == 0
    consistent()


@pytest.mark.django_db
def test_an_incomplete_person_placed_twice_counts_once_in_each_subtree(tree):
    member = MembershipFactory(branch=tree["b1"]).person
    CadrePostFactory(person=member, org=tree["uni"], title="委员")
    CadrePostFactory(person=member, org=tree["fb"], title="委员")
    Person.objects.filter(pk__in=[p.pk for p in Person.objects.all()]).update(is_complete=True)
    Person.objects.filter(pk=member.pk).update(is_complete=False)
    assert total(tree["uni"], "people_incomplete") == 1     # member of b1 and cadre of uni: once
    assert total(tree["province"], "people_incomplete") == 1  # uni and the firm's branch: once
    assert total(tree["firm"], "people_incomplete") == 1
    assert total(tree["xj"], "people_incomplete") == 0
    consistent()


@pytest.mark.django_db
def test_moving_a_subtree_carries_its_figures_and_where_placements_meet(tree):
    member = MembershipFactory(branch=tree["b1"]).person
    CadrePostFactory(person=member, org=tree["fb"], title="委员")
    before = total(tree["province"], "people_incomplete")
    compact_figures()  # the folded totals move with the subtree, and what is appended after follows by path
    new_member(tree["b2"], name="后来")
    move_org(actor=tree["central_admin"], org=tree["school"], new_parent=tree["xj"])
    assert total(tree["xj"], "members") == 2
    assert total(tree["uni"], "members") == 0
    consistent()
    # Incomplete: every admin and the member. b1 (now under Xinjiang) and fb (still Beijing) meet at the central
    # committee now: the member counts once in each province and once in the whole.
    assert total(tree["province"], "people_incomplete") == before - 3  # the school's three admins left with it
    assert total(tree["xj"], "people_incomplete") == 2 + 3 + 1 + 1
    assert total(tree["central"], "people_incomplete") == 10 + 1 + 1
    assert figures_of(tree["xj"])[0]["members"] == 2 and figures_of(tree["province"])[0]["members"] == 0
    compact_figures()
    consistent()


@pytest.mark.django_db
def test_children_follow_creation_and_dissolving(tree):
    new = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    compact_figures()
    assert figures_of(tree["school"])[0]["small"] == 3 and figures_of(tree["school"])[0]["empty"] == 1
    assert dict(figures_within(tree["school"]).values_list("org_id", "children"))[tree["school"].pk] == 3
    dissolve_org(actor=tree["uni_admin"], org=new)
    assert dict(figures_within(tree["school"]).values_list("org_id", "children"))[tree["school"].pk] == 2
    assert figures_of(tree["school"])[0]["small"] == 2 and figures_of(tree["school"])[0]["empty"] == 0
    consistent()


@pytest.mark.django_db
def test_a_batch_transfer_moves_the_counts(tree):
    people = [new_member(tree["b1"], name=f"甲{i}") for i in range(3)]
    batch_transfer(actor=tree["uni_admin"], acting_org=tree["uni"], from_branch=tree["b1"], members=people,
                   to_branch=tree["b2"], reason="further_study")
    rows = dict(figures_within(tree["school"]).values_list("org_id", "members"))
    assert (rows[tree["b1"].pk], rows[tree["b2"].pk]) == (0, 3)
    consistent()


@pytest.mark.django_db
def test_compacting_folds_every_change_and_keeps_the_figures(tree):
    for i in range(4):
        new_member(tree["b2"], name=f"乙{i}")
    assert OrgStatsDelta.objects.exists()
    before = dict(figures_within(tree["central"]).values_list("org_id", "members"))
    assert compact_figures() > 0
    assert not OrgStatsDelta.objects.exists()
    assert dict(figures_within(tree["central"]).values_list("org_id", "members")) == before
    consistent()


@pytest.mark.django_db
def test_the_check_finds_a_figure_that_drifted_and_the_rebuild_mends_it(tree):
    new_member(tree["b1"])
    compact_figures()
    with connection.cursor() as cur:
        cur.execute("UPDATE orgs_orgstats SET members = members + 5 WHERE org_id = %s", [tree["b1"].pk])
    assert figures_differing() == {tree["b1"].pk: {"members": (6, 1)}}
    rebuild_figures()
    consistent()


@pytest.mark.django_db(transaction=True)
def test_two_entries_into_one_branch_at_once_neither_waits_nor_is_lost(tree):
    """Appends never wait on one another: two transactions entering members of one branch, each holding its
    transaction open while the other writes, both commit and both are counted."""
    inside, errors = threading.Barrier(2, timeout=10), []

    def enter(i):
        try:
            with transaction.atomic():
                MembershipFactory(branch=tree["b2"], person=PersonFactory(name=f"并{i}"))
                inside.wait()  # both hold their open transaction here
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=enter, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert dict(figures_within(tree["b2"]).values_list("org_id", "members"))[tree["b2"].pk] == 2
    consistent()


@pytest.mark.django_db
def test_the_figures_are_organizations_of_the_subtree_only(tree):
    assert set(figures_within(tree["uni"]).values_list("org_id", flat=True)) == set(
        Organization.objects.filter(path__startswith=tree["uni"].path).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_the_compactor_gives_up_rather_than_wait_on_a_held_ancestor(tree):
    """A change holding an ancestor's row (here: the central committee's, held open in another transaction) makes
    the fold give up after its lock timeout — nothing folded, nothing lost — instead of queueing behind it or
    deadlocking with it; the next round folds everything."""
    new_member(tree["b1"], name="丙")
    held, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT 1 FROM orgs_orgstats WHERE org_id = %s FOR UPDATE", [tree["central"].pk])
                held.set()
                release.wait(10)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    with pytest.raises(OperationalError):
        compact_figures()
    assert OrgStatsDelta.objects.exists()  # the round was rolled back whole
    release.set()
    thread.join()
    assert errors == []
    assert compact_figures() > 0
    consistent()


@pytest.mark.django_db
def test_the_command_checks_compacts_and_rebuilds(tree, capsys):
    new_member(tree["b1"], name="丁")
    for flag in ("--check", "--compact", "--rebuild", "--check"):
        call_command("org_figures", flag)
    out = capsys.readouterr().out
    assert out.count("一致") == 2 and "已合并" in out and "重新统计" in out


@pytest.mark.django_db
def test_the_member_lists_kept_count_is_the_length_of_the_list(tree):
    """members.selectors.lists.member_count answers the member list's paginator from the kept figures: it must be the
    list's own length for every filter a figure answers, before and after a fold, and None where none does."""
    people = [new_member(tree[key], name=f"戊{i}") for i, key in enumerate(("b1", "b1", "b2", "fb"))]
    Person.objects.filter(pk=people[0].pk).update(is_complete=True, verification_status="failed")
    Person.objects.filter(pk=people[1].pk).update(dev_number_issue="missing")
    combos = [{}, {"incomplete": True}, {"dev_issue": True}, {"unverified": "pending"}, {"unverified": "failed"}]
    for fold in (False, True):
        if fold:
            compact_figures()
        for key in ("central", "province", "uni", "school", "b1"):
            for filters in combos:
                assert member_count(tree[key], **filters) == member_list(tree[key], **filters).count(), (key, filters)
    assert member_count(tree["uni"], query="戊") is None
    assert member_count(tree["uni"], incomplete=True, dev_issue=True) is None
    assert member_count(tree["uni"], branch_id=tree["b1"].pk) is None


@pytest.mark.django_db(transaction=True)
def test_the_scale_loader_leaves_figures_equal_to_a_recount():
    """seed_scale loads with the figures' triggers off, then counts them in one pass (and vacuums, outside its
    transaction): the kept figures must equal a recount, and the triggers must be on again; the foreign keys and
    indexes it drops while loading are all back, each foreign key checked (validated) against the loaded rows."""
    def schema() -> list:
        with connection.cursor() as cur:
            cur.execute("SELECT conrelid::regclass::text, conname, convalidated, condeferrable FROM pg_constraint "
                        "WHERE contype = 'f' UNION ALL SELECT tablename, indexname, true, true FROM pg_indexes "
                        "WHERE schemaname = current_schema() ORDER BY 1, 2")
            return cur.fetchall()

    before = schema()
    call_command("seed_scale", "--members", "300", "--orgs", "120", "--transfers", "40", stdout=io.StringIO())
    assert schema() == before
    assert Organization.objects.count() > 100
    consistent()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tuanji_stats%%' AND tgenabled = 'D'")
        assert cur.fetchone()[0] == 0


# --- DEFER: one refresh per transaction (the sweep, R-TR-7) -----------------------------------------------------

def _deferring() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('tuanji.stats_defer', true)")
        return cur.fetchone()[0] == "on"


def _deltas() -> int:
    return OrgStatsDelta.objects.count()


@pytest.mark.django_db
def test_deferred_refreshes_wait_for_the_flush_and_count_each_person_once(tree):
    """Between tuanji_stats_defer() and tuanji_stats_flush() the triggers only note whom to refresh; the flush
    refreshes each person once, to the figures a refresh after every statement gives."""
    member = new_member(tree["b1"])
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT tuanji_stats_defer()")
        before = _deltas()
        Membership.objects.filter(person=member, ended_at__isnull=True).update(ended_at=now, end_reason="test")
        MembershipFactory(person=member, branch=tree["b2"])
        Person.objects.filter(pk=member.pk).update(verification_status="failed")
        assert _deltas() == before  # noted, not counted yet
        with connection.cursor() as cur:
            cur.execute("SELECT tuanji_stats_flush()")
        assert not _deferring()
        # the member's one refresh: -1 at b1, +1 at b2 (one delta row an organization)
        assert _deltas() == before + 2
    consistent()


@pytest.mark.django_db(transaction=True)
def test_a_deferral_ends_with_its_transaction(tree):
    """The deferral is transaction-local: a transaction that deferred and rolled back leaves the next one
    counting at once (a setting left on would stop the figures for the rest of the connection)."""
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT tuanji_stats_defer()")
        raise RuntimeError
    assert not _deferring()
    member = new_member(tree["b1"])
    assert total(tree["b1"], "members") == 1
    Membership.objects.filter(person=member).update(ended_at=timezone.now(), end_reason="test")
    assert total(tree["b1"], "members") == 0
    consistent()


@pytest.mark.django_db
def test_the_sweep_leaves_the_figures_equal_to_a_recount(tree, django_capture_on_commit_callbacks):
    """The sweep defers the figures for its chunk and flushes them before it reads them (R-CMP standards): every
    kind of step it decides, the figures equal to a count from scratch after it, and no deferral left on."""
    cadre = new_member(tree["b1"], name="赵组委")
    CadrePostFactory(person=cadre, org=tree["b1"], title="组织委员")
    requests = [
        apply_for_transfer(member=new_member(tree["b1"], name="钱一"), to_org=tree["fb"], reason="moved"),
        transfer_out(actor=tree["b1_admin"], acting_org=tree["b1"], member=cadre, to_org=tree["fb"], reason="moved"),
        transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=new_member(tree["b2"], name="孙三").id_number,
                    name="孙三", reason="moved"),
        apply_for_transfer(member=new_member(tree["b1"], name="周五"), to_org=tree["firm"], reason="employed_with_org"),
    ]
    now = timezone.now() + dt.timedelta(days=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert auto_approve_due(now=now, batch=3) == 4
    assert not _deferring()
    assert sorted(TransferRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", flat=True)) == [
        "completed", "completed", "pending", "pending"]
    consistent()
