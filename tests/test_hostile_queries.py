"""Hostile search text (STYLE rule 11): NUL and format characters are cleaned once, at the form layer
(`config.forms.TextField`), before any query sees them. PostgreSQL refuses a NUL in a string literal: without
the cleaning every page below answered 500."""
import pytest
from django import forms
from django.urls import reverse

from config.forms import TextField, clean_text

pytestmark = pytest.mark.django_db

HOSTILE = "\x00\x00ab"

# Every page that reads free text from ?q=, with who may open it (a member, or the university's admin).
LIST_PAGES = [
    ("transfers:org_search", "member"),  # open to every member: the target search while applying
    ("transfers:history", "admin"),
    ("transfers:history_export", "admin"),
    ("orgs:tree", "admin"),
    ("people:members", "admin"),
    ("people:cadres", "admin"),
    ("imports:export_members", "admin"),
    ("imports:export_cadres", "admin"),
    ("members:reset_codes", "admin"),
    ("reports:graduation", "admin"),
    ("reports:graduation_export", "admin"),
    ("reports:graduation_branches", "admin"),
    ("reports:roster", "admin"),
]


@pytest.mark.parametrize("url_name, who", LIST_PAGES)
def test_it_answers_200_to_a_nul_in_the_search_text(client_as, tree, member, url_name, who):
    client = client_as(member) if who == "member" else client_as(tree["uni_admin"], tree["uni"])
    resp = client.get(reverse(url_name), {"q": HOSTILE})
    assert resp.status_code == 200


def test_it_still_finds_what_the_hostile_text_hides(client_as, member):
    """The NUL and a zero-width space are dropped, the rest is searched: `示范\\u200b科技` finds 示范科技公司."""
    resp = client_as(member).get(reverse("transfers:org_search"), {"q": "\x00示范\u200b科技"})
    assert resp.status_code == 200 and "示范科技公司研发部团支部" in resp.content.decode()


def test_the_apply_form_survives_a_nul_in_the_target_name(client_as, member):
    """Posted without a picked target, the page searches for what was typed (transfers.views.common)."""
    client = client_as(member)
    idem = client.get(reverse("transfers:apply")).context["idem"]
    resp = client.post(reverse("transfers:apply"), {"to_org_name": HOSTILE, "reason": "moved", "idem": idem})
    assert resp.status_code == 200 and resp.context["form"].errors


@pytest.mark.parametrize("raw, clean", [
    ("\x00\x00ab", "ab"),
    ("a\u200bb\u200d\ufeffc", "abc"),         # zero-width space, joiner, byte-order mark (format, Cf)
    ("\u202eevil", "evil"),                   # a right-to-left override
    ("a\x07b\x1bc\x7f", "abc"),               # other control characters
    ("第一行\n第二行\t", "第一行\n第二行\t"),     # line breaks and tabs stay (text areas)
    ("买买提·艾力（新疆）", "买买提·艾力（新疆）"),  # a middle dot and full-width parentheses are text
])
def test_clean_text_drops_nul_control_and_format_characters(raw, clean):
    assert clean_text(raw) == clean


def test_a_text_field_cleans_before_it_strips_and_checks_the_length():
    class Form(forms.Form):
        name = TextField(max_length=3)

    form = Form({"name": " \x00a\u200bbc\x00 "})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "abc"
    assert not Form({"name": "\x00\u200b"}).is_valid()  # nothing left: a required field is missing

