"""The pages of R-ENT-9: the person sees a post added to them on their home page and in the message center,
and confirms or declines it there; the admin who added it cannot confirm it."""
import pytest
from django.urls import reverse

from members.models import CadrePost
from members.services import enter_cadre

from .support import denied

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(tree, member):
    enter_cadre(actor=tree["b2_admin"], org=tree["b2"], id_number=member.id_number, name=member.name, title="委员",
                is_admin=True)
    return CadrePost.objects.get(person=member, org=tree["b2"], ended_at__isnull=True)


def _answer(client, post, decision):
    return client.post(reverse("people:answer_post", args=[post.pk]), {"decision": decision, "next": "/"})


@pytest.mark.parametrize("page", ["home", "transfers:messages", "people:me"])
def test_it_shows_the_person_the_post_waiting_for_them(client_as, member, pending, page):
    html = client_as(member).get(reverse(page)).content.decode()
    assert "待您确认的任职" in html and pending.org.full_name in html
    assert reverse("people:answer_post", args=[pending.pk]) in html


def test_the_nav_badge_counts_the_waiting_post(client_as, member, pending):
    html = client_as(member).get(reverse("home")).content.decode()
    assert "1 条未读" in html


def test_the_person_confirms_it(client_as, member, pending):
    resp = _answer(client_as(member), pending, "confirm")
    assert resp.status_code == 302
    pending.refresh_from_db()
    assert pending.confirmed_at is not None


def test_the_person_declines_it(client_as, member, pending):
    _answer(client_as(member), pending, "decline")
    pending.refresh_from_db()
    assert pending.ended_at is not None and pending.confirmed_at is None


def test_the_admin_who_added_it_is_refused(client_as, tree, pending):
    resp = _answer(client_as(tree["b2_admin"], tree["b2"]), pending, "confirm")
    assert resp.status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending and denied(tree["b2_admin"], "cadre.confirm_post")


def test_an_outsider_is_refused(client_as, tree, pending):
    resp = _answer(client_as(tree["fb_admin"], tree["fb"]), pending, "decline")
    assert resp.status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending


def test_an_answer_twice_says_it_is_done(client_as, member, pending):
    client = client_as(member)
    _answer(client, pending, "confirm")
    resp = client.post(reverse("people:answer_post", args=[pending.pk]), {"decision": "decline"}, follow=True)
    assert "已确认或已结束" in resp.content.decode()
    pending.refresh_from_db()
    assert pending.confirmed_at is not None and pending.ended_at is None


def test_it_answers_only_a_post(client_as, member, pending):
    client = client_as(member)
    assert client.get(reverse("people:answer_post", args=[pending.pk])).status_code == 405
    assert _answer(client, pending, "maybe").status_code == 302
    pending.refresh_from_db()
    assert pending.is_pending


def test_the_person_page_marks_the_post_as_waiting_for_the_admins(client_as, tree, member, pending):
    html = client_as(tree["b1_admin"], tree["b1"]).get(reverse("people:detail", args=[member.pk])).content.decode()
    assert "待本人确认" in html


def test_entering_someone_on_record_as_a_cadre_says_it_waits_for_them(client_as, tree, member):
    client = client_as(tree["b2_admin"], tree["b2"])
    resp = client.post(reverse("people:enter_cadre"), {
        "org": tree["b2"].pk, "id_number": member.id_number, "name": member.name, "title": "委员", "is_admin": "on",
    }, follow=True)
    html = resp.content.decode()
    assert "本人在“消息”或首页确认后任职才生效" in html
    post = CadrePost.objects.get(person=member, org=tree["b2"])
    assert post.is_pending
    # ...and the takeover of issue 10 goes no further: no reset code, no whole ID number, no edit page.
    assert client.get(reverse("people:detail", args=[member.pk]), {"show_id": "1"}).status_code == 404
    assert client.post(reverse("members:reset_code_issue", args=[member.pk])).status_code == 404
