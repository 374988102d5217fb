"""Issue 14: messages are stored as a code and parameters and shown in the reader's language — the page's on the
message center, the recipient's (Person.language) in mail; a step_opened message says what became of its step."""
import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from members.models import Person, ReminderOptOut
from members.services import set_reminder_opt_outs
from transfers.messages import deliver, tell_second_factor
from transfers.models import Message
from transfers.services import apply_for_transfer, approve

from .support import pending_step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_after():
    """An English page leaves its language active in this thread (the test client): the next test starts in Chinese."""
    yield
    translation.activate("zh-hans")


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _center(client) -> str:
    return client.get(reverse("transfers:messages")).content.decode()


def test_it_shows_a_message_written_in_chinese_in_english_on_the_english_pages(tree, member, client_as,
                                                                                django_capture_on_commit_callbacks):
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    message = Message.objects.get(recipient=tree["b1_admin"])
    assert message.code == "step_opened" and message.params["who"] == member.name
    assert "等待您处理" in message.text  # as written, kept for the logs
    page = _center(_english(client_as(tree["b1_admin"], tree["b1"])))
    assert f"A transfer for {member.name} is waiting for you" in page
    assert "等待您处理" not in page


def test_it_says_what_became_of_a_decided_step(tree, member, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    approve(actor=tree["b1_admin"], acting_org=tree["b1"], step=pending_step(request))
    page = _center(client_as(tree["school_admin"], tree["school"]))
    assert "已处理：已同意" in page and "等待您处理" not in page
    assert "handled: Approved" in _center(_english(client_as(tree["school_admin"], tree["school"])))


def test_a_row_from_before_codes_shows_its_text(tree, client_as):
    Message.objects.create(recipient=tree["b1_admin"], event="step_opened", text="旧消息：原样显示")
    assert "旧消息：原样显示" in _center(_english(client_as(tree["b1_admin"], tree["b1"])))


def test_mail_is_in_the_recipients_language(tree, member, django_capture_on_commit_callbacks):
    Person.objects.filter(pk=tree["b1_admin"].pk).update(email="b1@example.org", language="en")
    Person.objects.filter(pk=tree["school_admin"].pk).update(email="s@example.org")  # zh-hans, the default
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "waiting for you" in by_address["b1@example.org"].body
    assert "等待您处理" in by_address["s@example.org"].body


def test_the_otp_message_follows_the_page_too(tree, client_as):
    tell_second_factor(None, person_id=tree["b1_admin"].pk, actor_id=None, acting_org_id=None, event="enrolled")
    assert "authenticator" in _center(_english(client_as(tree["b1_admin"], tree["b1"]))).lower()


# --- the language switch -----------------------------------------------------------------------------------

def test_the_switch_sets_the_signed_in_persons_language(tree, member, client_as):
    client = client_as(member)
    client.post(reverse("set_language"), {"language": "en", "next": reverse("people:me")})
    assert Person.objects.get(pk=member.pk).language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": reverse("people:me")})
    assert Person.objects.get(pk=member.pk).language == "en"  # an unknown language changes nothing


def test_the_switch_signed_out_sets_only_the_cookie(tree, member, client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert Person.objects.get(pk=member.pk).language == "zh-hans"


# --- the reminders a person wants (their own page) ---------------------------------------------------------

def test_it_lets_the_person_turn_off_a_kind_on_their_own_page(tree, member, client_as):
    client = client_as(member)
    assert 'name="on" value="graduation"' in client.get(reverse("people:me")).content.decode()
    on = [k for k in ReminderOptOut.Kind.values if k != "graduation"]
    response = client.post(reverse("people:reminders"), {"on": on})
    assert response.status_code == 302
    assert set(ReminderOptOut.objects.filter(person=member).values_list("kind", flat=True)) == {"graduation"}
    client.post(reverse("people:reminders"), {"on": ReminderOptOut.Kind.values})
    assert not ReminderOptOut.objects.filter(person=member).exists()


def test_it_shows_no_reminder_form_to_an_admin_on_someone_elses_page(tree, member, client_as):
    page = client_as(tree["b1_admin"], tree["b1"]).get(reverse("people:detail", args=[member.pk])).content.decode()
    assert reverse("people:reminders") not in page


def test_it_refuses_anyone_but_the_person(tree, member):
    """Only the person decides what they are reminded of (R-AUTH-5): not even their branch's admin."""
    with pytest.raises(Exception) as exc:
        set_reminder_opt_outs(actor=tree["b1_admin"], person=member, kinds=["graduation"])
    assert exc.type.__name__ == "PermissionDenied"
    assert not ReminderOptOut.objects.exists()
    assert AuditEvent.objects.filter(action="person.reminders", result=AuditEvent.Result.DENIED).exists()


def test_it_refuses_a_signed_out_visitor(client, member):
    response = client.post(reverse("people:reminders"), {"on": []})
    assert response.status_code == 302 and reverse("login") in response.url
    assert not ReminderOptOut.objects.exists()


def test_deliver_of_one_event_still_works(tree, member):
    request = apply_for_transfer(member=member, to_org=tree["fb"], reason="moved")
    Message.objects.all().delete()
    deliver("step_opened", pending_step(request).pk)
    assert Message.objects.filter(code="step_opened").count() == 2
