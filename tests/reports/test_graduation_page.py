"""The season page does not grow with the subtree (issue 13): the graduating branches are a page of 20 with a search,
each with its counts; a branch is chosen from that list (a link), not from a menu of every one; the graduates are a
page of 50. On SQLite and PostgreSQL alike (live and kept counts)."""
import datetime as dt

import pytest
from django.urls import reverse

from orgs.models import OrgType
from orgs.services import create_org
from reports.services import set_graduation
from tests.transfers.support import new_member
from transfers.services import apply_for_transfer

pytestmark = pytest.mark.django_db

YEAR = 2027
URL = reverse("reports:graduation")


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def many(tree):
    """25 graduating classes of one member each, and b1 with two (one of them pending)."""
    classes = [create_org(actor=None, full_name=f"信息学院{100 + i}班团支部", org_type=OrgType.BRANCH,
                          parent=tree["school"]) for i in range(25)]
    set_graduation(actor=None, acting_org=None, branches=[tree["b1"], *classes], expected_on=dt.date(YEAR, 6, 30))
    for branch in classes:
        new_member(branch, "甲")
    new_member(tree["b1"], "乙")
    apply_for_transfer(member=new_member(tree["b1"], "丙"), to_org=tree["fb"], reason="employed_with_org")
    return tree


def get(client_as, tree, **params):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(URL, {"year": YEAR, **params})
    assert resp.status_code == 200
    return resp, resp.content.decode()


def test_it_lists_a_page_of_graduating_branches_with_their_counts(many, client_as):
    resp, html = get(client_as, many)
    assert resp.context["counts"]["total"] == 27 and resp.context["counts"]["pending"] == 1
    marks = resp.context["marks"]
    assert marks.paginator.count == 26 and len(resp.context["mark_rows"]) == 20
    b1 = next(m for m in marks.paginator.object_list if m.branch_id == many["b1"].pk)
    assert (b1.counts["total"], b1.counts["not_started"], b1.counts["pending"]) == (2, 1, 1)
    assert 'id="f-branch"' not in html and 'name="branch"' not in html   # no menu of every graduating branch
    second, _html = get(client_as, many, bpage=2)
    assert len(second.context["mark_rows"]) == 6


def test_it_finds_a_branch_by_name_and_filters_the_graduates_by_it(many, client_as):
    resp, _html = get(client_as, many, bq="院1班")
    assert [m.full_name for m in resp.context["mark_rows"]] == ["信息学院1班团支部"]
    resp, html = get(client_as, many, branch=many["b1"].pk)
    assert sorted(r.name for r in resp.context["rows"]) == ["丙", "乙"]
    assert resp.context["counts"]["total"] == 2
    assert f'<input type="hidden" name="branch" value="{many["b1"].pk}">' in html and "看全部毕业班" in html


def test_a_search_by_name_counts_the_found(many, client_as):
    resp, _html = get(client_as, many, q="丙")
    assert resp.context["counts"]["total"] == 1 and [r.name for r in resp.context["rows"]] == ["丙"]
