"""Issue 18 / R-TR-13: a graduate without a job (`unemployed`) may go to the township or street committee of their home
registration or to a talent exchange centre's league organization (the FAQ); the guidance names both and the target
search offers both kinds, each under its heading, with and without JavaScript."""
import pytest
from django.urls import reverse

from orgs.models import OrgType
from tests.factories import OrganizationFactory
from transfers.forms import REASON_GUIDANCE
from transfers.models import Reason
from transfers.selectors import unemployed_candidates

pytestmark = pytest.mark.django_db


@pytest.fixture
def haidian(tree):
    return {
        "street": OrganizationFactory(parent=tree["province"], full_name="海淀区学院路街道团工委",
                                      org_type=OrgType.WORKING_COMMITTEE),
        "town": OrganizationFactory(parent=tree["province"], full_name="海淀区上庄镇团委", org_type=OrgType.COMMITTEE),
        "centre": OrganizationFactory(parent=tree["province"], full_name="海淀区人才交流中心团委",
                                      org_type=OrgType.COMMITTEE),
        "school": OrganizationFactory(parent=tree["province"], full_name="海淀区示范中学团委", org_type=OrgType.COMMITTEE),
        "branch": OrganizationFactory(parent=tree["province"], full_name="海淀区学院路街道某社区团支部"),
    }


def test_the_guidance_names_both_kinds_of_target():
    text = str(REASON_GUIDANCE[Reason.UNEMPLOYED])
    assert "乡镇、街道团（工）委" in text and "人才交流中心" in text


def test_the_search_for_unemployed_lists_each_kind_apart(haidian):
    found = unemployed_candidates("海淀")
    assert set(found["township"]) == {haidian["street"], haidian["town"]}
    assert found["talent"] == [haidian["centre"]]     # never among the townships, though a committee
    assert haidian["school"] not in found["township"] and haidian["branch"] not in found["township"]


def test_a_query_of_one_character_lists_nothing(haidian):
    assert unemployed_candidates("海") == {"township": [], "talent": []}


def test_the_search_page_groups_the_kinds_for_unemployed_only(client_as, member, haidian):
    client = client_as(member)
    url = reverse("transfers:org_search")
    grouped = client.get(url, {"q": "海淀", "reason": "unemployed"}).content.decode()
    assert "户籍所在地的乡镇、街道团（工）委" in grouped and "人才交流中心的团组织" in grouped
    assert grouped.index(haidian["street"].full_name) < grouped.index("<legend>人才交流中心的团组织") < grouped.index(
        haidian["centre"].full_name)
    assert haidian["school"].full_name not in grouped
    plain = client.get(url, {"q": "海淀", "reason": "further_study"}).content.decode()
    assert "人才交流中心的团组织" not in plain and haidian["school"].full_name in plain


def test_choosing_the_reason_first_offers_both_kinds_before_anything_is_typed(client_as, member):
    page = client_as(member).get(reverse("transfers:org_search"), {"q": "", "reason": "unemployed"}).content.decode()
    assert page.count("<fieldset") == 2 and "请输入地名" in page


def test_without_javascript_a_typed_name_comes_back_grouped(client_as, member, haidian):
    client = client_as(member)
    page = client.get(reverse("transfers:apply")).content.decode()
    idem = page.split('name="idem" value="')[1].split('"')[0]
    resp = client.post(reverse("transfers:apply"), {"to_org_name": "海淀", "reason": "unemployed", "idem": idem})
    body = resp.content.decode()
    assert resp.status_code == 200 and "人才交流中心的团组织" in body and haidian["centre"].full_name in body
    assert 'value="海淀"' in body   # nothing typed is lost
