"""The branch's recruitment pages (issue 16): allowed and refused, refusals on the page with nothing typed lost,
query counts that do not grow with the applicants."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recruitment.models import Application
from tests.factories import make_id_number
from tests.test_i18n import data_names, switch_to_english, untranslated

from .support import APPLIED, CANDIDATE, drive, new_application, new_member

pytestmark = pytest.mark.django_db


def _idem(html: str) -> str:
    return re.search(r'name="idem" value="([^"]+)"', html).group(1)


def _bulk(tree, n, branch="b1"):
    b = tree[branch]
    Application.objects.bulk_create([
        Application(branch=b, org_path=b.path, name=f"申请人{i}", id_number=make_id_number(dt.date(2010, 1, 1)),
                    birth_date=dt.date(2010, 1, 1), applied_on=APPLIED, expected_join_on=CANDIDATE)
        for i in range(n)])


def test_the_list_shows_each_stage_with_its_count(tree, client_as):
    new_application(tree)
    drive(tree, new_application(tree, name="李积极"), "activist")
    html = client_as(tree["b1_admin"], tree["b1"]).get(reverse("recruitment:list")).content.decode()
    assert "王小红" in html and "李积极" in html
    assert re.search(r"入团积极分子 <b>1</b>", html) and re.search(r"申请入团 <b>1</b>", html)
    assert "录入入团申请" in html


def test_the_list_is_refused_to_a_member_without_an_admin_post(tree, client_as):
    resp = client_as(new_member(tree["b1"])).get(reverse("recruitment:list"))
    assert resp.status_code == 403


def test_a_committee_sees_its_branches_applications_rolled_up_but_not_another_subtree(tree, client_as):
    new_application(tree)
    assert "王小红" in client_as(tree["uni_admin"], tree["uni"]).get(reverse("recruitment:list")).content.decode()
    assert "王小红" not in client_as(tree["firm_admin"], tree["firm"]).get(reverse("recruitment:list")).content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_5_or_50_applicants(tree, client_as):
    client, url = client_as(tree["b1_admin"], tree["b1"]), reverse("recruitment:list")
    _bulk(tree, 5)
    five = _queries(client, url)
    _bulk(tree, 45)
    assert _queries(client, url) == five <= 12


def test_a_branch_admin_enters_an_application(tree, client_as):
    resp = client_as(tree["b1_admin"], tree["b1"]).post(reverse("recruitment:new"), {
        "name": "周新", "id_number": make_id_number(dt.date(2011, 4, 4)), "work_unit": "示范中学",
        "applied_on": "2026-03-01", "expected_join_on": "2026-09-01"})
    application = Application.objects.get(name="周新")
    assert resp.status_code == 302 and resp.url == reverse("recruitment:detail", args=[application.pk])


def test_an_underage_applicant_is_refused_on_the_form_and_what_was_typed_stays(tree, client_as):
    resp = client_as(tree["b1_admin"], tree["b1"]).post(reverse("recruitment:new"), {
        "name": "年幼者", "id_number": make_id_number(dt.date(2013, 4, 4)), "applied_on": "2026-03-01",
        "expected_join_on": "2026-09-01"})
    html = resp.content.decode()
    assert resp.status_code == 200 and "未满14周岁" in html and 'value="年幼者"' in html
    assert not Application.objects.exists()


def test_a_committee_admin_does_not_enter_applications(tree, client_as):
    assert client_as(tree["uni_admin"], tree["uni"]).get(reverse("recruitment:new")).status_code == 403


def test_the_file_shows_the_branch_its_next_step_and_the_timeline(tree, client_as):
    application = new_application(tree)
    html = client_as(tree["b1_admin"], tree["b1"]).get(reverse("recruitment:detail", args=[application.pk])).content
    html = html.decode()
    assert "确定为入团积极分子" in html and "录入入团申请" in html
    assert application.id_number not in html  # R-AUTH-6: masked


def test_the_file_of_another_branch_is_not_found(tree, client_as):
    application = new_application(tree)
    client = client_as(tree["b2_admin"], tree["b2"])
    assert client.get(reverse("recruitment:detail", args=[application.pk])).status_code == 404
    resp = client.post(reverse("recruitment:step", args=[application.pk, "close"]), {"close-reason": "x"})
    assert resp.status_code == 404
    assert Application.objects.get(pk=application.pk).stage == "applied"


def test_a_step_through_the_page_and_the_same_post_twice(tree, client_as):
    application = new_application(tree)
    people = [new_member(tree["b1"], name="甲"), new_member(tree["b1"], name="乙")]
    client = client_as(tree["b1_admin"], tree["b1"])
    idem = _idem(client.get(reverse("recruitment:detail", args=[application.pk])).content.decode())
    data = {"idem": idem, "activist-activist_on": "2026-02-02", "activist-decision": "支委会决定",
            "activist-introducer_1": people[0].pk, "activist-introducer_2": people[1].pk}
    url = reverse("recruitment:step", args=[application.pk, "activist"])
    assert client.post(url, data).status_code == 302
    assert Application.objects.get(pk=application.pk).stage == "activist"
    again = client.post(url, data, follow=True)
    assert "请勿重复提交" in again.content.decode()


def test_a_refused_step_comes_back_on_the_page_with_the_rule_s_message(tree, client_as):
    application = drive(tree, new_application(tree), "activist")
    client = client_as(tree["b1_admin"], tree["b1"])
    idem = _idem(client.get(reverse("recruitment:detail", args=[application.pk])).content.decode())
    resp = client.post(reverse("recruitment:step", args=[application.pk, "candidate"]),
                       {"idem": idem, "candidate-candidate_on": "2026-04-01"})
    assert resp.status_code == 400 and "培养考察" in resp.content.decode()
    assert Application.objects.get(pk=application.pk).stage == "activist"


def test_the_committee_sees_the_pre_review_and_the_branch_does_not(tree, client_as):
    application = drive(tree, new_application(tree), "candidate")
    url = reverse("recruitment:detail", args=[application.pk])
    assert "预审通过" in client_as(tree["uni_admin"], tree["uni"]).get(url).content.decode()
    branch_html = client_as(tree["b1_admin"], tree["b1"]).get(url).content.decode()
    assert 'action="' + reverse("recruitment:step", args=[application.pk, "prereview"]) not in branch_html


def test_a_branch_admin_posting_the_committee_s_step_is_refused(tree, client_as):
    application = drive(tree, new_application(tree), "candidate")
    client = client_as(tree["b1_admin"], tree["b1"])
    idem = _idem(client.get(reverse("recruitment:detail", args=[application.pk])).content.decode())
    resp = client.post(reverse("recruitment:step", args=[application.pk, "prereview"]), {"idem": idem})
    assert resp.status_code == 403
    assert Application.objects.get(pk=application.pk).stage == "candidate"


def test_the_file_costs_the_same_queries_whatever_the_branch_holds(tree, client_as):
    application = drive(tree, new_application(tree), "activist")
    client, url = client_as(tree["b1_admin"], tree["b1"]), reverse("recruitment:detail", args=[application.pk])
    _bulk(tree, 5)
    five = _queries(client, url)
    _bulk(tree, 45)
    assert _queries(client, url) == five <= 25


def test_the_menu_offers_recruitment_to_admins(tree, client_as):
    html = client_as(tree["b1_admin"], tree["b1"]).get(reverse("recruitment:list")).content.decode()
    assert f'href="{reverse("recruitment:list")}"' in html


def test_the_pages_render_in_english_but_for_the_data(tree, client, client_as):
    application = drive(tree, new_application(tree), "notice")
    switch_to_english(client)
    signed_in = client_as(tree["b1_admin"], tree["b1"])
    people = [application.introducer_1, application.introducer_2]
    names = data_names(tree, *people) + ["王小红", "示范中学", "支部委员会2026年2月2日会议", "团的基础知识"]
    problems = {}
    for url in (reverse("recruitment:list"), reverse("recruitment:new"),
                reverse("recruitment:detail", args=[application.pk])):
        left = untranslated(signed_in.get(url).content.decode(), names)
        if left:
            problems[url] = left
    assert problems == {}
