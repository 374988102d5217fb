"""R-ENT-5 / issue 18: the development-number dialog on sign-in, to the person and to the admins of their organization
and of its direct superior; on every sign-in until fixed, closed for the session only; no query a page."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Person
from members.prompts import SESSION_KEY, admin_counts
from tests.factories import MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Tuan-2026-strong"


def _flagged(branch, issue="segment", n=1):
    people = []
    for _ in range(n):
        person = PersonFactory(joined_on=dt.date(2019, 5, 4), development_number=None, dev_number_issue=issue)
        person.set_password(PASSWORD)
        person.password_set = True
        person.save()
        MembershipFactory(person=person, branch=branch)
        people.append(person)
    return people


def _sign_in(client, person):
    response = client.post(reverse("login"), {"username": person.id_number, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _dialog(client, url="people:me"):
    html = client.get(reverse(url)).content.decode()
    return html[html.index("<dialog"):html.index("</dialog>")] if "<dialog" in html else ""


def test_the_person_sees_the_dialog_naming_their_case_and_the_way_to_fix_it(client, tree):
    (person,) = _flagged(tree["b1"], "year")
    dialog = _dialog(_sign_in(client, person))
    assert 'id="dev-prompt"' in dialog and "年份不符" in dialog and "与入团时间不一致" in dialog
    assert f'name="go" value="{reverse("people:edit_me")}"' in dialog
    response = client.post(reverse("people:dev_prompt_dismiss"), {"next": "/", "go": reverse("people:edit_me")})
    assert response["Location"] == reverse("people:edit_me")   # leads to the fix, closed for the session
    assert _dialog(client) == ""


def test_a_person_without_a_problem_sees_no_dialog(client, tree):
    person = _flagged(tree["b1"], "")[0]
    assert _dialog(_sign_in(client, person)) == ""
    assert SESSION_KEY not in client.session


def test_closed_it_stays_closed_this_session_and_comes_back_at_the_next_sign_in(client, tree):
    (person,) = _flagged(tree["b1"], "taken")
    _sign_in(client, person)
    assert _dialog(client) and _dialog(client, "home")   # until closed, on each page
    response = client.post(reverse("people:dev_prompt_dismiss"), {"next": reverse("people:me")})
    assert response.status_code == 302 and response["Location"] == reverse("people:me")
    assert _dialog(client) == ""
    client.post(reverse("logout"))
    assert _dialog(_sign_in(client, person))


def test_closing_by_script_gets_no_page_and_a_foreign_next_is_not_followed(client, tree):
    (person,) = _flagged(tree["b1"], "format")
    _sign_in(client, person)
    assert client.post(reverse("people:dev_prompt_dismiss"), headers={"X-Requested-With": "fetch"}).status_code == 204
    _sign_in(client, person)
    response = client.post(reverse("people:dev_prompt_dismiss"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_closing_is_refused_to_a_get_and_to_someone_signed_out(client, tree):
    assert client.post(reverse("people:dev_prompt_dismiss")).status_code == 302   # to the sign-in page
    (person,) = _flagged(tree["b1"], "format")
    _sign_in(client, person)
    assert client.get(reverse("people:dev_prompt_dismiss")).status_code == 405
    assert _dialog(client)


def test_fixed_during_the_session_the_dialog_is_gone_at_once(client, tree):
    (person,) = _flagged(tree["b1"], "segment")
    _sign_in(client, person)
    Person.objects.filter(pk=person.pk).update(dev_number_issue="")
    assert _dialog(client) == ""


def test_admins_of_the_branch_and_of_its_direct_superior_are_counted_no_one_higher(tree):
    _flagged(tree["b1"], "segment", n=2)
    _flagged(tree["b2"], "taken")
    assert admin_counts(tree["b1_admin"]) == {"segment": 2}
    assert admin_counts(tree["school_admin"]) == {"segment": 2, "taken": 1}
    assert admin_counts(tree["uni_admin"]) == {}      # two levels up: not theirs to edit (R-ENT-5)
    assert admin_counts(tree["firm_admin"]) == {}


def test_the_admin_sees_the_counts_once_acting_with_a_second_factor(client_as, tree):
    _flagged(tree["b1"], "segment", n=2)
    client = client_as(tree["school_admin"], tree["school"])
    session = client.session
    session[SESSION_KEY] = {"admin": admin_counts(tree["school_admin"])}
    session.save()
    dialog = _dialog(client, "home")
    assert "有 2 名团员" in dialog and "位数或号段不符：2" in dialog and "?dev_issue=1" in dialog


def test_the_dialog_costs_a_page_no_query(client, tree):
    """The same page, with the dialog and without it, asks the database as often."""
    (person,) = _flagged(tree["b1"], "segment")
    _sign_in(client, person)
    url = reverse("people:me")
    client.get(url)
    with CaptureQueriesContext(connection) as shown:
        assert "<dialog" in client.get(url).content.decode()
    client.post(reverse("people:dev_prompt_dismiss"))
    client.get(url)
    with CaptureQueriesContext(connection) as hidden:
        assert "<dialog" not in client.get(url).content.decode()
    assert len(shown) == len(hidden)
