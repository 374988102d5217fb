"""Issue 15 item 1, the server's side of it: every page's main navigation carries every item of the person's kind,
消息 with its unread count, so that the phone's bottom bar (static/css/tuanji.css; tests/e2e/test_menu.py looks
at it at 375 and 1280 px) has them all in sight."""
import re

import pytest
from django.urls import reverse

from transfers.models import Message

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="main" aria-label="主导航">(.*?)</nav>', re.S)


def _nav(client, url) -> str:
    resp = client.get(url)
    assert resp.status_code == 200
    return NAV.search(resp.content.decode()).group(1)


@pytest.mark.parametrize("name", ["home", "transfers:mine", "people:me"])
def test_a_member_has_every_item_and_the_unread_count_on_every_page(client_as, member, name):
    Message.objects.create(recipient=member, event="test", text="一条消息")
    nav = _nav(client_as(member), reverse(name))
    for url in ("home", "transfers:mine", "transfers:apply", "people:me", "transfers:messages"):
        assert f'href="{reverse(url)}"' in nav, url
    assert re.search(r'消息&nbsp;<span class="badge warn" aria-label="1 条未读">1</span>', nav)


def test_an_admin_has_the_links_the_groups_and_messages(client_as, tree):
    nav = _nav(client_as(tree["school_admin"], tree["school"]), reverse("home"))
    for url in ("home", "orgs:tree", "people:enter_member", "transfers:inbox", "reports:dashboard",
                "transfers:messages"):
        assert f'href="{reverse(url)}"' in nav, url
    assert len(re.findall(r'<details class="menu">', nav)) == 3  # 人员, 接转, 报表: one tap, then the item


def test_no_navigation_before_signing_in(client):
    assert 'class="main"' not in client.get(reverse("login")).content.decode()
