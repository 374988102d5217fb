"""R-ACC-5 on the pages: an admin shows a second factor before any admin page opens, and before any admin act
sent from a page; a member's pages need the password only. The enrolment, code and reset pages themselves."""
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.factors import authenticator_of
from access.permissions import admin_org_ids, permission_scope
from access.services import reset_second_factor
from audit.models import AuditEvent
from members.models import CadrePost, ResetCode
from members.services import enter_cadre
from tests.conftest import second_factor
from tests.factories import make_id_number
from tests.factories.otp import next_code, totp_code, wrong_code
from tests.test_i18n import data_names, switch_to_english, untranslated
from transfers.models import Message, TransferRequest
from transfers.services import transfer_out

pytestmark = pytest.mark.django_db

PASSWORD = "Tuan-2026-strong"

# A sample of the admin pages, one or more of every app that has them: (URL name, args from the tree).
ADMIN_PAGES = [
    ("orgs:tree", []), ("orgs:detail", ["b1"]), ("orgs:create", ["b1"]),
    ("people:members", []), ("people:cadres", []), ("people:enter_member", []), ("people:enter_cadre", []),
    ("people:detail", ["member"]), ("people:edit", ["member"]), ("people:completion", []), ("people:segments", []),
    ("members:reset_codes", []), ("imports:start", []), ("imports:export", []),
    ("transfers:inbox", []), ("transfers:history", []), ("transfers:escalations", []), ("transfers:transfer_out", []),
    ("reports:dashboard", []), ("reports:roster", []), ("lifecycle:aged", []), ("lifecycle:turning", []),
]
MEMBER_PAGES = ["home", "people:me", "people:edit_me", "transfers:mine", "transfers:apply", "transfers:messages",
                "password_change"]


def url_of(tree, member, name, args):
    return reverse(name, args=[member.pk if a == "member" else tree[a].pk for a in args])


def verify_url(next_url=""):
    return reverse("two_factor:verify") + (f"?next={next_url}" if next_url else "")


@pytest.fixture
def admin(tree):
    """The branch admin, enrolled (an authenticator), with a password to sign in with."""
    person = tree["b1_admin"]
    person.set_password(PASSWORD)
    person.save(update_fields=["password", "password_set"])
    second_factor(person)
    return person


# the gate --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, args", ADMIN_PAGES)
def test_an_admin_without_a_verified_factor_is_sent_to_the_code_page(client_as, tree, member, admin, name, args):
    url = url_of(tree, member, name, args)
    resp = client_as(admin, verified=False).get(url)
    assert resp.status_code == 302
    assert resp.url == reverse("two_factor:verify") + "?next=" + url.replace("/", "%2F")


@pytest.mark.parametrize("name, args", ADMIN_PAGES[:6])
def test_an_admin_with_no_factor_yet_is_sent_to_enrol(client_as, tree, member, name, args):
    resp = client_as(tree["b1_admin"], verified=False).get(url_of(tree, member, name, args))
    assert resp.status_code == 302 and resp.url.startswith(reverse("two_factor:enrol"))


@pytest.mark.parametrize("name, args", ADMIN_PAGES[:8])
def test_the_same_pages_open_once_verified(client_as, tree, member, admin, name, args):
    assert client_as(admin).get(url_of(tree, member, name, args)).status_code == 200


def test_posts_are_refused_until_verified(client_as, tree, member, admin):
    client = client_as(admin, verified=False)
    resp = client.post(reverse("members:reset_code_issue", args=[member.pk]))
    assert resp.status_code == 302 and resp.url == verify_url()  # a POST is never replayed after the code
    assert not ResetCode.objects.exists()
    resp = client.post(reverse("people:enter_member"), {"name": "李四", "id_number": make_id_number(),
                                                          "joined_on": "2016-05-04"})
    assert resp.status_code == 302 and resp.url == verify_url()
    assert not AuditEvent.objects.filter(action__startswith="person.").exists()
    resp = client.post(reverse("orgs:switch"), {"org": tree["b1"].pk})
    assert resp.status_code == 302 and resp.url == verify_url()


def test_htmx_is_sent_to_the_code_page_as_a_whole_page(client_as, tree, admin):
    resp = client_as(admin, verified=False).get(reverse("orgs:children", args=[tree["b1"].pk]), HTTP_HX_REQUEST="true")
    assert resp.status_code == 204 and resp["HX-Redirect"].startswith(reverse("two_factor:verify"))


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_a_members_pages_need_only_the_password(client_as, member, name):
    assert client_as(member).get(reverse(name)).status_code == 200
    assert not TOTPDevice.objects.filter(user=member).exists()


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_an_unverified_admin_still_has_their_own_pages(client_as, admin, name):
    assert client_as(admin, verified=False).get(reverse(name)).status_code == 200


def test_an_unverified_admins_home_asks_for_the_code_and_shows_no_admin_figures(client_as, admin):
    page = client_as(admin, verified=False).get(reverse("home")).content.decode()
    assert "管理功能需要两步验证" in page and reverse("two_factor:verify") in page
    assert reverse("orgs:tree") not in page  # neither the admin menu nor the organization's figures


def test_a_verified_admins_home_counts_their_backup_codes(client_as, tree):
    admin = tree["b1_admin"]
    client = client_as(admin, verified=False)
    key = client.get(reverse("two_factor:enrol")).context["secret"]
    assert key
    key_hex = client.session["otp_enrol_key"]
    client.post(reverse("two_factor:enrol"), {"code": totp_code(key_hex)})
    page = client.get(reverse("home")).content.decode()
    assert "备用码还剩 10 个" in page and "管理功能需要两步验证" not in page


def test_answering_someone_elses_post_needs_the_factor(client_as, tree, member):
    """R-ENT-9: an admin with custody answers for the person — an admin's act, so after the code."""
    enter_cadre(actor=tree["b2_admin"], org=tree["b2"], id_number=member.id_number, name=member.name, title="委员")
    post = CadrePost.objects.pending().get(person=member)
    admin = tree["b1_admin"]
    second_factor(admin)
    resp = client_as(admin, verified=False).post(reverse("people:answer_post", args=[post.pk]), {"decision": "confirm"})
    assert resp.status_code == 302 and resp.url == verify_url()
    post.refresh_from_db()
    assert post.confirmed_at is None


def test_the_person_answers_their_own_post_with_the_password(client_as, tree, member):
    enter_cadre(actor=tree["b2_admin"], org=tree["b2"], id_number=member.id_number, name=member.name, title="委员")
    post = CadrePost.objects.pending().get(person=member)
    resp = client_as(member).post(reverse("people:answer_post", args=[post.pk]), {"decision": "decline"})
    assert resp.status_code == 302
    post.refresh_from_db()
    assert post.ended_at is not None


def test_withdrawing_a_transfer_out_needs_the_factor(client_as, tree, member, admin):
    request = transfer_out(actor=admin, acting_org=tree["b1"], member=member, to_org=tree["fb"], reason="moved")
    resp = client_as(admin, verified=False).post(reverse("transfers:withdraw", args=[request.pk]))
    assert resp.status_code == 302 and resp.url == verify_url()
    request.refresh_from_db()
    assert request.status == TransferRequest.Status.PENDING


def test_an_unverified_session_holds_no_admin_rights_in_any_service(rf, tree, admin):
    """The last line (access.permissions): whatever page calls whatever service, an admin's rights need the factor."""
    with permission_scope(unverified=lambda: admin.pk):
        assert admin_org_ids(admin) == set()
        assert admin_org_ids(tree["b2_admin"]) == {tree["b2"].pk}
    with permission_scope(unverified=lambda: None):
        assert admin_org_ids(admin) == {tree["b1"].pk}


# signing in ------------------------------------------------------------------------------------------------


def signed_in(client, person, **extra):
    if not person.password_set:
        person.set_password(PASSWORD)
        person.save(update_fields=["password", "password_set"])
    return client.post(reverse("login"), {"username": person.id_number, "password": PASSWORD, **extra})


def test_after_the_password_an_admin_is_asked_for_the_code(client, admin):
    resp = signed_in(client, admin, next=reverse("people:members"))
    assert resp.status_code == 302
    assert resp.url == reverse("two_factor:verify") + "?next=%2Fpeople%2F"
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_after_the_password_an_admin_with_no_factor_is_sent_to_enrol(client, tree):
    resp = signed_in(client, tree["b1_admin"])
    assert resp.status_code == 302 and resp.url.startswith(reverse("two_factor:enrol"))


def test_after_the_password_a_member_is_home(client, member):
    resp = signed_in(client, member)
    assert resp.status_code == 302 and resp.url == reverse("home")


def test_the_code_opens_the_admin_pages_and_returns_to_where_it_was_going(client, admin):
    signed_in(client, admin)
    device = authenticator_of(admin)
    before = client.session.session_key
    resp = client.post(verify_url(), {"code": next_code(device), "next": reverse("people:members")})
    assert resp.status_code == 302 and resp.url == reverse("people:members")
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != before  # a session that gains rights gets a new key
    assert client.get(reverse("people:members")).status_code == 200


def test_a_wrong_code_on_the_page_is_refused_audited_and_keeps_the_gate_shut(client, admin):
    signed_in(client, admin)
    device = authenticator_of(admin)
    resp = client.post(verify_url(), {"code": wrong_code(next_code(device))})
    assert resp.status_code == 200
    assert "验证码不正确" in resp.content.decode() and 'aria-invalid="true"' in resp.content.decode()
    assert AuditEvent.objects.filter(actor=admin, action="account.otp_fail", result="denied").count() == 1
    assert client.get(reverse("people:members")).status_code == 302


def test_the_code_page_refuses_an_outside_next(client, admin):
    signed_in(client, admin)
    resp = client.post(verify_url(), {"code": next_code(authenticator_of(admin)), "next": "https://evil.example/"})
    assert resp.url == reverse("home")


def test_the_code_page_sends_a_member_home(client_as, member):
    assert client_as(member).get(verify_url()).url == reverse("home")


# enrolment -------------------------------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_and_the_secret_but_never_the_id_number(client_as, tree):
    admin = tree["b1_admin"]
    resp = client_as(admin, verified=False).get(reverse("two_factor:enrol"))
    page = resp.content.decode()
    assert resp.status_code == 200 and "no-cache" in resp["Cache-Control"]
    assert "<svg" in page and "<script" not in page.split("<main", 1)[1] and 'style="' not in page
    assert resp.context["secret"] in page and len(resp.context["secret"].replace(" ", "")) == 32
    assert admin.id_number not in page
    # The same secret on a reload: a phone halfway through scanning is not thrown off.
    assert client_as(admin, verified=False).get(reverse("two_factor:enrol")).context["secret"] == resp.context["secret"]
    assert not TOTPDevice.objects.filter(user=admin).exists()


def test_enrolling_confirms_the_device_verifies_the_session_and_shows_the_codes_once(client_as, tree):
    admin = tree["b1_admin"]
    client = client_as(admin, verified=False)
    client.get(reverse("two_factor:enrol"))
    key = client.session["otp_enrol_key"]
    resp = client.post(reverse("two_factor:enrol"), {"code": wrong_code(totp_code(key))})
    assert resp.status_code == 200 and not TOTPDevice.objects.filter(user=admin).exists()
    resp = client.post(reverse("two_factor:enrol"), {"code": totp_code(key), "next": reverse("people:members")})
    assert resp.status_code == 200 and "no-store" in resp["Cache-Control"]
    page = resp.content.decode()
    codes = set(StaticToken.objects.filter(device__user=admin).values_list("token", flat=True))
    assert len(codes) == 10 and all(f"{c[:5]} {c[5:]}" in page for c in codes)
    assert "otp_enrol_key" not in client.session
    assert client.session[DEVICE_ID_SESSION_KEY] == authenticator_of(admin).persistent_id
    assert client.get(reverse("people:members")).status_code == 200


def test_re_enrolment_needs_the_current_factor_first(client_as, admin):
    resp = client_as(admin, verified=False).get(reverse("two_factor:enrol"))
    assert resp.status_code == 302 and resp.url == reverse("two_factor:verify") + "?next=%2Ftwo-factor%2Fenrol%2F"
    page = client_as(admin).get(reverse("two_factor:enrol"))
    assert page.status_code == 200 and "重新绑定身份验证器" in page.content.decode()


def test_a_member_has_no_enrolment_page(client_as, member):
    assert client_as(member).get(reverse("two_factor:enrol")).status_code == 403


# reset by a custodian --------------------------------------------------------------------------------------


def test_the_reset_button_shows_to_a_custodian(client_as, tree, admin):
    page = client_as(tree["school_admin"]).get(reverse("people:detail", args=[admin.pk])).content.decode()
    assert reverse("two_factor:reset", args=[admin.pk]) in page


def test_the_reset_button_hides_from_an_admin_without_custody(client_as, tree):
    """The province sees the school's admin in its subtree, but is not the school's direct superior (R-AUTH-2)."""
    above = tree["school_admin"]
    second_factor(above)
    page = client_as(tree["uni_admin"]).get(reverse("people:detail", args=[above.pk])).content.decode()
    assert reverse("two_factor:reset", args=[above.pk]) in page  # the university committee has custody
    resp = client_as(tree["province_admin"]).get(reverse("people:detail", args=[above.pk]))
    assert resp.status_code == 200 and reverse("two_factor:reset", args=[above.pk]) not in resp.content.decode()


def test_a_custodian_resets_through_the_page(client_as, tree, admin, django_capture_on_commit_callbacks):
    owner = Client()
    owner.post(reverse("login"), {"username": admin.id_number, "password": PASSWORD})
    owner.post(verify_url(), {"code": next_code(authenticator_of(admin))})
    assert owner.get(reverse("people:members")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_as(tree["school_admin"]).post(reverse("two_factor:reset", args=[admin.pk]))
    assert resp.status_code == 302 and resp.url == reverse("people:detail", args=[admin.pk])
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert AuditEvent.objects.get(action="account.otp_reset").result == "ok"
    assert Message.objects.filter(recipient=admin, event="otp_reset").exists()
    # The owner's verified session ends with the device: their next admin page asks them to enrol again.
    assert owner.get(reverse("people:members")).url.startswith(reverse("two_factor:enrol"))
    assert "重置了您的两步验证" in owner.get(reverse("transfers:messages")).content.decode()


def test_a_non_custodians_reset_is_refused(client_as, tree):
    """Outside the acting subtree the person is not found (404); inside it without custody of their account, the
    service refuses (403) and audits the refusal."""
    above = tree["school_admin"]
    second_factor(above)
    assert client_as(tree["b2_admin"]).post(reverse("two_factor:reset", args=[tree["b1_admin"].pk])).status_code == 404
    assert client_as(tree["b1_admin"]).post(reverse("two_factor:reset", args=[above.pk])).status_code == 404
    resp = client_as(tree["province_admin"]).post(reverse("two_factor:reset", args=[above.pk]))
    assert resp.status_code == 403
    assert AuditEvent.objects.get(action="account.otp_reset").result == "denied"
    assert TOTPDevice.objects.filter(user=above).exists()


def test_an_unverified_custodian_cannot_reset(client_as, tree, admin):
    boss = tree["school_admin"]
    second_factor(boss)
    resp = client_as(boss, verified=False).post(reverse("two_factor:reset", args=[admin.pk]))
    assert resp.status_code == 302 and resp.url == verify_url()
    assert TOTPDevice.objects.filter(user=admin).exists()


def test_the_refusal_is_a_permission_denied(tree, admin):
    with pytest.raises(PermissionDenied):
        reset_second_factor(actor=tree["b1_admin"], acting_org=tree["b1"], person=tree["school_admin"])


# English ---------------------------------------------------------------------------------------------------


@pytest.fixture
def back_to_chinese():
    """LocaleMiddleware leaves the last request's language active in this thread; later tests expect Chinese."""
    yield
    translation.deactivate()


def test_the_second_factor_pages_speak_english(client, tree, admin, back_to_chinese):
    def english(resp) -> list[str]:
        assert resp.status_code == 200
        return untranslated(resp.content.decode(), data_names(tree))

    switch_to_english(client)
    signed_in(client, admin)
    assert english(client.get(verify_url())) == []
    assert english(client.post(verify_url(), {"code": "12"})) == []  # the error too
    assert english(client.get(reverse("home"))) == []  # the prompt on the home page
    client.post(verify_url(), {"code": next_code(authenticator_of(admin))})
    assert english(client.get(reverse("home"))) == []
    page = client.get(reverse("two_factor:enrol"))
    assert english(page) == []  # re-enrolment, with the warning about the old app
    key = client.session["otp_enrol_key"]
    assert english(client.post(reverse("two_factor:enrol"), {"code": totp_code(key)})) == []  # the backup codes
    newcomer = Client()
    switch_to_english(newcomer)
    signed_in(newcomer, tree["b2_admin"])
    assert english(newcomer.get(reverse("two_factor:enrol"))) == []
    boss = Client()
    switch_to_english(boss)
    second_factor(tree["school_admin"])
    tree["school_admin"].set_password(PASSWORD)
    tree["school_admin"].save(update_fields=["password", "password_set"])
    signed_in(boss, tree["school_admin"])
    boss.post(verify_url(), {"code": next_code(authenticator_of(tree["school_admin"]))})
    assert english(boss.get(reverse("people:detail", args=[admin.pk]))) == []  # the reset section
