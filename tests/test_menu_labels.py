"""Issue 15 item 14: every menu entry opens a page whose title and main heading carry the menu's own words
("离团与恢复" opened a page headed "年满28周岁…", "团员名单" one headed "团员")."""
import html
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="main".*?</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>(.*?)</a>', re.S)
TITLE = re.compile(r"<title>(.*?) · ", re.S)
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def _text(fragment: str) -> str:
    without_badges = re.sub(r'<span class="(badge|count)[^"]*"[^>]*>.*?</span>', "", fragment, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", without_badges)).replace("\xa0", " ").strip()


def _menu(client) -> list[tuple[str, str]]:
    page = client.get(reverse("home")).content.decode()
    return [(href, _text(label)) for href, label in LINK.findall(NAV.search(page).group(0))
            if href != reverse("home")]


def _check(client) -> list[str]:
    wrong = []
    for href, label in _menu(client):
        page = client.get(href)
        assert page.status_code == 200, href
        body = page.content.decode()
        title, heading = _text(TITLE.search(body).group(1)), H1.search(body).group(1)
        if title != label or label not in heading:
            wrong.append(f"{label} → {href}: <title> {title!r}, <h1> {_text(heading)!r}")
    return wrong


def test_every_admin_menu_entry_opens_a_page_with_its_words(client_as, tree):
    client = client_as(tree["uni_admin"], tree["uni"])
    assert len(_menu(client)) > 20  # the whole menu was read, not an empty match
    assert _check(client) == []


def test_every_branch_admin_menu_entry_opens_a_page_with_its_words(client_as, tree):
    assert _check(client_as(tree["b1_admin"], tree["b1"])) == []


def test_every_member_menu_entry_opens_a_page_with_its_words(client_as, member):
    client = client_as(member)
    assert [label for _, label in _menu(client)] == ["我的转接", "申请转接", "我的信息", "消息"]
    assert _check(client) == []


def test_the_refused_member_gets_no_admin_menu(client_as, member):
    page = client_as(member).get(reverse("home")).content.decode()
    assert reverse("lifecycle:aged") not in page
