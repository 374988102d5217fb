"""Account custody (R-ENT-9, R-AUTH-7): a post added to someone on record waits for them and grants nothing;
custody goes through confirmed organizations only and never over an admin above the actor."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access.custody import has_custody
from access.permissions import admin_org_ids, ensure_acting_as, permission_scope
from access.selectors import pending_posts
from members.models import CadrePost, Person, ResetCode
from members.services import (
    confirm_post,
    correct_identity,
    decline_post,
    end_post,
    enter_cadre,
    enter_member,
    issue_reset_code,
)
from tests.factories import make_id_number

from .support import codes, denied

pytestmark = pytest.mark.django_db


def _post(person, org) -> CadrePost:
    return CadrePost.objects.get(person=person, org=org, ended_at__isnull=True)


def _add(tree, admin, org, person, *, is_admin=False, **extra) -> CadrePost:
    enter_cadre(actor=tree[admin], org=tree[org], id_number=person.id_number, name=person.name, title="委员",
                is_admin=is_admin, **extra)
    return _post(person, tree[org])


# The takeover of issue 10 -----------------------------------------------------------------------------------


def test_a_branch_admin_who_enters_the_root_admin_as_a_cadre_gets_no_hold_on_the_account(tree):
    root = tree["central_admin"]
    post = _add(tree, "b1_admin", "b1", root)
    assert post.confirmed_at is None and post.added_by_id == tree["b1_admin"].pk
    with pytest.raises(PermissionDenied):
        issue_reset_code(actor=tree["b1_admin"], person=root)
    with pytest.raises(PermissionDenied):
        correct_identity(actor=tree["b1_admin"], person=root, reason="核对更正", name="别人")
    assert not ResetCode.objects.filter(person=root).exists()
    assert denied(tree["b1_admin"], "account.reset_code")


def test_a_branch_admin_who_enters_a_siblings_member_gets_no_hold_on_them(tree):
    other = enter_member(actor=tree["b2_admin"], branch=tree["b2"], id_number=make_id_number(dt.date(2004, 6, 6)),
                         name="李晓东", joined_on=dt.date(2019, 5, 4), development_number="201900000001")
    _add(tree, "b1_admin", "b1", other)
    assert not has_custody(tree["b1_admin"], other)
    assert has_custody(tree["b2_admin"], other)


def test_a_pending_admin_post_gives_its_holder_no_admin_rights(tree, member):
    _add(tree, "b2_admin", "b2", member, is_admin=True)
    assert tree["b2"].pk not in admin_org_ids(member)
    with pytest.raises(PermissionDenied):
        ensure_acting_as(member, tree["b2"])


def test_a_pending_post_changes_nothing_on_the_record(tree, member):
    before = Person.objects.get(pk=member.pk)
    _add(tree, "uni_admin", "uni", member, joined_on=dt.date(2015, 1, 1))
    after = Person.objects.get(pk=member.pk)
    assert (after.joined_on, after.development_number, after.name) == (
        before.joined_on, before.development_number, before.name)


def test_an_admin_cannot_make_someone_on_record_a_member_of_their_branch(tree):
    """The root admin has no branch: entering them with a joining date would have made them b1's member."""
    root = tree["central_admin"]
    with pytest.raises(ValidationError) as exc:
        enter_cadre(actor=tree["b1_admin"], org=tree["b1"], id_number=root.id_number, name=root.name, title="委员",
                    joined_on=dt.date(2012, 5, 4))
    assert codes(exc.value) == {"id_registered"}
    assert not root.memberships.exists() and not CadrePost.objects.filter(person=root, org=tree["b1"]).exists()


def test_a_pending_post_does_not_count_for_completeness(tree, member):
    from members.completeness import org_figures

    before = org_figures([tree["uni"].pk])[tree["uni"].pk]["cadres"]
    _add(tree, "uni_admin", "uni", member)
    assert org_figures([tree["uni"].pk])[tree["uni"].pk]["cadres"] == before


# Answering a pending post -----------------------------------------------------------------------------------


def test_the_person_sees_and_confirms_a_post_added_to_them(tree, member):
    post = _add(tree, "b2_admin", "b2", member, is_admin=True)
    assert list(pending_posts(member)) == [post]
    confirm_post(actor=member, post=post)
    post.refresh_from_db()
    assert post.confirmed_at is not None and post.confirmed_by_id == member.pk
    assert tree["b2"].pk in admin_org_ids(member)
    assert not pending_posts(member).exists()


def test_after_confirming_the_new_organizations_admins_have_custody(tree, member):
    post = _add(tree, "b2_admin", "b2", member)
    assert not has_custody(tree["b2_admin"], member)
    confirm_post(actor=member, post=post)
    assert issue_reset_code(actor=tree["b2_admin"], person=member)


def test_the_admin_who_added_a_post_cannot_confirm_it(tree, member):
    post = _add(tree, "b2_admin", "b2", member)
    with pytest.raises(PermissionDenied):
        confirm_post(actor=tree["b2_admin"], post=post)
    post.refresh_from_db()
    assert post.confirmed_at is None
    assert denied(tree["b2_admin"], "cadre.confirm_post")


def test_an_admin_with_custody_confirms_for_the_person(tree, member):
    post = _add(tree, "b2_admin", "b2", member)
    confirm_post(actor=tree["b1_admin"], post=post)
    post.refresh_from_db()
    assert post.confirmed_by_id == tree["b1_admin"].pk


@pytest.mark.parametrize("outsider", ["fb_admin", "uni_admin", "central_admin"])
def test_an_admin_without_custody_neither_confirms_nor_declines(tree, member, outsider):
    post = _add(tree, "b2_admin", "b2", member)
    with pytest.raises(PermissionDenied):
        confirm_post(actor=tree[outsider], post=post)
    with pytest.raises(PermissionDenied):
        decline_post(actor=tree[outsider], post=post)
    post.refresh_from_db()
    assert post.is_pending


def test_the_person_declines_a_post_and_it_ends_unconfirmed(tree, member):
    post = _add(tree, "b2_admin", "b2", member)
    decline_post(actor=member, post=post)
    post.refresh_from_db()
    assert post.ended_at is not None and post.confirmed_at is None
    with pytest.raises(ValidationError) as exc:
        confirm_post(actor=member, post=post)
    assert exc.value.code == "post_not_pending"


def test_a_confirmed_post_cannot_be_confirmed_or_declined_again(tree, member):
    post = _add(tree, "b2_admin", "b2", member)
    confirm_post(actor=member, post=post)
    for service in (confirm_post, decline_post):
        with pytest.raises(ValidationError) as exc:
            service(actor=member, post=post)
        assert exc.value.code == "post_not_pending"


def test_the_system_adds_posts_confirmed(tree, member):
    enter_cadre(actor=None, org=tree["b2"], id_number=member.id_number, name=member.name, title="委员")
    assert _post(member, tree["b2"]).confirmed_at is not None


def test_a_second_post_in_the_same_organization_is_refused_while_one_is_pending(tree, member):
    _add(tree, "b2_admin", "b2", member)
    with pytest.raises(ValidationError) as exc:
        _add(tree, "b2_admin", "b2", member)
    assert codes(exc.value) == {"post_exists"}


# Outranking (R-AUTH-7) ----------------------------------------------------------------------------------------


@pytest.fixture
def school_admin_in_b1(tree):
    """The general branch's admin is also a member of branch 1: b1's admins reach them (R-AUTH-2) but do
    not outrank them (R-AUTH-7)."""
    return enter_cadre(actor=None, org=tree["b1"], id_number=tree["school_admin"].id_number,
                       name=tree["school_admin"].name, title="委员", joined_on=dt.date(2012, 5, 4))


def test_a_branch_admin_cannot_reset_the_password_of_an_admin_above_them(tree, school_admin_in_b1):
    with pytest.raises(PermissionDenied):
        issue_reset_code(actor=tree["b1_admin"], person=school_admin_in_b1)


@pytest.mark.parametrize("admin", ["uni_admin"])
def test_the_admin_of_the_superior_still_resets_it(tree, school_admin_in_b1, admin):
    assert issue_reset_code(actor=tree[admin], person=school_admin_in_b1)


def test_a_co_admin_of_the_same_organization_is_of_equal_rank(tree):
    co = enter_cadre(actor=None, org=tree["b1"], id_number=make_id_number(dt.date(1999, 9, 9)), name="钱副书记",
                     title="副书记", is_admin=True)
    assert issue_reset_code(actor=tree["b1_admin"], person=co)


# Rights are not cached beyond a request ------------------------------------------------------------------------


def test_an_ended_admin_post_stops_counting_for_the_same_actor_object(tree):
    actor = tree["b2_admin"]
    ensure_acting_as(actor, tree["b2"])
    end_post(actor=tree["school_admin"], post=_post(actor, tree["b2"]))
    with pytest.raises(PermissionDenied):
        ensure_acting_as(actor, tree["b2"])


def test_inside_a_request_an_ended_post_stops_counting_at_once(tree):
    actor = tree["b2_admin"]
    with permission_scope():
        ensure_acting_as(actor, tree["b2"])
        end_post(actor=tree["school_admin"], post=_post(actor, tree["b2"]))
        with pytest.raises(PermissionDenied):
            ensure_acting_as(actor, tree["b2"])


# The matrix: actor × target × action ---------------------------------------------------------------------------
# Every service that changes a person or reveals their whole ID number, against R-AUTH-2 + R-AUTH-7.
ACTORS = ["b1_admin", "b2_admin", "school_admin", "uni_admin", "fb_admin", "central_admin"]
ALLOWED = {
    "member": {"b1_admin", "school_admin"},  # a plain member of b1
    "co_admin": {"b1_admin", "school_admin"},  # an admin of b1 too: equal rank with b1's admin
    "school_co_admin_in_b1": {"school_admin", "uni_admin"},  # admin of the general branch, member of b1
    "root": set(),  # the root admin, with a pending post in b1 added by b1's admin
    "pending_in_b1": {"b2_admin", "school_admin"},  # b2's member, with a pending post in b1 added by b1's admin
}


def _targets(tree) -> dict:
    t = {"member": enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2004, 3, 1)),
                                name="张小明", joined_on=dt.date(2016, 5, 4))}
    t["co_admin"] = enter_cadre(actor=None, org=tree["b1"], id_number=make_id_number(dt.date(1999, 9, 9)),
                                name="钱副书记", title="副书记", is_admin=True)
    boss = enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(1998, 8, 8)),
                        name="孙总支副书记", joined_on=dt.date(2012, 5, 4))
    t["school_co_admin_in_b1"] = enter_cadre(actor=None, org=tree["school"], id_number=boss.id_number,
                                             name=boss.name, title="副书记", is_admin=True)
    t["root"] = tree["central_admin"]
    _add(tree, "b1_admin", "b1", t["root"], is_admin=True)
    t["pending_in_b1"] = enter_member(actor=None, branch=tree["b2"], id_number=make_id_number(dt.date(2003, 4, 4)),
                                      name="周同学", joined_on=dt.date(2018, 5, 4), development_number="201800000001")
    _add(tree, "b1_admin", "b1", t["pending_in_b1"], is_admin=True)
    return t


def _act(action, actor, person):
    from django.db import transaction

    from access.custody import ensure_may_change_person
    from members.services import update_profile

    with transaction.atomic():
        sid = transaction.savepoint()
        try:
            if action == "reset_code":
                issue_reset_code(actor=actor, person=person)
            elif action == "correct_identity":
                correct_identity(actor=actor, person=person, reason="核对后更正姓名", name=person.name + "某")
            elif action == "edit_profile":
                update_profile(actor=actor, person=person, phone="13800138000")
            elif action == "dev_number":
                update_profile(actor=actor, person=person, development_number="")
            elif action == "show_whole_id":  # what the person page asks before showing the whole number
                ensure_may_change_person(actor, person)
            return True
        except PermissionDenied:
            return False
        except ValidationError:
            return True  # allowed through the door; the rule itself had something to say
        finally:
            transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("action", ["reset_code", "correct_identity", "edit_profile", "dev_number", "show_whole_id"])
@pytest.mark.parametrize("target", list(ALLOWED))
def test_authorization_matrix(tree, target, action):
    person = _targets(tree)[target]
    # The person themself is R-AUTH-5's case (their own contact fields), tested with the profile edits.
    got = {key for key in ACTORS if tree[key].pk != person.pk and _act(action, tree[key], person)}
    assert got == ALLOWED[target]


def test_a_completed_transfer_ends_the_old_branchs_admin_rights_inside_the_same_request(tree):
    """R-TR-12 ends what the member held in the old branch; a request that read their rights before must not
    keep them."""
    from transfers.services import batch_transfer

    secretary = enter_cadre(actor=None, org=tree["b1"], id_number=make_id_number(dt.date(2001, 1, 1)), name="吴支书",
                            title="书记", is_admin=True, joined_on=dt.date(2015, 5, 4))
    with permission_scope():
        ensure_acting_as(secretary, tree["b1"])
        batch_transfer(actor=tree["school_admin"], acting_org=tree["school"], from_branch=tree["b1"],
                       members=[secretary], to_branch=tree["b2"], reason="other", note="班级调整，整体转入二班")
        with pytest.raises(PermissionDenied):
            ensure_acting_as(secretary, tree["b1"])


# Found by the attack review of issue 10 ------------------------------------------------------------------------


def test_an_admin_who_adds_a_post_to_themself_cannot_confirm_it(tree):
    """uni's admin entering themself as admin of the general branch below would gain custody of its members."""
    me = tree["uni_admin"]
    post = _add(tree, "uni_admin", "school", me, is_admin=True)
    with pytest.raises(PermissionDenied):
        confirm_post(actor=me, post=post)
    post.refresh_from_db()
    assert post.is_pending and tree["school"].pk not in admin_org_ids(me)
    confirm_post(actor=tree["province_admin"], post=post)  # someone with custody of them may
    assert tree["school"].pk in admin_org_ids(me)


@pytest.mark.parametrize("typed, found", [(6, True), (7, False), (12, False), (17, False), (18, True)])
def test_a_search_by_id_number_takes_the_whole_number_or_its_visible_first_6(client_as, tree, member, typed, found):
    """A longer prefix rebuilt a whole ID number character by character (and the initial password with it)."""
    from django.urls import reverse

    client = client_as(tree["uni_admin"], tree["uni"])
    for url in (reverse("people:members"), reverse("members:reset_codes")):
        html = client.get(url, {"q": member.id_number[:typed]}).content.decode()
        assert (member.name in html) is found, (url, typed)
