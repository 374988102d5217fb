"""The league life cycle (团章; issue 6 item 5): the 28th birthday boundary, the 90-day look-ahead, every status
change's permission, the superior's approval of 开除团籍, restoration, and people who left no longer counting."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import league_age
from members.models import LeagueStatusChange, Membership, Person
from members.rules import full_years
from members.selectors.lifecycle import aged_out, left_the_league, turning_28
from members.selectors.people import members_of
from members.selectors.records import member_counts, small_branches
from members.services import (
    approve_status_change,
    change_league_status,
    enter_cadre,
    enter_member,
    leave_league_in_bulk,
    reject_status_change,
    restore_member,
)
from orgs.models import Organization
from tests.factories import MembershipFactory, make_id_number
from tests.members.profiles import fill_profile
from tests.members.support import codes, denied

S = Person.LeagueStatus
TODAY = dt.date(2026, 6, 15)
REASON = "经团支部大会讨论决定"


@pytest.fixture
def at(monkeypatch):
    """Stand on a chosen day (Asia/Shanghai) for the 28th-birthday rules."""

    def stand_on(day: dt.date):
        monkeypatch.setattr(league_age, "today", lambda: day)
        return day

    stand_on(TODAY)
    return stand_on


def _member(tree, born: dt.date, branch="b1", name="李青年", **profile) -> Person:
    joined = born + dt.timedelta(days=15 * 366)
    return enter_member(actor=None, branch=tree[branch], id_number=make_id_number(born), name=name, joined_on=joined,
                        **profile)


@pytest.fixture
def older(tree, at):
    """A member of b1 past 28 (born 1990) with no post: every way of leaving is open to them."""
    return _member(tree, dt.date(1990, 1, 10), name="王老团")


def _current(person) -> Membership | None:
    return Membership.objects.filter(person=person, ended_at__isnull=True).first()


def _reload(person) -> Person:
    return Person.objects.get(pk=person.pk)


def _left(tree, person, status) -> LeagueStatusChange:
    change = change_league_status(actor=tree["b1_admin"], person=person, to_status=status, reason=REASON)
    if change.status == LeagueStatusChange.Status.PENDING:
        change = approve_status_change(actor=tree["school_admin"], change=change)
    return change


# --- the 28th birthday ------------------------------------------------------------------------------------

@pytest.mark.parametrize("today, allowed", [
    (dt.date(2026, 6, 14), False),  # the day before the 28th birthday
    (dt.date(2026, 6, 15), True),   # the birthday itself
])
def test_leaving_at_28_is_refused_the_day_before_the_birthday_and_allowed_on_it(tree, at, today, allowed):
    person = _member(tree, dt.date(1998, 6, 15))
    at(today)
    if not allowed:
        with pytest.raises(ValidationError) as exc:
            change_league_status(actor=tree["b1_admin"], person=person, to_status=S.AGED_OUT, reason=REASON)
        assert codes(exc.value) == {"not_yet_28"}
        assert _current(person) is not None and _reload(person).league_status == S.NORMAL
        return
    change = change_league_status(actor=tree["b1_admin"], person=person, to_status=S.AGED_OUT, reason=REASON)
    assert change.status == LeagueStatusChange.Status.APPROVED and change.effective_on == today
    person = _reload(person)
    assert person.league_status == S.AGED_OUT and person.league_status_on == today


@pytest.mark.parametrize("born, today, allowed", [
    (dt.date(2072, 2, 29), dt.date(2100, 2, 28), False),  # 2100 is a common year: not on 28 February…
    (dt.date(2072, 2, 29), dt.date(2100, 3, 1), True),    # …but on 1 March (R-ENT-2's rule)
    (dt.date(2000, 2, 29), dt.date(2028, 2, 28), False),  # 2028 is a leap year: the day itself
    (dt.date(2000, 2, 29), dt.date(2028, 2, 29), True),
])
def test_someone_born_on_29_february_turns_28_on_1_march_in_a_common_year(tree, at, born, today, allowed):
    person = MembershipFactory(branch=tree["b1"], person__birth_date=born).person
    at(today)
    # The list and the service agree on that day.
    assert aged_out(tree["b1"]).filter(person=person).exists() is allowed
    try:
        change_league_status(actor=tree["b1_admin"], person=person, to_status=S.AGED_OUT, reason=REASON)
    except ValidationError as exc:
        assert not allowed and codes(exc) == {"not_yet_28"}
    else:
        assert allowed and _reload(person).league_status == S.AGED_OUT


def test_the_date_helpers_agree_with_full_years_every_day():
    for born in (dt.date(2000, 2, 29), dt.date(2072, 2, 29), dt.date(1999, 3, 1), dt.date(1999, 12, 31)):
        day = league_age.birthday(born)
        assert full_years(born, day) == 28 and full_years(born, day - dt.timedelta(days=1)) == 27
    on = dt.date(2027, 1, 1)
    while on < dt.date(2029, 1, 1):
        cut = league_age.latest_birth_date(on)
        assert full_years(cut, on) >= 28 and full_years(cut + dt.timedelta(days=1), on) < 28
        on += dt.timedelta(days=1)
    assert league_age.latest_birth_date(dt.date(2100, 2, 28)) == dt.date(2072, 2, 28)


# --- listed 90 days ahead -----------------------------------------------------------------------------------

def test_members_turning_28_are_listed_from_tomorrow_to_day_90(tree, at):
    def born_for(days):  # the member whose 28th birthday is TODAY + days
        return (TODAY + dt.timedelta(days=days)).replace(year=TODAY.year - 28)

    rows = {days: _member(tree, born_for(days), name=f"第{days}天") for days in (0, 1, 90, 91)}
    listed = set(turning_28(tree["uni"]).values_list("person_id", flat=True))
    assert listed == {rows[1].pk, rows[90].pk}  # day 90 in, day 91 out; day 0 is already 28
    assert set(aged_out(tree["uni"]).values_list("person_id", flat=True)) == {rows[0].pk}


def test_the_turning_28_list_marks_who_keeps_membership_by_holding_a_post(tree, at):
    person = _member(tree, dt.date(1998, 7, 1))
    enter_cadre(actor=None, org=tree["b1"], id_number=person.id_number, name=person.name, title="组织委员")
    assert turning_28(tree["b1"]).get(person=person).holds_post is True
    at(dt.date(2026, 7, 1))
    assert not aged_out(tree["b1"]).filter(person=person).exists()  # a post keeps the membership


# --- who may change a status ------------------------------------------------------------------------------

ACTORS = [("b1_admin", True), ("school_admin", True), ("uni_admin", False), ("b2_admin", False), ("self", False)]


def _actor(tree, key, person):
    return person if key == "self" else tree[key]


@pytest.mark.parametrize("to_status", [S.AGED_OUT, S.LAPSED, S.WITHDREW, S.EXPELLED])
@pytest.mark.parametrize("key, allowed", ACTORS)
def test_each_way_of_leaving_is_open_to_the_branch_and_its_direct_superior_only(tree, older, key, allowed, to_status):
    actor = _actor(tree, key, older)
    if not allowed:
        with pytest.raises(PermissionDenied):
            change_league_status(actor=actor, person=older, to_status=to_status, reason=REASON)
        assert denied(actor, "league.change")  # R-AUTH-6
        assert not LeagueStatusChange.objects.exists() and _current(older) is not None
        return
    change = change_league_status(actor=actor, person=older, to_status=to_status, reason=REASON)
    if to_status == S.EXPELLED:  # waits for the superior
        assert change.status == LeagueStatusChange.Status.PENDING and _current(older) is not None
    else:
        assert change.status == LeagueStatusChange.Status.APPROVED and _current(older) is None
        assert _reload(older).league_status == to_status
    assert change.requested_by == actor and change.acting_org == tree[key.removesuffix("_admin")]


APPROVERS = [("school_admin", True), ("b1_admin", False), ("uni_admin", False), ("b2_admin", False),
             ("firm_admin", False), ("self", False)]


@pytest.mark.parametrize("decision", ["approve", "reject"])
@pytest.mark.parametrize("key, allowed", APPROVERS)
def test_only_the_branchs_direct_superior_decides_an_expulsion(tree, older, key, allowed, decision):
    change = change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
    actor = _actor(tree, key, older)
    service = approve_status_change if decision == "approve" else reject_status_change
    if not allowed:
        with pytest.raises(PermissionDenied):
            service(actor=actor, change=change, reason="理由写在这里")
        assert denied(actor, f"league.{decision}")
        assert LeagueStatusChange.objects.get(pk=change.pk).status == LeagueStatusChange.Status.PENDING
        return
    change = service(actor=actor, change=change, reason="理由写在这里")
    assert change.approved_by == actor
    assert (_current(older) is None) is (decision == "approve")


@pytest.mark.parametrize("from_status", [S.LAPSED, S.WITHDREW, S.EXPELLED])
@pytest.mark.parametrize("key, allowed", ACTORS)
def test_restoration_is_open_to_the_target_branch_and_its_direct_superior_only(tree, older, key, allowed, from_status):
    _left(tree, older, from_status)
    actor = _actor(tree, key, older)
    if not allowed:
        with pytest.raises(PermissionDenied):
            restore_member(actor=actor, person=older, branch=tree["b1"], reason="本人申请，支部大会同意")
        assert denied(actor, "league.restore")
        assert _reload(older).league_status == from_status
        return
    restore_member(actor=actor, person=older, branch=tree["b1"], reason="本人申请，支部大会同意")


# --- 开除团籍 waits for the superior ------------------------------------------------------------------------

def test_an_expulsion_ends_the_membership_only_when_the_superior_approves(tree, older):
    change = change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
    assert _current(older) is not None and _reload(older).league_status == S.NORMAL
    assert member_counts([tree["b1"].pk]) == {tree["b1"].pk: 1}
    approve_status_change(actor=tree["school_admin"], change=change, reason="同意")
    ended = Membership.objects.get(person=older)
    assert ended.ended_at is not None and ended.end_reason == "league:expelled"
    assert _reload(older).league_status == S.EXPELLED
    with pytest.raises(ValidationError) as exc:
        approve_status_change(actor=tree["school_admin"], change=change)
    assert codes(exc.value) == {"step_not_pending"}


def test_a_rejected_expulsion_changes_nothing_and_needs_a_reason(tree, older):
    change = change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
    with pytest.raises(ValidationError) as exc:
        reject_status_change(actor=tree["school_admin"], change=change, reason=" ")
    assert codes(exc.value) == {"reason_required"}
    change = reject_status_change(actor=tree["school_admin"], change=change, reason="事实不清，请补充材料")
    assert change.status == LeagueStatusChange.Status.REJECTED and change.decision_note == "事实不清，请补充材料"
    assert _current(older) is not None and _reload(older).league_status == S.NORMAL
    # The person may be reported again once the first one is decided.
    assert change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON).pk


def test_a_second_change_waits_while_one_is_pending(tree, older):
    change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
    with pytest.raises(ValidationError) as exc:
        change_league_status(actor=tree["b1_admin"], person=older, to_status=S.WITHDREW, reason=REASON)
    assert codes(exc.value) == {"change_pending"}


def test_the_database_holds_one_pending_change_and_never_restores_leaving_at_28(tree, older):
    from django.db import IntegrityError, transaction

    change = change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
    fields = {"person": older, "effective_on": TODAY, "reason": REASON, "branch": tree["b1"], "org_path": tree["b1"].path}
    with pytest.raises(IntegrityError), transaction.atomic():
        LeagueStatusChange.objects.create(from_status=S.NORMAL, to_status=S.LAPSED, **fields)
    reject_status_change(actor=tree["school_admin"], change=change, reason="不同意")
    with pytest.raises(IntegrityError), transaction.atomic():  # league_change_direction
        LeagueStatusChange.objects.create(from_status=S.AGED_OUT, to_status=S.NORMAL, **fields)


# --- restoration ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("from_status", [S.LAPSED, S.WITHDREW])
def test_lapsed_and_withdrawn_members_are_restored_at_once_into_a_branch(tree, older, from_status):
    _left(tree, older, from_status)
    change = restore_member(actor=tree["school_admin"], person=older, branch=tree["b2"], reason="本人申请，支部大会同意")
    assert change.status == LeagueStatusChange.Status.APPROVED and change.from_status == from_status
    assert _current(older).branch == tree["b2"] and _reload(older).league_status == S.NORMAL
    assert Membership.objects.filter(person=older).count() == 2  # the history stays


def test_an_expelled_member_is_restored_only_when_the_superior_approves(tree, older):
    _left(tree, older, S.EXPELLED)
    change = restore_member(actor=tree["b2_admin"], person=older, branch=tree["b2"], reason="本人申请，支部大会同意")
    assert change.status == LeagueStatusChange.Status.PENDING and _current(older) is None
    with pytest.raises(PermissionDenied):
        approve_status_change(actor=tree["b2_admin"], change=change)
    approve_status_change(actor=tree["school_admin"], change=change)
    assert _current(older).branch == tree["b2"] and _reload(older).league_status == S.NORMAL


def test_leaving_at_28_is_not_restored(tree, older):
    _left(tree, older, S.AGED_OUT)
    with pytest.raises(ValidationError) as exc:
        restore_member(actor=tree["b1_admin"], person=older, branch=tree["b1"], reason="本人申请恢复")
    assert codes(exc.value) == {"not_restorable"}


def test_a_current_member_is_not_restored(tree, older):
    with pytest.raises(ValidationError) as exc:
        restore_member(actor=tree["b1_admin"], person=older, branch=tree["b1"], reason="本人申请恢复")
    assert codes(exc.value) == {"already_member"}


def test_restoration_goes_into_a_branch_only(tree, older):
    _left(tree, older, S.LAPSED)
    with pytest.raises(ValidationError) as exc:
        restore_member(actor=tree["uni_admin"], person=older, branch=tree["school"], reason="本人申请恢复")
    assert codes(exc.value) == {"org_type_not_allowed"}


# --- what stops a member from leaving -----------------------------------------------------------------------

@pytest.mark.parametrize("to_status", [S.AGED_OUT, S.WITHDREW])
def test_a_member_holding_a_post_in_the_league_does_not_leave(tree, older, to_status):
    enter_cadre(actor=None, org=tree["school"], id_number=older.id_number, name=older.name, title="委员")
    with pytest.raises(ValidationError) as exc:
        change_league_status(actor=tree["b1_admin"], person=older, to_status=to_status, reason=REASON)
    assert codes(exc.value) == {"holds_post"}


def test_a_member_with_a_transfer_in_progress_does_not_leave(tree, older):
    from transfers.models import TransferRequest

    TransferRequest.objects.create(member=older, from_branch=tree["b1"], to_org=tree["b2"], reason="moved", kind="out")
    with pytest.raises(ValidationError) as exc:
        change_league_status(actor=tree["b1_admin"], person=older, to_status=S.AGED_OUT, reason=REASON)
    assert codes(exc.value) == {"transfer_in_progress"}
    with pytest.raises(ValidationError) as exc:
        leave_league_in_bulk(actor=tree["b1_admin"], acting_org=tree["b1"], people=[older])
    assert codes(exc.value) == {"transfer_in_progress"}


def test_a_status_change_needs_a_reason_and_no_future_date(tree, older):
    with pytest.raises(ValidationError) as exc:
        change_league_status(actor=tree["b1_admin"], person=older, to_status=S.LAPSED, reason="")
    assert codes(exc.value) == {"reason_required"}
    with pytest.raises(ValidationError) as exc:
        change_league_status(actor=tree["b1_admin"], person=older, to_status=S.LAPSED, reason=REASON,
                             effective_on=TODAY + dt.timedelta(days=1))
    assert codes(exc.value) == {"effective_on_future"}


# --- who left no longer counts ------------------------------------------------------------------------------

def test_who_left_no_longer_counts_in_the_branch_and_its_history_stays(tree, at):
    fill_profile(tree["b1_admin"])
    stay = [fill_profile(_member(tree, dt.date(2001, 3, i + 1), name=f"留下{i}")) for i in range(2)]
    goes = _member(tree, dt.date(1990, 1, 10), name="钱离开")  # incomplete: holds the branch back
    b1 = tree["b1"]
    assert not Organization.objects.get(pk=b1.pk).meets_standard
    assert not small_branches(tree["school"]).filter(pk=b1.pk).exists()  # three members

    _left(tree, goes, S.AGED_OUT)

    # R-CMP-3 recomputed: the admin and two complete members, nobody incomplete any more.
    assert Organization.objects.get(pk=b1.pk).meets_standard
    assert member_counts([b1.pk]) == {b1.pk: 2}
    assert set(members_of(b1)) == set(stay)
    assert small_branches(tree["school"]).filter(pk=b1.pk).exists()  # R-ORG-7: under 3 now
    history = Membership.objects.get(person=goes)
    assert history.branch_id == b1.pk and history.end_reason == "league:aged_out" and history.ended_at
    assert left_the_league(tree["uni"]).get().person == goes


# --- bulk 离团 ------------------------------------------------------------------------------------------------

def test_bulk_leaving_is_all_or_nothing(tree, at):
    ready = [_member(tree, dt.date(1997, 1, i + 1), name=f"满龄{i}") for i in range(3)]
    young = _member(tree, dt.date(1999, 1, 1), name="未满")
    with pytest.raises(ValidationError) as exc:
        leave_league_in_bulk(actor=tree["school_admin"], acting_org=tree["school"], people=[*ready, young])
    assert codes(exc.value) == {"not_yet_28"} and "未满" in " ".join(exc.value.messages)
    assert not LeagueStatusChange.objects.exists()
    assert Membership.objects.filter(person__in=ready, ended_at__isnull=True).count() == 3

    changes = leave_league_in_bulk(actor=tree["school_admin"], acting_org=tree["school"], people=ready)
    assert len(changes) == 3 and {c.status for c in changes} == {LeagueStatusChange.Status.APPROVED}
    assert not Membership.objects.filter(person__in=ready, ended_at__isnull=True).exists()
    assert set(Person.objects.filter(pk__in=[p.pk for p in ready]).values_list("league_status", flat=True)) == {S.AGED_OUT}


def test_bulk_leaving_refuses_more_than_200(tree, at):
    with pytest.raises(ValidationError) as exc:
        leave_league_in_bulk(actor=tree["b1_admin"], acting_org=tree["b1"], people=[Person(pk=i) for i in range(1, 202)])
    assert codes(exc.value) == {"batch_too_large"}


@pytest.mark.parametrize("key", ["uni_admin", "b2_admin"])
def test_bulk_leaving_is_refused_beyond_the_branch_and_its_direct_superior(tree, older, key):
    acting = tree[key.removesuffix("_admin")]
    with pytest.raises(PermissionDenied):
        leave_league_in_bulk(actor=tree[key], acting_org=acting, people=[older])
    assert denied(tree[key], "league.bulk_leave") and _current(older) is not None


# --- the pages ----------------------------------------------------------------------------------------------

def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


class TestPages:
    def test_the_28_and_over_list_shows_the_branchs_members_with_checkboxes(self, client_as, tree, older):
        html = client_as(tree["b1_admin"]).get(reverse("lifecycle:aged")).content.decode()
        assert "王老团" in html and f'name="person" value="{older.pk}"' in html
        assert older.id_number not in html and older.masked_id_number in html

    def test_two_levels_up_the_list_shows_them_without_a_checkbox(self, client_as, tree, older):
        html = client_as(tree["uni_admin"]).get(reverse("lifecycle:aged")).content.decode()
        assert "王老团" in html and f'value="{older.pk}"' not in html

    def test_a_sibling_branch_admin_sees_none_of_them_and_gets_404_on_the_person(self, client_as, tree, older):
        client = client_as(tree["b2_admin"])
        assert "王老团" not in client.get(reverse("lifecycle:aged")).content.decode()
        assert client.get(reverse("lifecycle:person", args=[older.pk])).status_code == 404
        resp = client.post(reverse("lifecycle:person", args=[older.pk]), {"to_status": "lapsed", "reason": REASON})
        assert resp.status_code == 404 and _current(older) is not None

    @pytest.mark.parametrize("name", ["aged", "turning", "left", "approvals"])
    def test_a_plain_member_is_refused_and_anonymous_sent_to_login(self, client, client_as, tree, older, name):
        url = reverse(f"lifecycle:{name}")
        resp = client.get(url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("login"))
        assert client_as(older).get(url).status_code == 403

    def test_bulk_leaving_asks_for_confirmation_first(self, client_as, tree, older):
        client = client_as(tree["b1_admin"])
        url = reverse("lifecycle:aged_leave")
        html = client.post(url, {"person": [older.pk]}).content.decode()
        assert "确认办理离团" in html and _current(older) is not None
        resp = client.post(url, {"person": [older.pk], "confirm": "1"})
        assert resp.status_code == 302 and resp.url == reverse("lifecycle:left")
        assert _current(older) is None and _reload(older).league_status == S.AGED_OUT

    def test_bulk_leaving_refuses_someone_not_on_the_list(self, client_as, tree, older, member):
        resp = client_as(tree["b1_admin"]).post(reverse("lifecycle:aged_leave"),
                                                {"person": [older.pk, member.pk], "confirm": "1"})
        assert resp.status_code == 302 and _current(older) is not None

    def test_a_status_change_from_the_person_page_needs_a_reason(self, client_as, tree, older):
        client = client_as(tree["b1_admin"])
        url = reverse("lifecycle:person", args=[older.pk])
        html = client.post(url, {"to_status": "withdrew", "reason": ""}).content.decode()
        assert "请写明原因" in html and _current(older) is not None
        resp = client.post(url, {"to_status": "withdrew", "reason": "本人申请退团，支部大会同意"})
        assert resp.status_code == 302 and _reload(older).league_status == S.WITHDREW

    def test_the_member_themself_cannot_post_a_change(self, client_as, tree, older):
        # An admin of another branch who is also this person: refused, whatever they post.
        enter_cadre(actor=None, org=tree["b2"], id_number=older.id_number, name=older.name, title="委员", is_admin=True)
        client = client_as(older, tree["b2"])
        resp = client.post(reverse("lifecycle:person", args=[older.pk]), {"to_status": "lapsed", "reason": REASON})
        assert resp.status_code in (403, 404) and _current(older) is not None

    def test_the_superior_approves_from_the_approvals_page(self, client_as, tree, older):
        change = change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
        assert client_as(tree["b1_admin"]).post(reverse("lifecycle:approve", args=[change.pk])).status_code == 404
        client = client_as(tree["school_admin"])
        assert "王老团" in client.get(reverse("lifecycle:approvals")).content.decode()
        assert client.post(reverse("lifecycle:approve", args=[change.pk]), {"note": "同意"}).status_code == 302
        assert _reload(older).league_status == S.EXPELLED

    def test_a_sibling_admin_cannot_decide(self, client_as, tree, older):
        change = change_league_status(actor=tree["b1_admin"], person=older, to_status=S.EXPELLED, reason=REASON)
        client = client_as(tree["firm_admin"])
        assert client.post(reverse("lifecycle:reject", args=[change.pk]), {"reason": "不同意"}).status_code == 404
        assert LeagueStatusChange.objects.get(pk=change.pk).status == LeagueStatusChange.Status.PENDING

    def test_restoring_from_the_left_list(self, client_as, tree, older):
        _left(tree, older, S.LAPSED)
        client = client_as(tree["b1_admin"])
        html = client.get(reverse("lifecycle:left"), {"restorable": "1"}).content.decode()
        assert "王老团" in html and "恢复团籍" in html
        assert client.get(reverse("lifecycle:person", args=[older.pk])).status_code == 200
        resp = client.post(reverse("lifecycle:restore", args=[older.pk]),
                           {"branch": tree["b1"].pk, "reason": "本人申请，支部大会同意"})
        assert resp.status_code == 302 and _current(older).branch == tree["b1"]

    def test_the_turning_28_list_shows_the_date(self, client_as, tree, at):
        _member(tree, dt.date(1998, 7, 1), name="快满")
        html = client_as(tree["school_admin"]).get(reverse("lifecycle:turning")).content.decode()
        assert "快满" in html and "2026-07-01" in html and "还有 16 天" in html

    @pytest.mark.parametrize("name", ["turning", "aged"])
    def test_the_lists_cost_the_same_queries_for_5_or_50_people(self, client_as, tree, at, name):
        born = dt.date(1998, 7, 1) if name == "turning" else dt.date(1990, 7, 1)
        client = client_as(tree["school_admin"])
        url = reverse(f"lifecycle:{name}")
        MembershipFactory.create_batch(5, branch=tree["b1"], person__birth_date=born)
        client.get(url)  # warm up
        five = count_queries(client, url)
        MembershipFactory.create_batch(45, branch=tree["b2"], person__birth_date=born)
        fifty = count_queries(client, url)
        rows = turning_28(tree["school"]) if name == "turning" else aged_out(tree["school"])
        assert rows.count() == 50
        assert five == fifty


def test_the_life_cycle_page_of_someone_who_left_closes_once_they_are_a_member_elsewhere(client_as, tree, member):
    """Found by the attack review of issue 10: the old branch kept reading the person's new branch and history."""
    from django.urls import reverse

    from transfers.services import batch_transfer

    change_league_status(actor=tree["b1_admin"], person=member, to_status=S.WITHDREW, reason="本人申请退团")
    restore_member(actor=tree["b1_admin"], person=member, branch=tree["b1"], reason="本人申请，支部大会同意")
    url = reverse("lifecycle:person", args=[member.pk])
    client = client_as(tree["b1_admin"], tree["b1"])
    assert client.get(url).status_code == 200
    batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"], members=[member],
                   to_branch=tree["b2"], reason="other", note="班级调整，整体转入二班")
    assert client.get(url).status_code == 404
    assert client_as(tree["b2_admin"], tree["b2"]).get(url).status_code == 200
