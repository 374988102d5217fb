"""Graduation season (R-TR-14): marking branches, flagging members, each graduate's state against 30 June,
reminders, the page, its export, and who may do each of these (R-AUTH-1/2, refusals audited: R-AUTH-6).

Branch 1 of the shared tree graduates in 2027 (expected 2027-06-30); the server runs in UTC."""
import datetime as dt
import io
import zoneinfo
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from members.models import Membership
from orgs.models import OrgType
from reports.graduation import State, default_year, graduates, state_counts
from reports.models import BranchGraduation, GraduateFlag
from reports.services import (
    REMINDER,
    REMINDER_ADMIN,
    clear_graduation,
    flag_graduate,
    send_graduation_reminders,
    set_graduation,
    unflag_graduate,
)
from tests.factories import CadrePostFactory, MembershipFactory, OrganizationFactory, PersonFactory
from tests.transfers.support import new_member, pending_step
from transfers.models import Message, TransferRequest
from transfers.services import apply_for_transfer, approve, batch_transfer, reject

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
YEAR = 2027
JUNE_30 = dt.date(YEAR, 6, 30)
URL = reverse("reports:graduation")


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def graduating(tree):
    set_graduation(actor=tree["uni_admin"], acting_org=tree["uni"], branches=[tree["b1"]], expected_on=JUNE_30)
    return tree["b1"]


def state_of(tree, person, acting="uni"):
    return graduates(acting_org=tree[acting], year=YEAR).get(pk=person.pk).state


def batch(tree, person, when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"],
                              members=[person], to_branch=tree["b2"], reason="employed_with_org")[0]


def denied(actor, action):
    return AuditEvent.objects.filter(actor=actor, action=action, result=AuditEvent.Result.DENIED)


# --- states --------------------------------------------------------------------------------------------------

def test_a_member_with_no_transfer_has_not_started(tree, graduating):
    person = new_member(graduating)
    assert state_of(tree, person) == State.NOT_STARTED


def test_a_rejected_or_withdrawn_transfer_leaves_the_member_not_started(tree, graduating):
    person = new_member(graduating)
    request = apply_for_transfer(member=person, to_org=tree["fb"], reason="employed_with_org")
    reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request), reason="单位名称有误")
    assert state_of(tree, person) == State.NOT_STARTED


def test_pending_at_the_out_step_names_the_branch_deciding(tree, graduating):
    person = new_member(graduating)
    apply_for_transfer(member=person, to_org=tree["fb"], reason="employed_with_org")
    row = graduates(acting_org=tree["uni"], year=YEAR).get(pk=person.pk)
    assert row.state == State.PENDING_OUT and row.step_org == tree["b1"].full_name


def test_pending_at_the_in_step_names_the_receiving_side(tree, graduating):
    person = new_member(graduating)
    request = apply_for_transfer(member=person, to_org=tree["fb"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    row = graduates(acting_org=tree["uni"], year=YEAR).get(pk=person.pk)
    assert row.state == State.PENDING_IN and row.step_org == tree["fb"].full_name


def test_pending_at_the_assign_step_names_the_committee(tree, graduating):
    person = new_member(graduating)
    request = apply_for_transfer(member=person, to_org=tree["firm"], reason="employed_with_org")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    approve(actor=tree["firm_admin"], acting_org=tree["firm"], step=pending_step(request))
    row = graduates(acting_org=tree["uni"], year=YEAR).get(pk=person.pk)
    assert row.state == State.PENDING_ASSIGN and row.step_org == tree["firm"].full_name


def test_completed_by_the_end_of_30_june_is_on_time(tree, graduating):
    person = new_member(graduating)
    batch(tree, person, dt.datetime(YEAR, 6, 30, 23, 59, 59, tzinfo=SH))   # 15:59:59 UTC
    row = graduates(acting_org=tree["uni"], year=YEAR).get(pk=person.pk)
    assert row.state == State.DONE_ON_TIME
    assert row.done_to == tree["b2"].full_name and row.grad_branch_id == graduating.pk


def test_completed_from_1_july_is_late(tree, graduating):
    person = new_member(graduating)
    batch(tree, person, dt.datetime(YEAR, 7, 1, 0, 0, 0, tzinfo=SH))        # 30 June 16:00 UTC
    assert state_of(tree, person) == State.DONE_LATE


def test_a_member_kept_at_school_is_kept_whatever_the_transfer(tree, graduating):
    person = new_member(graduating)
    flag_graduate(actor=tree["b1_admin"], acting_org=tree["b1"], person=person, year=YEAR, kind="kept", note="保研本校")
    apply_for_transfer(member=person, to_org=tree["fb"], reason="further_study")
    row = graduates(acting_org=tree["uni"], year=YEAR).get(pk=person.pk)
    assert row.state == State.KEPT and row.flag_note == "保研本校"


def test_a_delayed_graduate_is_left_out_of_the_list_and_the_total(tree, graduating):
    stays, delayed = new_member(graduating, "按期"), new_member(graduating, "延期")
    flag_graduate(actor=tree["b1_admin"], acting_org=tree["b1"], person=delayed, year=YEAR, kind="delayed")
    from reports.graduation import filter_state

    listed = filter_state(graduates(acting_org=tree["uni"], year=YEAR), "")
    assert list(listed.values_list("name", flat=True)) == ["按期"]
    counts = state_counts(graduates(acting_org=tree["uni"], year=YEAR))
    assert counts["total"] == 1 and counts["delayed"] == 1
    # A flag of another year changes nothing this year.
    assert state_of(tree, stays) == State.NOT_STARTED


def test_a_transfer_before_the_season_opened_is_not_a_graduate(tree, graduating):
    person = new_member(graduating)
    request = batch(tree, person, dt.datetime(YEAR - 1, 8, 31, 23, 0, tzinfo=SH))
    assert not graduates(acting_org=tree["uni"], year=YEAR).filter(pk=person.pk).exists()
    TransferRequest.objects.filter(pk=request.pk).update(finished_at=dt.datetime(YEAR - 1, 9, 1, tzinfo=SH))
    assert state_of(tree, person) == State.DONE_ON_TIME


def test_branches_of_another_year_or_outside_the_subtree_are_not_listed(tree, graduating):
    mine = new_member(graduating)
    other_year = new_member(tree["b2"])
    set_graduation(actor=None, acting_org=None, branches=[tree["b2"]], expected_on=dt.date(YEAR + 1, 6, 30))
    outside = new_member(tree["fb"])
    set_graduation(actor=None, acting_org=None, branches=[tree["fb"]], expected_on=JUNE_30)
    found = set(graduates(acting_org=tree["uni"], year=YEAR).values_list("pk", flat=True))
    assert found == {mine.pk}
    assert other_year.pk not in found and outside.pk not in found


def test_counts_per_state_in_one_query(tree, graduating, django_assert_num_queries):
    people = [new_member(graduating, f"毕业生{i}") for i in range(4)]
    apply_for_transfer(member=people[0], to_org=tree["fb"], reason="employed_with_org")
    batch(tree, people[1], dt.datetime(YEAR, 6, 1, tzinfo=SH))
    flag_graduate(actor=None, acting_org=None, person=people[2], year=YEAR, kind="kept")
    with django_assert_num_queries(1):
        counts = state_counts(graduates(acting_org=tree["uni"], year=YEAR))
    assert (counts["not_started"], counts["pending_out"], counts["done_on_time"], counts["kept"]) == (1, 1, 1, 1)
    assert (counts["pending"], counts["completed"], counts["total"]) == (1, 1, 4)


def test_the_season_in_progress_turns_in_september():
    assert default_year(dt.date(2026, 8, 31)) == 2026
    assert default_year(dt.date(2026, 9, 1)) == 2027


# --- writes and who may make them -----------------------------------------------------------------------------

ALLOWED = [("b1_admin", "b1"), ("school_admin", "school"), ("uni_admin", "uni")]


@pytest.mark.parametrize("who,org", ALLOWED)
def test_the_branch_its_superior_and_the_committee_above_may_mark_it(tree, who, org):
    assert set_graduation(actor=tree[who], acting_org=tree[org], branches=[tree["b1"]], expected_on=JUNE_30) == 1
    mark = BranchGraduation.objects.get(branch=tree["b1"])
    assert mark.expected_on == JUNE_30 and mark.set_by == tree[who]
    assert AuditEvent.objects.filter(action="graduation.set", actor=tree[who], target_id=str(tree["b1"].pk)).exists()
    assert clear_graduation(actor=tree[who], acting_org=tree[org], branch=tree["b1"]) is True
    assert not BranchGraduation.objects.filter(branch=tree["b1"]).exists()


def test_marking_the_same_date_again_changes_nothing(tree, graduating):
    assert set_graduation(actor=tree["uni_admin"], acting_org=tree["uni"], branches=[graduating],
                          expected_on=JUNE_30) == 0
    assert AuditEvent.objects.filter(action="graduation.set").count() == 1


def test_a_sibling_branch_admin_may_not_mark_or_clear(tree, graduating):
    with pytest.raises(PermissionDenied):
        set_graduation(actor=tree["b2_admin"], acting_org=tree["b2"], branches=[tree["b1"]],
                       expected_on=dt.date(YEAR, 7, 15))
    with pytest.raises(PermissionDenied):
        clear_graduation(actor=tree["b2_admin"], acting_org=tree["b2"], branch=tree["b1"])
    assert BranchGraduation.objects.get(branch=tree["b1"]).expected_on == JUNE_30
    assert denied(tree["b2_admin"], "graduation.set").count() == 1
    assert denied(tree["b2_admin"], "graduation.clear").count() == 1


def test_acting_as_an_organization_without_a_post_there_is_refused(tree):
    with pytest.raises(PermissionDenied):
        set_graduation(actor=tree["b1_admin"], acting_org=tree["school"], branches=[tree["b1"]], expected_on=JUNE_30)
    assert denied(tree["b1_admin"], "graduation.set").exists()


def test_only_active_branches_can_be_marked(tree):
    with pytest.raises(ValidationError) as exc:
        set_graduation(actor=tree["uni_admin"], acting_org=tree["uni"], branches=[tree["school"]], expected_on=JUNE_30)
    assert exc.value.error_dict["branches"][0].code == "not_a_branch"


@pytest.mark.parametrize("who,org", ALLOWED)
def test_the_branch_its_superior_and_the_committee_above_may_flag_and_unflag(tree, graduating, who, org):
    person = new_member(graduating)
    flag_graduate(actor=tree[who], acting_org=tree[org], person=person, year=YEAR, kind="delayed", note="休学")
    assert GraduateFlag.objects.get(person=person, year=YEAR).kind == "delayed"
    assert AuditEvent.objects.filter(action="graduation.flag", actor=tree[who]).exists()
    assert unflag_graduate(actor=tree[who], acting_org=tree[org], person=person, year=YEAR) is True
    assert not GraduateFlag.objects.filter(person=person).exists()
    assert AuditEvent.objects.filter(action="graduation.unflag", actor=tree[who]).exists()


def test_a_sibling_branch_admin_may_not_flag_or_unflag(tree, graduating):
    person = new_member(graduating)
    flag_graduate(actor=None, acting_org=None, person=person, year=YEAR, kind="kept")
    with pytest.raises(PermissionDenied):
        flag_graduate(actor=tree["b2_admin"], acting_org=tree["b2"], person=person, year=YEAR, kind="delayed")
    with pytest.raises(PermissionDenied):
        unflag_graduate(actor=tree["b2_admin"], acting_org=tree["b2"], person=person, year=YEAR)
    assert GraduateFlag.objects.get(person=person).kind == "kept"
    assert denied(tree["b2_admin"], "graduation.flag").count() == 1
    assert denied(tree["b2_admin"], "graduation.unflag").count() == 1


def test_a_flag_needs_a_known_kind(tree, graduating):
    person = new_member(graduating)
    with pytest.raises(ValidationError) as exc:
        flag_graduate(actor=tree["b1_admin"], acting_org=tree["b1"], person=person, year=YEAR, kind="abroad")
    assert exc.value.error_dict["kind"][0].code == "kind_invalid"


@pytest.mark.parametrize("who,org", ALLOWED)
def test_reminders_go_to_those_not_started_and_their_branch_admins(tree, graduating, who, org):
    idle, busy = new_member(graduating, "未办"), new_member(graduating, "在办")
    apply_for_transfer(member=busy, to_org=tree["fb"], reason="employed_with_org")
    sent = send_graduation_reminders(actor=tree[who], acting_org=tree[org], year=YEAR)
    assert sent == {"members": 1, "admins": 1, "skipped": 0}
    assert Message.objects.filter(event=REMINDER).get().recipient == idle
    to_admin = Message.objects.get(event=REMINDER_ADMIN)
    assert to_admin.recipient == tree["b1_admin"] and "1名毕业生" in to_admin.text
    assert f"branch={graduating.pk}" in to_admin.link
    assert AuditEvent.objects.filter(action="graduation.remind", actor=tree[who]).exists()


def test_a_second_reminder_within_24_hours_sends_nothing_twice(tree, graduating):
    new_member(graduating)
    send_graduation_reminders(actor=tree["uni_admin"], acting_org=tree["uni"], year=YEAR)
    again = send_graduation_reminders(actor=tree["uni_admin"], acting_org=tree["uni"], year=YEAR)
    assert again == {"members": 0, "admins": 0, "skipped": 1}
    assert Message.objects.filter(event=REMINDER).count() == 1


def test_a_sibling_branch_admin_may_not_remind_another_branch(tree, graduating):
    new_member(graduating)
    with pytest.raises(PermissionDenied):
        send_graduation_reminders(actor=tree["b2_admin"], acting_org=tree["b2"], year=YEAR, branch=graduating)
    assert not Message.objects.filter(event=REMINDER).exists()
    assert denied(tree["b2_admin"], "graduation.remind").count() == 1
    # Acting as their own branch, they reach nobody of branch 1.
    assert send_graduation_reminders(actor=tree["b2_admin"], acting_org=tree["b2"], year=YEAR)["members"] == 0


# --- pages --------------------------------------------------------------------------------------------------

def test_the_page_lists_graduates_with_their_state_and_counts(tree, graduating, client_as):
    idle, busy = new_member(graduating, "未办"), new_member(graduating, "在办")
    apply_for_transfer(member=busy, to_org=tree["fb"], reason="employed_with_org")
    resp = client_as(tree["uni_admin"], tree["uni"]).get(URL, {"year": YEAR})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "未办" in page and "在办" in page and idle.masked_id_number in page and idle.id_number not in page
    assert resp.context["counts"]["not_started"] == 1 and resp.context["counts"]["pending_out"] == 1
    filtered = client_as(tree["uni_admin"], tree["uni"]).get(URL, {"year": YEAR, "state": "pending"})
    assert [r.name for r in filtered.context["rows"]] == ["在办"]


def test_the_page_refuses_a_plain_member(member, client_as):
    assert client_as(member).get(URL).status_code == 403


def test_the_page_sends_the_anonymous_to_sign_in(client):
    resp = client.get(URL)
    assert resp.status_code == 302 and resp.url.startswith(reverse("login"))


def test_a_sibling_admin_gets_404_for_another_branch(tree, graduating, client_as):
    person = new_member(graduating)
    client = client_as(tree["b2_admin"], tree["b2"])
    assert client.get(reverse("reports:graduation_branch", args=[graduating.pk])).status_code == 404
    assert client.get(URL, {"year": YEAR, "branch": graduating.pk}).status_code == 404
    assert client.post(reverse("reports:graduation_flag", args=[graduating.pk]),
                       {"person": person.pk, "year": YEAR, "kind": "delayed"}).status_code == 404
    assert client.post(reverse("reports:graduation_remind"), {"year": YEAR, "branch": graduating.pk}).status_code == 404
    assert client.post(reverse("reports:graduation_branches"),
                       {"branch": [graduating.pk], "expected_on": "2027-07-10"}).status_code == 404
    assert not GraduateFlag.objects.exists() and not Message.objects.filter(event=REMINDER).exists()
    assert BranchGraduation.objects.get(branch=graduating).expected_on == JUNE_30
    assert person.name not in client.get(URL, {"year": YEAR}).content.decode()


def test_the_branch_page_marks_and_flags(tree, client_as):
    person = new_member(tree["b1"], "王同学")
    client = client_as(tree["school_admin"], tree["school"])
    url = reverse("reports:graduation_branch", args=[tree["b1"].pk])
    assert client.post(url, {"action": "set", "expected_on": "2027-06-30"}).status_code == 302
    assert BranchGraduation.objects.get(branch=tree["b1"]).expected_on == JUNE_30
    resp = client.post(reverse("reports:graduation_flag", args=[tree["b1"].pk]),
                       {"person": person.pk, "year": YEAR, "kind": "kept", "note": "出国深造"})
    assert resp.status_code == 302
    assert GraduateFlag.objects.get(person=person, year=YEAR).note == "出国深造"
    page = client.get(url).content.decode()
    assert "王同学" in page and "出国深造" in page
    client.post(reverse("reports:graduation_flag", args=[tree["b1"].pk]), {"person": person.pk, "year": YEAR, "kind": ""})
    assert not GraduateFlag.objects.exists()
    client.post(url, {"action": "clear"})
    assert not BranchGraduation.objects.exists()


def test_the_marking_page_marks_several_branches_at_once(tree, client_as):
    client = client_as(tree["uni_admin"], tree["uni"])
    page = client.get(reverse("reports:graduation_branches"))
    assert page.status_code == 200 and tree["b1"].full_name in page.content.decode()
    assert tree["fb"].full_name not in page.content.decode()
    resp = client.post(reverse("reports:graduation_branches"),
                       {"branch": [tree["b1"].pk, tree["b2"].pk], "expected_on": "2027-06-30"})
    assert resp.status_code == 302
    assert BranchGraduation.objects.filter(expected_on=JUNE_30).count() == 2


def test_the_remind_button_reminds(tree, graduating, client_as):
    new_member(graduating)
    resp = client_as(tree["school_admin"], tree["school"]).post(reverse("reports:graduation_remind"), {"year": YEAR})
    assert resp.status_code == 302 and f"year={YEAR}" in resp.url
    assert Message.objects.filter(event=REMINDER).count() == 1


def test_the_remind_button_only_posts(tree, client_as):
    assert client_as(tree["uni_admin"], tree["uni"]).get(reverse("reports:graduation_remind")).status_code == 405


def test_the_export_masks_id_numbers_and_quotes_formulas(tree, graduating, client_as):
    person = new_member(graduating, "王同学")
    formula = PersonFactory(name="@SUM(1+1)")
    MembershipFactory(person=formula, branch=graduating)
    late = new_member(graduating, "晚办")
    batch(tree, late, dt.datetime(YEAR, 7, 2, 9, 0, tzinfo=SH))
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse("reports:graduation_export"), {"year": YEAR})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    text = "".join(str(c) for r in ws.iter_rows(values_only=True) for c in r if c is not None)
    assert person.id_number not in text and person.masked_id_number in text
    assert any(r[1] == "'@SUM(1+1)" for r in rows)
    (row,) = [r for r in rows if r[1] == "晚办"]
    assert row[3] == State.LABELS[State.DONE_LATE] and row[4] == tree["b2"].full_name
    assert row[5] == "2027-07-02 09:00" and row[6] == "否"   # Shanghai time, though the server runs in UTC


def _university(n_branches, members_each=2):
    top = OrganizationFactory(full_name=f"毕业测试大学{n_branches}团委", org_type=OrgType.COMMITTEE)
    branches = [OrganizationFactory(full_name=f"毕业测试大学{n_branches}第{i}团支部", parent=top) for i in range(n_branches)]
    for branch in branches:
        for _ in range(members_each):
            MembershipFactory(branch=branch)
    set_graduation(actor=None, acting_org=None, branches=branches, expected_on=JUNE_30)
    return top, CadrePostFactory(org=top, is_admin=True).person


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, {"year": YEAR}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [URL, reverse("reports:graduation_export")])
def test_the_page_costs_the_same_queries_for_10_and_500_organizations(client_as, url, monkeypatch):
    from reports import season_views

    # issue 18: the count by reason is shown up to REASONS_MAX_BRANCHES graduating branches; here, for both sizes
    monkeypatch.setattr(season_views, "REASONS_MAX_BRANCHES", 1000)
    small, small_admin = _university(9)
    large, large_admin = _university(499, members_each=1)
    few = _queries(client_as(small_admin, small), url)
    assert few == _queries(client_as(large_admin, large), url)
    # the page: the graduating branches (short rows), their counts (kept on PostgreSQL, live on SQLite), a page of
    # graduates, the years, and the session's own (issue 13); the graduates by reason (issue 18: one grouped query)
    assert few <= 12, few


def test_membership_history_is_what_the_page_reads(tree, graduating):
    """A graduate who left keeps the graduating branch as theirs: the ended membership is the history."""
    person = new_member(graduating)
    batch(tree, person, dt.datetime(YEAR, 6, 1, tzinfo=SH))
    assert Membership.objects.get(person=person, ended_at__isnull=False).branch == graduating
    row = graduates(acting_org=tree["uni"], year=YEAR).get(pk=person.pk)
    assert row.grad_branch_name == graduating.full_name


def test_the_demo_season_is_seeded_once(tree):
    from orgs.services import create_org
    from reports.demo import next_30_june, seed_season

    branch = create_org(actor=None, full_name="信息学院2022级3班团支部", org_type=OrgType.BRANCH, parent=tree["school"])
    for name in ("甲", "乙", "丙"):
        new_member(branch, name)
    seed_season()
    events = AuditEvent.objects.count()
    seed_season()
    assert AuditEvent.objects.count() == events
    assert BranchGraduation.objects.get(branch=branch).expected_on == next_30_june()
    assert sorted(GraduateFlag.objects.values_list("kind", flat=True)) == ["delayed", "kept"]
    assert not BranchGraduation.objects.filter(branch=tree["b1"]).exists()
    assert next_30_june(dt.date(2026, 6, 30)) == dt.date(2026, 6, 30)
    assert next_30_june(dt.date(2026, 7, 1)) == dt.date(2027, 6, 30)


def test_marking_without_a_branch_ticked_says_so(tree, client_as):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(reverse("reports:graduation_branches"),
                                                          {"expected_on": "2027-06-30"})
    assert resp.status_code == 200 and "请至少选择一个团支部" in resp.content.decode()
    assert not BranchGraduation.objects.exists()


def test_the_nav_links_show_for_admins_only(tree, rf):
    from django.template.loader import render_to_string

    request = rf.get(URL)
    request.resolver_match = mock.Mock(view_name="reports:graduation")
    links = render_to_string("reports/_nav_season.html", {"acting_org": tree["uni"], "request": request})
    assert reverse("reports:graduation") in links and reverse("reports:roster") in links
    assert links.count('aria-current="page"') == 1
    assert render_to_string("reports/_nav_season.html", {"acting_org": None, "request": request}).strip() == ""
