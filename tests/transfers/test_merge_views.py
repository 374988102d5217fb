"""The merge page (transfers:merge, issue 15): the trio (an admin above both branches; the branch's own admin and
an admin of the sibling: refused; another subtree: 404; a plain member: 403), the confirmation that shows what will
happen, refusals re-rendered with the choice kept, the link from the organization page."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs.models import Organization
from transfers.models import TransferRequest
from transfers.services import apply_for_transfer

from .support import new_member

pytestmark = pytest.mark.django_db


def _url(tree, key="b1"):
    return reverse("transfers:merge", args=[tree[key].pk])


def _idem(html: str) -> str:
    return re.search(r'name="idem" value="([^"]+)"', html).group(1)


def test_it_shows_what_the_merge_will_do_before_doing_it(client_as, tree):
    for i in range(2):
        new_member(tree["b1"], name=f"成员{i}")
    apply_for_transfer(member=new_member(tree["fb"], name="来者"), to_org=tree["b1"], reason="moved")
    client = client_as(tree["school_admin"], tree["school"])
    page = client.get(_url(tree)).content.decode()
    assert tree["b2"].full_name in page and "合并团支部" in page
    resp = client.post(_url(tree), {"into": tree["b2"].pk, "stage": "plan"})
    html = resp.content.decode()
    assert resp.status_code == 200 and "合并将会" in html
    assert re.search(r"转入团员</th><td><strong>2</strong>", html)
    assert re.search(r"结束的团干部职务</th><td><strong>1</strong>", html)
    assert re.search(r"转入本支部的转接</th><td><strong>1</strong>", html)
    assert Organization.objects.get(pk=tree["b1"].pk).is_active  # nothing done yet
    resp = client.post(_url(tree), {"into": tree["b2"].pk, "stage": "confirm", "idem": _idem(html)})
    assert resp.status_code == 302 and resp["Location"] == reverse("orgs:detail", args=[tree["b2"].pk])
    assert not Organization.objects.get(pk=tree["b1"].pk).is_active
    assert TransferRequest.objects.filter(kind="reorg").count() == 2


def test_a_second_submit_of_the_confirmation_does_nothing(client_as, tree):
    client = client_as(tree["school_admin"], tree["school"])
    html = client.post(_url(tree), {"into": tree["b2"].pk, "stage": "plan"}).content.decode()
    data = {"into": tree["b2"].pk, "stage": "confirm", "idem": _idem(html)}
    assert client.post(_url(tree), data).status_code == 302
    assert client.post(_url(tree), data).status_code in (302, 404)  # dissolved: no longer in the subtree


def test_a_transfer_between_the_two_is_listed_and_no_confirm_button_is_offered(client_as, tree):
    person = new_member(tree["b1"], name="王二")
    apply_for_transfer(member=person, to_org=tree["b2"], reason="moved")
    html = client_as(tree["school_admin"], tree["school"]).post(
        _url(tree), {"into": tree["b2"].pk, "stage": "plan"}).content.decode()
    assert "王二" in html and "请先同意、退回或撤回" in html and 'value="confirm"' not in html


def test_a_refusal_at_confirmation_is_shown_with_the_choice_kept(client_as, tree):
    client = client_as(tree["school_admin"], tree["school"])
    html = client.post(_url(tree), {"into": tree["b2"].pk, "stage": "plan"}).content.decode()
    apply_for_transfer(member=new_member(tree["b1"], name="王二"), to_org=tree["b2"], reason="moved")  # meanwhile
    resp = client.post(_url(tree), {"into": tree["b2"].pk, "stage": "confirm", "idem": _idem(html)})
    html = resp.content.decode()
    assert resp.status_code == 200 and "这两个团支部之间还有正在办理的转接" in html
    assert f'<option value="{tree["b2"].pk}" selected>' in html
    assert Organization.objects.get(pk=tree["b1"].pk).is_active and not TransferRequest.objects.filter(kind="reorg").exists()


def test_a_branch_outside_the_siblings_is_not_a_choice(client_as, tree):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(_url(tree), {"into": tree["fb"].pk, "stage": "plan"})
    assert resp.status_code == 200 and "只能合并到同一上级组织下的有效团支部" in resp.content.decode()


@pytest.mark.parametrize("by", ["b1", "b2"])
def test_the_branches_own_admins_are_refused(client_as, tree, by):
    client = client_as(tree[f"{by}_admin"], tree[by])
    resp = client.get(_url(tree))
    assert resp.status_code in (403, 404)
    resp = client.post(_url(tree), {"into": tree["b2"].pk, "stage": "confirm"})
    assert resp.status_code in (403, 404) and Organization.objects.get(pk=tree["b1"].pk).is_active


def test_an_admin_of_another_subtree_gets_404(client_as, tree):
    assert client_as(tree["firm_admin"], tree["firm"]).get(_url(tree)).status_code == 404


def test_a_plain_member_is_refused(client_as, member, tree):
    assert client_as(member).get(_url(tree)).status_code == 403


def test_the_organization_page_links_to_the_merge_for_an_admin_above(client_as, tree):
    above = client_as(tree["school_admin"], tree["school"]).get(reverse("orgs:detail", args=[tree["b1"].pk]))
    assert _url(tree) in above.content.decode()


def test_the_branch_page_offers_no_merge_to_its_own_admin(client_as, tree):
    own = client_as(tree["b1_admin"], tree["b1"]).get(reverse("orgs:detail", args=[tree["b1"].pk]))
    assert _url(tree) not in own.content.decode()


def _plan_queries(client, tree) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(_url(tree), {"into": tree["b2"].pk, "stage": "plan"}).status_code == 200
    return len(ctx.captured_queries)


def test_the_confirmation_costs_the_same_queries_for_2_or_20_members(client_as, tree):
    client = client_as(tree["school_admin"], tree["school"])
    for i in range(2):
        new_member(tree["b1"], name=f"成员{i}")
    apply_for_transfer(member=new_member(tree["fb"], name="来者"), to_org=tree["b1"], reason="moved")
    few = _plan_queries(client, tree)
    for i in range(18):
        new_member(tree["b1"], name=f"成员{i + 2}")
    apply_for_transfer(member=new_member(tree["fb"], name="又一位"), to_org=tree["b1"], reason="moved")
    assert _plan_queries(client, tree) == few


def test_a_branch_without_siblings_is_told_so(client_as, tree):
    html = client_as(tree["firm_admin"], tree["firm"]).get(_url(tree, "fb")).content.decode()
    assert "同一上级组织下没有其他有效的团支部" in html and 'name="into"' not in html
