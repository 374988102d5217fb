"""The error pages (issue 7 item 4): 403, 404, 500 and the CSRF failure page, in the product's look and language,
each saying what to do next."""
import importlib
import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path, reverse
from django.views.defaults import server_error

from audit.logging import RefusalsInOneLine

pytestmark = pytest.mark.django_db

LAYOUT = ('<header class="top">', '<main id="content">', "共青团组织关系与团员信息管理")


def boom(request):
    raise RuntimeError("a page that fails")


# Only for the 500 test (pytest.mark.urls below): a URL whose view raises.
urlpatterns = [path("boom/", boom)]


def _in_layout(resp) -> str:
    html = resp.content.decode()
    assert all(part in html for part in LAYOUT), html[:500]
    assert '<html lang="zh-Hans">' in html
    return html


def test_it_shows_404_in_the_layout_with_what_to_do(client):
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404
    assert "404.html" in [t.name for t in resp.templates]
    html = _in_layout(resp)
    assert "没有找到" in html and "返回首页" in html


def test_it_shows_403_in_the_layout_with_the_reason(client_as, member):
    resp = client_as(member).get(reverse("orgs:tree"))  # a member has no admin post
    assert resp.status_code == 403
    assert "403.html" in [t.name for t in resp.templates]
    html = _in_layout(resp)
    assert "无权访问" in html and "此页面仅供团组织管理员使用。" in html and "联系上级组织的管理员" in html


@pytest.mark.urls(__name__)
def test_it_shows_500_without_any_context(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level("CRITICAL", logger="django.request"):  # the traceback is expected; keep the output clean
        resp = client.get("/boom/")
    assert resp.status_code == 500
    html = resp.content.decode()
    assert "服务器出错了" in html and "刷新页面再试" in html and 'href="/"' in html
    assert "{{" not in html and "{%" not in html


def test_it_renders_500_from_the_bare_handler(rf):
    # Django calls it with no context at all when everything else failed: nothing in it may need one.
    resp = server_error(rf.get("/"))
    assert resp.status_code == 500
    assert "服务器出错了" in resp.content.decode()


def test_it_shows_the_csrf_page_in_the_layout_when_the_token_is_missing():
    client = Client(enforce_csrf_checks=True)
    resp = client.post(reverse("login"), {"username": "110101200403010011", "password": "x"})
    assert resp.status_code == 403
    assert "403_csrf.html" in [t.name for t in resp.templates]
    html = _in_layout(resp)
    assert "页面已过期" in html and "刷新后重新填写提交" in html and reverse("login") in html
    assert 'name="csrfmiddlewaretoken"' in html  # the language switch on this page works: a fresh token


def test_a_refusal_is_logged_in_one_line_without_a_traceback(client_as, member, caplog):
    # Issue 15 item 11: PermissionDenied is how a member meets an admin page; not worth a traceback.
    with caplog.at_level("INFO", logger="django.request"):
        resp = client_as(member).get(reverse("orgs:tree"))
    assert resp.status_code == 403
    [line] = [r for r in caplog.records if r.name == "django.request"]
    assert line.levelname == "WARNING" and line.exc_info is None and not line.exc_text
    assert line.getMessage() == f"Forbidden: {reverse('orgs:tree')} (person {member.pk})"


@pytest.mark.urls(__name__)
def test_a_server_error_keeps_its_traceback(caplog):
    with caplog.at_level("ERROR", logger="django.request"):
        Client(raise_request_exception=False).get("/boom/")
    [line] = [r for r in caplog.records if r.name == "django.request"]
    assert line.exc_info is not None and "boom" in line.getMessage()



def test_the_demo_settings_serve_the_products_error_pages(monkeypatch):
    # With DEBUG on Django answers a missing page with its technical 404 (English, the URL list) whatever
    # templates/404.html says: the demo (bin/run, config.settings.local) runs with it off (docs/decisions.md).
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    local = importlib.reload(importlib.import_module("config.settings.local"))
    assert local.DEBUG is False
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in local.MIDDLEWARE and local.WHITENOISE_USE_FINDERS


def test_an_anonymous_refusal_names_no_person(rf):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
                               ("/orgs/",), (PermissionDenied, PermissionDenied(), None))
    request = rf.get("/orgs/")
    request.user = AnonymousUser()
    record.request = request
    assert RefusalsInOneLine().filter(record) and record.exc_info is None
    assert record.getMessage() == "Forbidden: /orgs/ (person anonymous)"
