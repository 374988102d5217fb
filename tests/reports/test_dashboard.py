"""The dashboard of a subtree and the transfer statistics (issue 6 items 1, 4 and 6): figures right on a small
tree built through the services, who may open the pages, the same query count for 10 and 500 organizations,
and the median computed by the database on SQLite and on PostgreSQL."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Person
from members.services import enter_member
from orgs.models import OrgType
from orgs.services import create_org
from reports.selectors.dashboard import by_child, dashboard, flagged_orgs, pending_by_range, steps_behind, transfer_figures
from reports.selectors.transfer_stats import transfer_stats
from tests.factories import CadrePostFactory, MembershipFactory, OrganizationFactory, PersonFactory, make_id_number
from tests.members.profiles import FULL_PROFILE
from transfers.models import ApprovalStep, TransferRequest
from transfers.services import apply_for_transfer, approve, auto_approve_due, reject, transfer_in

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def enter(branch, name, **profile):
    return enter_member(actor=None, branch=branch, id_number=make_id_number(dt.date(2000, 3, 1)), name=name,
                        joined_on=dt.date(2015, 5, 4), **profile)


def age(step, *, created_ago, decided_ago=None, now=None):
    """Move a step back in time, as the demo data does: the only direct write in these tests."""
    now = now or timezone.now()
    fields = {"created_at": now - created_ago}
    if step.due_at:
        fields["due_at"] = now - created_ago + (step.due_at - step.created_at)
    if decided_ago is not None:
        fields["decided_at"] = now - decided_ago
    ApprovalStep.objects.filter(pk=step.pk).update(**fields)


@pytest.fixture
def uni(tree, member, django_capture_on_commit_callbacks):
    """The university's subtree: b1 with 3 members (one failing verification, one complete), b2 with 1, an
    empty b3; transfers pending (one overdue), one approved automatically, one waiting at the school."""
    t = tree
    with django_capture_on_commit_callbacks(execute=True):  # R-VER: verification runs after commit
        t["b1_done"] = enter(t["b1"], "王完整", **FULL_PROFILE)
        t["b1_bad"] = enter(t["b1"], "Li4")  # not a plausible name: verification fails
        t["b2_one"] = enter(t["b2"], "赵一")
        t["fb_one"] = enter(t["fb"], "钱二")
    Person.objects.filter(pk=t["b2_one"].pk).update(dev_number_issue="taken")  # a legacy record (R-ENT-5)
    t["b3"] = create_org(actor=None, full_name="信息学院3班团支部", org_type=OrgType.BRANCH, parent=t["school"])

    t["t_pending"] = apply_for_transfer(member=member, to_org=t["fb"], reason="moved")
    t["t_overdue"] = apply_for_transfer(member=t["b2_one"], to_org=t["fb"], reason="moved")
    age(t["t_overdue"].steps.get(), created_ago=4 * DAY)  # R-TR-8: more than 72 hours
    t["t_auto"] = apply_for_transfer(member=t["b1_bad"], to_org=t["fb"], reason="job_change")
    age(t["t_auto"].steps.get(), created_ago=16 * DAY)
    assert auto_approve_due() == 1  # R-TR-7
    t["t_in"] = apply_for_transfer(member=t["fb_one"], to_org=t["school"], reason="further_study")
    approve(actor=t["fb_admin"], acting_org=t["fb"], step=t["t_in"].steps.get())  # now IN at the school
    return t


# --- figures ------------------------------------------------------------------------------------------------

def test_it_counts_organizations_and_their_problems(uni):
    figures = dashboard(uni["uni"])
    assert figures["orgs"] == {"orgs": 5, "branches": 3, "meeting": figures["orgs"]["meeting"], "small": 2,
                               "empty": 1, "no_cadres": 1, "branches_no_cadres": 1}
    # R-ORG-7: b2 has one member, b3 none; b1 has three.
    assert [o.pk for o in figures["small"]] == [uni["b3"].pk, uni["b2"].pk]
    assert [o.n_members for o in figures["small"]] == [0, 1]
    assert list(flagged_orgs(uni["uni"], "empty")) == [uni["b3"]]


def test_it_counts_people_as_the_filtered_lists_do(uni):
    people = dashboard(uni["uni"])["people"]
    assert people["members"] == {"total": 4, "incomplete": 3, "pending": 1, "failed": 1, "dev_issue": 1}
    # The four admins were entered without verification running (the fixture's), all incomplete.
    assert people["cadres"] == {"total": 4, "incomplete": 4, "pending": 4, "failed": 0, "dev_issue": 0}


def test_it_counts_transfers_pending_overdue_and_automatic(uni):
    transfers = dashboard(uni["uni"])["transfers"]
    # b1's and b2's OUT steps, the school's IN step; the school is a direct child: the university's inbox.
    assert transfers["steps"] == {"pending": 3, "overdue": 1, "auto": 1, "inbox": 1}
    assert transfers["requests"] == {"pending": 4, "completed": 0, "rejected": 0, "withdrawn": 0}
    assert list(steps_behind(uni["uni"], "overdue")) == [uni["t_overdue"].steps.get(kind="out")]
    assert [s.request_id for s in steps_behind(uni["uni"], "auto")] == [uni["t_auto"].pk]


def test_an_automatic_approval_older_than_30_days_no_longer_counts(uni):
    step = uni["t_auto"].steps.get(kind="out")
    later = step.decided_at + dt.timedelta(days=30, seconds=1)
    assert dashboard(uni["uni"], now=later)["transfers"]["steps"]["auto"] == 0
    assert dashboard(uni["uni"], now=later - dt.timedelta(seconds=2))["transfers"]["steps"]["auto"] == 1


def test_it_breaks_the_figures_down_by_child(uni):
    (school,) = dashboard(uni["uni"])["children"]
    assert school["org"] == uni["school"]
    assert (school["members"], school["pending"], school["overdue"], school["total"]) == (4, 3, 1, 4)


@pytest.mark.parametrize("key", ["central", "province", "uni", "school", "b1"])
def test_the_pending_steps_counted_per_range_are_those_of_one_scan_of_the_subtree(uni, key):
    """pending_by_range (the dashboard on PostgreSQL: the organization's own steps, then one index range per child,
    issue 13) gives the figures and the children's columns that one grouped scan of the subtree gives."""
    org = uni[key]
    ranges = pending_by_range(org)
    assert transfer_figures(org, ranges=ranges)["steps"] == transfer_figures(org)["steps"]

    def columns(given):
        return [(r["org"].pk, r["pending"], r["overdue"]) for r in by_child(org, ranges=given)]

    assert columns(ranges) == columns(None)
    assert sum(r["pending"] for r in ranges.values()) == ApprovalStep.objects.filter(
        status="pending", org_path__startswith=org.path).count()


# --- transfer statistics ---------------------------------------------------------------------------------

def decided(org, took, *, status="approved", reason="moved", ago=DAY, kind="out"):
    """A decided step of a finished transfer, `took` after its creation (plain rows: exact times)."""
    now = timezone.now()
    person = PersonFactory()
    request = TransferRequest.objects.create(
        member=person, from_branch=org, to_org=org, reason=reason, kind=TransferRequest.Kind.SELF,
        status="rejected" if status == "rejected" else "completed", created_at=now - ago - took)
    return ApprovalStep.objects.create(request=request, kind=kind, org=org, org_path=org.path, status=status,
                                       created_at=now - ago - took, decided_at=now - ago)


def test_the_median_is_the_middle_duration_of_each_child(tree):
    """Odd and even group sizes, on whichever database runs the suite (CI runs both)."""
    for hours in (1, 2, 6):
        decided(tree["b1"], hours * HOUR)
    for hours in (1, 3, 5, 11):
        decided(tree["fb"], hours * HOUR, kind="in")
    stats = transfer_stats(tree["province"])
    rows = {r["org"].pk: r for r in stats["rows"]}
    assert rows[tree["uni"].pk]["median"] == 2 * HOUR
    assert rows[tree["firm"].pk]["median"] == 4 * HOUR  # (3 + 5) / 2
    assert stats["total"]["median"] == 3 * HOUR  # 1 1 2 [3] 5 6 11
    assert stats["total"]["decided"] == 7


def test_the_median_keeps_seconds(tree):
    decided(tree["b1"], dt.timedelta(minutes=10, seconds=30))
    decided(tree["b1"], dt.timedelta(minutes=20))
    assert transfer_stats(tree["uni"])["total"]["median"] == dt.timedelta(minutes=15, seconds=15)


def test_it_reports_the_automatic_share_and_rejections_by_reason(tree):
    decided(tree["b1"], 16 * DAY, status="auto_approved")
    decided(tree["b1"], 2 * HOUR)
    decided(tree["b2"], 3 * HOUR, status="rejected", reason="moved")
    decided(tree["b2"], 3 * HOUR, status="rejected", reason="other")
    decided(tree["b2"], 3 * HOUR, status="rejected", reason="moved")
    decided(tree["b2"], 3 * HOUR, status="cancelled")  # not a decision
    (school,) = transfer_stats(tree["uni"])["rows"]
    assert (school["decided"], school["auto"], school["auto_pct"], school["rejected"]) == (5, 1, 20, 3)
    assert [(r["reason"], r["n"]) for r in school["reasons"]] == [("moved", 2), ("other", 1)]


def test_the_period_filters_on_the_decision_time(tree):
    decided(tree["b1"], HOUR, ago=40 * DAY)
    decided(tree["b1"], 3 * HOUR, ago=2 * DAY)
    assert transfer_stats(tree["uni"], days=30)["total"]["decided"] == 1
    assert transfer_stats(tree["uni"], days=90)["total"]["decided"] == 2


def test_the_initiating_sides_own_step_is_not_a_decision(tree, member):
    """R-TR-2: the receiving branch's IN step is recorded approved at creation; only the OUT decision counts."""
    request = transfer_in(actor=tree["fb_admin"], acting_org=tree["fb"], id_number=member.id_number,
                          name=member.name, reason="employed_with_org")
    out = request.steps.get(kind="out")
    reject(actor=tree["b1_admin"], acting_org=tree["b1"], step=out, reason="信息有误")
    age(out, created_ago=5 * HOUR, decided_ago=0 * HOUR)
    stats = transfer_stats(tree["province"])
    assert stats["total"]["decided"] == 1
    assert stats["total"]["median"] == pytest.approx(5 * HOUR, abs=dt.timedelta(seconds=1))
    assert [(r["reason"], r["n"]) for r in stats["total"]["reasons"]] == [("employed_with_org", 1)]


def test_the_acting_organizations_own_decisions_form_a_row(tree):
    decided(tree["uni"], HOUR, kind="in")
    rows = transfer_stats(tree["uni"])["rows"]
    assert [(r["org"], r["own"], r["decided"]) for r in rows] == [(tree["uni"], True, 1), (tree["school"], False, 0)]


# --- pages: the permission trio -------------------------------------------------------------------------

PAGES = ["reports:dashboard", "reports:transfer_stats"]


@pytest.mark.parametrize("name", PAGES)
def test_it_shows_the_page_to_an_admin(uni, client_as, name):
    resp = client_as(uni["uni_admin"], uni["uni"]).get(reverse(name))
    assert resp.status_code == 200
    assert uni["school"].full_name in resp.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_a_plain_member(uni, client_as, member, name):
    assert client_as(member).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES + ["reports:dashboard_orgs", "reports:dashboard_steps"])
def test_it_sends_anonymous_visitors_to_sign_in(client, name):
    resp = client.get(reverse(name))
    assert resp.status_code == 302 and resp.url.startswith(reverse("login"))


def test_each_figure_links_to_the_list_behind_it(uni, client_as):
    html = client_as(uni["uni_admin"], uni["uni"]).get(reverse("reports:dashboard")).content.decode()
    for href in ("/people/?incomplete=1", "/people/?unverified=failed", "/people/?unverified=pending",
                 "/people/?dev_issue=1", reverse("transfers:inbox"), reverse("transfers:escalations"),
                 reverse("transfers:history") + "?status=pending", reverse("people:completion"),
                 reverse("reports:dashboard_orgs") + "?flag=small", reverse("reports:dashboard_steps") + "?state=overdue",
                 reverse("orgs:detail", args=[uni["b3"].pk])):
        assert f'href="{href}' in html, href


def test_the_chart_gives_its_numbers_as_text(uni, client_as):
    html = client_as(uni["uni_admin"], uni["uni"]).get(reverse("reports:dashboard")).content.decode()
    assert '<p class="skip">各下级组织的团员人数：北京示范大学信息学院团总支：4 人</p>' in html
    assert '<svg class="bars" aria-hidden="true"' in html  # its links are the mouse's; the table's the keyboard's
    assert '<tspan class="value" dx="10">4 人</tspan>' in html


def test_the_drill_down_lists_match_the_figures(uni, client_as):
    client = client_as(uni["uni_admin"], uni["uni"])
    resp = client.get(reverse("reports:dashboard_orgs"), {"flag": "small"})
    assert [o.pk for o in resp.context["page"]] == [uni["b3"].pk, uni["b2"].pk]
    resp = client.get(reverse("reports:dashboard_steps"), {"state": "pending"})
    assert resp.context["page"].paginator.count == 3
    resp = client.get(reverse("reports:dashboard_steps"), {"state": "pending", "org": uni["b2"].pk})
    assert [s.request_id for s in resp.context["page"]] == [uni["t_overdue"].pk]
    assert resp.context["page"].paginator.count == 1
    resp = client.get(reverse("reports:dashboard_steps"), {"state": "overdue"})   # counted per range on PostgreSQL
    assert resp.context["page"].paginator.count == 1 == len(resp.context["page"])
    resp = client.get(reverse("reports:dashboard_steps"), {"state": "overdue", "org": uni["b1"].pk})
    assert resp.context["page"].paginator.count == 0 == len(resp.context["page"])


def test_a_drill_down_outside_the_acting_subtree_is_404(uni, client_as):
    client = client_as(uni["uni_admin"], uni["uni"])
    assert client.get(reverse("reports:dashboard_steps"), {"state": "pending", "org": uni["fb"].pk}).status_code == 404
    assert client.get(reverse("reports:dashboard_orgs"), {"flag": "nonsense"}).status_code == 404


def test_the_period_is_chosen_in_the_url(uni, client_as):
    client = client_as(uni["uni_admin"], uni["uni"])
    assert client.get(reverse("reports:transfer_stats"), {"days": "30"}).context["days"] == 30
    assert client.get(reverse("reports:transfer_stats"), {"days": "7"}).context["days"] == 90


# --- issue 6 item 6: the same queries whatever the subtree's size ------------------------------------------

def build_subtree(size: int):
    """A committee with general branches of up to 9 branches each, `size` organizations in all; members,
    cadres and transfer steps in every state in a few of them. Plain rows: fast."""
    root = OrganizationFactory(org_type=OrgType.COMMITTEE, full_name=f"规模测试团委{size}")
    admin = CadrePostFactory(org=root, is_admin=True).person
    count, branches = 1, []
    while count < size:
        general = OrganizationFactory(parent=root, org_type=OrgType.GENERAL_BRANCH)
        count += 1
        for _ in range(min(9, size - count)):
            branches.append(OrganizationFactory(parent=general))
            count += 1
    for branch in branches[:6]:
        MembershipFactory.create_batch(2, branch=branch)
        CadrePostFactory(org=branch)
    for i, (status, took) in enumerate([("approved", 5 * HOUR), ("auto_approved", 15 * DAY), ("rejected", HOUR),
                                         ("pending", 4 * DAY), ("pending", HOUR)]):
        step = decided(branches[i], took, status=status)
        if status == "pending":
            ApprovalStep.objects.filter(pk=step.pk).update(decided_at=None)
            TransferRequest.objects.filter(pk=step.request_id).update(status="pending")
    return root, admin


def queries(client, url) -> int:
    client.get(url)  # warm: the session and anything cached per process
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url", [
    reverse("reports:dashboard"), reverse("reports:transfer_stats"),
    reverse("reports:dashboard_orgs") + "?flag=no_cadres", reverse("reports:dashboard_steps") + "?state=pending",
])
def test_a_page_costs_the_same_queries_for_10_or_500_organizations(client_as, url):
    small_root, small_admin = build_subtree(10)
    big_root, big_admin = build_subtree(500)
    small = queries(client_as(small_admin, small_root), url)
    big = queries(client_as(big_admin, big_root), url)
    assert small == big, (small, big)
    assert big <= 22, big  # the dashboard: two more since issue 15 (the trend points, when they were recorded)


def test_the_database_computes_the_median(tree, on_postgres):
    """percentile_cont on PostgreSQL; on SQLite a window that returns only each group's middle rows."""
    decided(tree["b1"], HOUR)
    with CaptureQueriesContext(connection) as ctx:
        transfer_stats(tree["uni"])
    sql = " ".join(q["sql"] for q in ctx.captured_queries).upper()
    assert ("PERCENTILE_CONT(0.5) WITHIN GROUP" in sql) if on_postgres else ("ROW_NUMBER() OVER" in sql)
    assert len(ctx) == 5


# --- how figures are written --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (None, "—"), (dt.timedelta(seconds=40), "不到 1 分钟"), (dt.timedelta(minutes=12, seconds=59), "12 分钟"),
    (5 * HOUR, "5 小时"), (5 * HOUR + dt.timedelta(minutes=30), "5 小时 30 分钟"), (2 * DAY, "2 天"),
    (2 * DAY + 3 * HOUR + dt.timedelta(minutes=59), "2 天 3 小时"),
])
def test_a_time_to_decide_is_written_in_its_two_largest_units(value, text):
    from reports.templatetags.report_tags import took

    assert took(value) == text


def test_a_long_label_is_cut_so_that_its_value_stays_on_a_phone():
    from reports.charts import Bar, chart

    rows = chart("t", [Bar("北京示范大学团委", 3, "3 人"), Bar("共青团北京市海淀区学院路街道工作委员会", 2, "2/3 · 67%")])["rows"]
    assert rows[0]["label"] == "北京示范大学团委"
    assert rows[1]["label"].endswith("…") and rows[1]["full_label"] == "共青团北京市海淀区学院路街道工作委员会"
    assert [r["pct"] for r in rows] == [100.0, 66.7]


def _admin_started_rows(branch, to_org, n, *, by):
    """n members of `branch`, each with a transfer started by `by` for the branch, its OUT step waiting there."""
    for m in MembershipFactory.create_batch(n, branch=branch):
        req = TransferRequest.objects.create(member=m.person, from_branch=branch, to_org=to_org, reason="moved",
                                             kind="out", initiated_by=by, initiating_org=branch)
        ApprovalStep.objects.create(request=req, kind="out", org=branch, org_path=branch.path,
                                    due_at=timezone.now() + 15 * DAY)


def test_the_steps_behind_a_figure_cost_the_same_queries_for_5_or_50_rows(uni, client_as):
    """The drill-down shows the rows the inbox shows (initiator, initiating organization, both ends): read with the
    rows (transfers.selectors.row_facts), not one query a row."""
    few = OrganizationFactory(parent=uni["uni"], full_name="五人团支部", org_type=OrgType.BRANCH)
    many = OrganizationFactory(parent=uni["uni"], full_name="五十人团支部", org_type=OrgType.BRANCH)
    admin = PersonFactory(password_set=True)
    _admin_started_rows(few, uni["fb"], 5, by=admin)
    _admin_started_rows(many, uni["fb"], 50, by=admin)
    client = client_as(uni["uni_admin"], uni["uni"])
    url = reverse("reports:dashboard_steps")
    client.get(url, {"state": "pending", "org": few.pk})  # warm the session
    counts = []
    for org in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url, {"state": "pending", "org": org.pk}).content.decode()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert f"{admin.name}（{many.full_name}）" in page
