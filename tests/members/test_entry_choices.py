"""Issue 15 item 4: the 录入团员 form offers only the branches the actor may choose — the ones they enter into
(R-AUTH-2) and, for the root's admins, the further ones that need the R-ENT-3 explanation, in a group that says so —
and a refusal from the service re-renders the form with its message and everything typed, never a bare 403 page.
An under-age entry without the explanation gets the R-ENT-2 message, wherever the branch is."""
import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from members.models import Person
from members.selectors.records import enterable_branches, override_branches
from members.services import enter_member
from orgs.models import OrgType
from orgs.services import create_org
from tests.factories import make_id_number

from .test_people_views import PROFILE, field_block

pytestmark = pytest.mark.django_db

URL = reverse("people:enter_member")
GROUP = re.compile(r'<optgroup label="([^"]+)">(.*?)</optgroup>', re.S)


@pytest.fixture
def central_branch(tree):
    return create_org(actor=None, full_name="团中央机关团支部", org_type=OrgType.BRANCH, parent=tree["central"])


def _form(branch, **extra):
    data = {"branch": branch.pk, "name": "赵新", "id_number": make_id_number(dt.date(2004, 3, 1)),
            "joined_on": "2016-05-04", "development_number": "", **PROFILE}
    data.update(extra)
    return data


def _groups(html: str) -> dict[str, str]:
    return {label: body for label, body in GROUP.findall(html)}


def test_the_root_admin_sees_direct_branches_apart_from_the_ones_needing_an_explanation(client_as, tree,
                                                                                         central_branch):
    html = client_as(tree["central_admin"], tree["central"]).get(URL).content.decode()
    groups = _groups(field_block(html, "branch"))
    direct, further = groups["直接录入：本组织的直属团支部"], groups["团中央统一录入：须填写说明（不符合入团年龄规定的人员）"]
    assert central_branch.full_name in direct and tree["b1"].full_name not in direct
    assert tree["b1"].full_name in further and central_branch.full_name not in further
    assert "团中央统一录入说明" in html


def test_other_admins_see_only_their_branches_in_one_list(client_as, tree):
    html = client_as(tree["school_admin"], tree["school"]).get(URL).content.decode()
    block = field_block(html, "branch")
    assert "<optgroup" not in block and tree["b1"].full_name in block and tree["fb"].full_name not in block


def test_the_selectors_split_the_roots_branches(tree, central_branch):
    central = tree["central_admin"]
    assert list(enterable_branches(central, tree["central"])) == [central_branch]  # R-AUTH-2 (the restore page too)
    assert {tree["b1"].pk, tree["xjb"].pk} <= set(override_branches(central, tree["central"]).values_list("pk", flat=True))
    assert not override_branches(tree["province_admin"], tree["province"]).exists()  # R-ENT-3: the root's only


def test_the_root_admin_enters_into_a_direct_branch_without_an_explanation(client_as, tree, central_branch):
    data = _form(central_branch)
    resp = client_as(tree["central_admin"], tree["central"]).post(URL, data)
    assert resp.status_code == 302
    assert Person.objects.get(id_number=data["id_number"]).memberships.get().branch == central_branch


def test_a_further_branch_without_an_explanation_re_renders_the_form_with_the_reason(client_as, tree,
                                                                                      central_branch):
    data = _form(tree["b1"], work_unit="示范中学")
    resp = client_as(tree["central_admin"], tree["central"]).post(URL, data)
    html = resp.content.decode()
    assert resp.status_code == 403  # refused, and said on the form itself
    block = field_block(html, "branch")
    assert "has-error" in block and "只能录入到本组织的直属团支部" in block and "团中央统一录入说明" in block
    assert f'value="{tree["b1"].pk}" selected' in block
    for name in ("name", "id_number", "joined_on", "work_unit", "phone"):  # nothing typed is lost
        assert f'value="{data[name]}"' in field_block(html, name)
    assert not Person.objects.filter(id_number=data["id_number"]).exists()
    assert AuditEvent.objects.filter(actor=tree["central_admin"], action="member.enter",
                                     result=AuditEvent.Result.DENIED).count() == 1  # R-AUTH-6


def test_an_under_age_entry_without_the_explanation_gets_the_age_rule_not_a_403(client_as, tree, central_branch):
    data = _form(tree["b1"], id_number=make_id_number(dt.date(2010, 6, 1)), joined_on="2020-01-01",
                 development_number="202000000001")
    resp = client_as(tree["central_admin"], tree["central"]).post(URL, data)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "入团时未满13周岁" in field_block(html, "joined_on")  # R-ENT-2
    assert "确需录入不符合入团年龄规定的人员" in field_block(html, "override_reason")  # the way out, R-ENT-3
    assert f'value="{data["name"]}"' in field_block(html, "name")
    assert not Person.objects.filter(id_number=data["id_number"]).exists()


def test_with_the_explanation_the_root_admin_enters_the_under_age_person_there(client_as, tree, central_branch):
    data = _form(tree["b1"], id_number=make_id_number(dt.date(2010, 6, 1)), joined_on="2020-01-01",
                 development_number="202000000001", override_reason="团中央统一录入：历史档案核实无误")
    assert client_as(tree["central_admin"], tree["central"]).post(URL, data).status_code == 302
    assert Person.objects.get(id_number=data["id_number"]).memberships.get().branch == tree["b1"]


def test_a_plain_member_is_still_refused(client_as, member, tree):
    assert client_as(member).post(URL, _form(tree["b1"])).status_code == 403


# the service, for every caller ------------------------------------------------------------------------------


def test_the_service_says_the_age_rule_before_refusing_the_root_admin(tree):
    with pytest.raises(ValidationError) as caught:
        enter_member(actor=tree["central_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2010, 6, 1)),
                     name="赵新", joined_on=dt.date(2020, 1, 1), development_number="202000000001")
    assert "join_age" in {e.code for errs in caught.value.error_dict.values() for e in errs}


def test_the_service_refuses_the_root_admin_a_further_branch_without_an_explanation(tree):
    with pytest.raises(PermissionDenied, match="只能录入到本组织的直属团支部"):
        enter_member(actor=tree["central_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2004, 3, 1)),
                     name="赵新", joined_on=dt.date(2016, 5, 4))


def test_the_service_keeps_refusing_others_before_reading_the_person(tree):
    # R-AUTH-2 first for everyone who does not read the whole tree: no rule's message tells them about the person.
    with pytest.raises(PermissionDenied, match="只有本组织或其直接上级的管理员"):
        enter_member(actor=tree["province_admin"], branch=tree["b1"], id_number=make_id_number(dt.date(2010, 6, 1)),
                     name="赵新", joined_on=dt.date(2020, 1, 1))
