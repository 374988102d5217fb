"""Account and people pages: home, login, password change and reset (R-ACC), reset codes (R-ACC-2).
Each view has its allowed case and its refusals: another admin (404 outside the acting subtree), an
outsider (403) and anonymous users (the login page)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from members.models import Person, ResetCode
from members.services import issue_reset_code
from tests.factories import CadrePostFactory, MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
NEW_PASSWORD = "Qing-Chun-2026!"


def _fresh(person) -> Person:
    return Person.objects.get(pk=person.pk)


# home ------------------------------------------------------------------------------------------------


def test_home_shows_a_member_their_branch_without_admin_figures(client_as, tree, member):
    resp = client_as(member).get(reverse("home"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert tree["b1"].full_name in html
    assert reverse("orgs:tree") not in html and reverse("members:reset_codes") not in html


def test_home_shows_an_admin_the_acting_orgs_figures(client_as, tree, member):
    html = client_as(tree["school_admin"], tree["school"]).get(reverse("home")).content.decode()
    assert tree["school"].full_name in html
    assert reverse("orgs:detail", args=[tree["school"].pk]) in html
    assert reverse("members:reset_codes") in html


def test_home_sends_anonymous_users_to_login(client):
    resp = client.get(reverse("home"))
    assert resp.status_code == 302 and resp.url.startswith(LOGIN)


# login -----------------------------------------------------------------------------------------------


def test_login_with_the_initial_password_leads_to_setting_a_new_one(client, member):
    assert client.get(LOGIN).status_code == 200
    resp = client.post(LOGIN, {"username": member.id_number.lower(), "password": member.id_number[-8:]})
    assert resp.status_code == 302 and resp.url == reverse("home")
    assert client.get(reverse("home")).url == reverse("password_change")  # R-ACC-1


def test_login_refuses_a_wrong_password_and_says_what_the_first_one_is(client, member):
    resp = client.post(LOGIN, {"username": member.id_number, "password": "12345678"})
    assert resp.status_code == 200
    assert "首次登录的密码是身份证号后8位" in resp.content.decode()
    assert "_auth_user_id" not in client.session


# R-ACC-1: everything but the password page waits for a new password ----------------------------------


@pytest.mark.parametrize("page", [
    ("home", []), ("orgs:tree", []), ("orgs:detail", ["b1"]), ("orgs:children", ["school"]),
    ("orgs:create", ["school"]), ("members:reset_codes", []), ("forgot_password", []), ("login", []),
])
def test_a_person_with_the_initial_password_is_sent_to_set_a_new_one(client, tree, page):
    name, args = page
    person = tree["school_admin"]
    assert person.must_change_password
    client.force_login(person)
    resp = client.get(reverse(name, args=[tree[a].pk for a in args]))
    assert resp.status_code == 302 and resp.url == reverse("password_change")


@pytest.mark.parametrize("name", ["orgs:switch", "members:reset_code_issue"])
def test_a_person_with_the_initial_password_cannot_post_either(client, tree, member, name):
    client.force_login(tree["b1_admin"])
    args = [member.pk] if name == "members:reset_code_issue" else []
    resp = client.post(reverse(name, args=args), {"org": tree["b1"].pk})
    assert resp.status_code == 302 and resp.url == reverse("password_change")
    assert not ResetCode.objects.exists()


# password_change -------------------------------------------------------------------------------------


def test_password_change_sets_the_first_password(client, member):
    client.force_login(member)
    page = client.get(reverse("password_change")).content.decode()
    assert "第一次登录" in page
    assert 'name="old_password"' not in page  # just typed to sign in: not asked again
    resp = client.post(reverse("password_change"), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp.url == reverse("home")
    person = _fresh(member)
    assert not person.must_change_password and person.check_password(NEW_PASSWORD)
    assert client.get(reverse("home")).status_code == 200  # still signed in, free to go


def test_password_change_refuses_a_first_password_that_breaks_the_rules(client, member):
    client.force_login(member)
    weak = member.id_number[-8:]  # the initial password itself
    resp = client.post(reverse("password_change"), {"new_password1": weak, "new_password2": weak})
    assert resp.status_code == 200
    assert 'aria-invalid="true"' in resp.content.decode()
    assert _fresh(member).must_change_password


def test_password_change_later_needs_the_old_password(client_as, member):
    client = client_as(member)  # password already set
    resp = client.post(reverse("password_change"), {
        "old_password": "wrong-one", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 200
    assert not _fresh(member).check_password(NEW_PASSWORD)
    resp = client.post(reverse("password_change"), {
        "old_password": "Tuan-2026-strong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and _fresh(member).check_password(NEW_PASSWORD)


def test_password_change_sends_anonymous_users_to_login(client):
    resp = client.get(reverse("password_change"))
    assert resp.status_code == 302 and resp.url.startswith(LOGIN)


# forgot_password -------------------------------------------------------------------------------------


def test_forgot_password_resets_with_a_valid_code(client, tree, member):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    assert client.get(reverse("forgot_password")).status_code == 200
    resp = client.post(reverse("forgot_password"), {
        "id_number": member.id_number, "code": code.lower(), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp.url == LOGIN
    assert _fresh(member).check_password(NEW_PASSWORD)
    assert client.post(LOGIN, {"username": member.id_number, "password": NEW_PASSWORD}).status_code == 302


def test_forgot_password_shows_the_error_for_a_wrong_code(client, tree, member):
    issue_reset_code(actor=tree["b1_admin"], person=member)
    resp = client.post(reverse("forgot_password"), {
        "id_number": member.id_number, "code": "WRONGCODE2", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "重置码不正确" in html
    assert f'value="{member.id_number}"' in html  # nothing typed is lost but the passwords
    assert not _fresh(member).check_password(NEW_PASSWORD)


def test_forgot_password_refuses_mismatched_passwords_and_keeps_the_code(client, tree, member):
    code = issue_reset_code(actor=tree["b1_admin"], person=member)
    resp = client.post(reverse("forgot_password"), {
        "id_number": member.id_number, "code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert resp.status_code == 200 and "两次输入的密码不一致" in resp.content.decode()
    assert ResetCode.objects.filter(person=member, closed_at__isnull=True).exists()


# members:reset_codes ---------------------------------------------------------------------------------


def test_reset_codes_finds_people_of_the_acting_org_with_masked_id_numbers(client_as, tree, member):
    resp = client_as(tree["b1_admin"], tree["b1"]).get(reverse("members:reset_codes"), {"q": "张小明"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert member.name in html
    assert member.id_number not in html and member.id_number[-4:] not in html  # R-AUTH-6
    assert member.masked_id_number in html
    assert reverse("members:reset_code_issue", args=[member.pk]) in html


def test_reset_codes_finds_nobody_outside_the_acting_subtree(client_as, tree, member):
    html = client_as(tree["b2_admin"], tree["b2"]).get(reverse("members:reset_codes"), {"q": "张小明"}).content.decode()
    assert member.masked_id_number not in html
    assert reverse("members:reset_code_issue", args=[member.pk]) not in html


def test_reset_codes_offers_no_button_for_people_the_admin_may_not_change(client_as, tree, member):
    # The university is two levels above branch 1: it may read the branch but not issue its codes (R-ACC-2).
    html = client_as(tree["uni_admin"], tree["uni"]).get(reverse("members:reset_codes"), {"q": "张小明"}).content.decode()
    assert member.masked_id_number in html
    assert reverse("members:reset_code_issue", args=[member.pk]) not in html


def test_reset_codes_refuses_a_member_and_sends_anonymous_to_login(client, client_as, member):
    assert client.get(reverse("members:reset_codes")).url.startswith(LOGIN)
    assert client_as(member).get(reverse("members:reset_codes")).status_code == 403


# members:reset_code_issue ----------------------------------------------------------------------------


def test_reset_code_issue_shows_the_code_once_and_uncached(client_as, tree, member):
    resp = client_as(tree["b1_admin"], tree["b1"]).post(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 200
    assert "no-store" in resp["Cache-Control"]
    code = resp.context["code"]
    assert code in resp.content.decode()
    live = ResetCode.objects.get(person=member, closed_at__isnull=True)
    assert code not in live.code_hash  # stored hashed only
    assert member.id_number not in resp.content.decode()


def test_reset_code_issue_is_open_to_the_admin_of_the_direct_superior(client_as, tree, member):
    resp = client_as(tree["school_admin"], tree["school"]).post(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 200
    assert ResetCode.objects.filter(person=member, closed_at__isnull=True).count() == 1


def test_reset_code_issue_hides_a_person_outside_the_acting_subtree(client_as, tree, member):
    resp = client_as(tree["b2_admin"], tree["b2"]).post(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 404
    assert not ResetCode.objects.exists()


def test_reset_code_issue_refuses_and_audits_an_admin_two_levels_up(client_as, tree, member):
    resp = client_as(tree["uni_admin"], tree["uni"]).post(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 403
    assert not ResetCode.objects.exists()
    assert AuditEvent.objects.filter(action="account.reset_code", result=AuditEvent.Result.DENIED,
                                     actor=tree["uni_admin"]).exists()  # R-AUTH-6


def test_reset_code_issue_refuses_a_member_and_sends_anonymous_to_login(client, client_as, tree, member):
    url = reverse("members:reset_code_issue", args=[member.pk])
    assert client.post(url).url.startswith(LOGIN)
    assert client_as(member).post(url).status_code == 403
    assert not ResetCode.objects.exists()


def test_reset_code_issue_reopened_shows_a_page_that_offers_a_new_code(client_as, tree, member):
    # Issue 15 item 5: the address the POST answered, reopened, was a blank 405.
    client = client_as(tree["b1_admin"], tree["b1"])
    url = reverse("members:reset_code_issue", args=[member.pk])
    code = client.post(url, {"next": reverse("people:members")}).context["code"]
    resp = client.get(url)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert code not in html and "无法再次查看" in html
    assert f'action="{url}"' in html and "重新生成重置码" in html
    assert f'href="{reverse("people:detail", args=[member.pk])}"' in html  # 返回: to the person
    assert ResetCode.objects.filter(person=member).count() == 1  # a GET issues nothing


def test_reset_code_issue_reopened_by_an_admin_two_levels_up_offers_no_button(client_as, tree, member):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 200 and "重新生成重置码" not in resp.content.decode()


def test_reset_code_issue_reopened_hides_a_person_outside_the_acting_subtree(client_as, tree, member):
    resp = client_as(tree["b2_admin"], tree["b2"]).get(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 404


def test_reset_code_issue_goes_back_to_the_page_it_came_from_on_this_site_only(client_as, tree, member):
    client = client_as(tree["b1_admin"], tree["b1"])
    url = reverse("members:reset_code_issue", args=[member.pk])
    html = client.post(url, {"next": "/people/?q=%E5%BC%A0"}).content.decode()
    assert 'href="/people/?q=%E5%BC%A0"' in html
    html = client.post(url, {"next": "https://evil.example/"}).content.decode()
    assert "evil.example" not in html and f'href="{reverse("members:reset_codes")}"' in html


def test_reset_codes_cost_the_same_queries_for_5_or_20_rows(client_as, tree):
    for i in range(5):
        MembershipFactory(branch=tree["b1"], person=PersonFactory(name=f"甲{i}"))
    for i in range(20):
        MembershipFactory(branch=tree["b2"], person=PersonFactory(name=f"乙{i}"))
    CadrePostFactory(org=tree["b2"], person=PersonFactory(name="乙干部"))
    client = client_as(tree["school_admin"], tree["school"])
    client.get(reverse("members:reset_codes"))  # warm the session
    counts = []
    for q in ("甲", "乙"):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("members:reset_codes"), {"q": q}).content.decode()
        assert html.count("生成重置码</button>") == (5 if q == "甲" else 20)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_reset_code_searchs_rows_never_carry_a_whole_id_number_searched_for(client_as, tree, member):
    """R-AUTH-6 (found in review): the row's form sends back where 返回 leads; after a search by a whole ID number that
    address drops the search instead of carrying the number on."""
    client = client_as(tree["b1_admin"], tree["b1"])
    html = client.get(reverse("members:reset_codes"), {"q": member.id_number}).content.decode()
    assert reverse("members:reset_code_issue", args=[member.pk]) in html
    row_form = html[html.index(reverse("members:reset_code_issue", args=[member.pk])):]
    row_form = row_form[:row_form.index("</form>")]
    assert member.id_number not in row_form
    assert f'name="next" value="{reverse("members:reset_codes")}"' in row_form
