"""What a member meets in the demo (bin/run, config.settings.local): the product's own pages, never Django's
English admin login or its technical 404 page."""
import importlib

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _product_404(resp) -> str:
    assert resp.status_code == 404
    assert "404.html" in [t.name for t in resp.templates]
    html = resp.content.decode()
    assert "没有找到" in html and "返回首页" in html
    return html


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/members/person/"])
def test_there_is_no_admin_site(client, path):
    html = _product_404(client.get(path))
    assert "Django" not in html


def test_the_admin_app_is_not_installed(settings):
    assert "django.contrib.admin" not in settings.INSTALLED_APPS


def test_a_missing_transfer_shows_the_products_404(client_as, member, settings):
    settings.DEBUG = False  # what the demo runs with now (below)
    _product_404(client_as(member).get(reverse("transfers:detail", args=[999_999])))


def test_the_demo_runs_without_debug_and_still_serves_static_files(monkeypatch):
    """Django shows its technical 404 page whenever DEBUG is on, whatever handler404 says: the demo's settings
    turn it off (DJANGO_DEBUG=true brings it back for a developer) and WhiteNoise serves the static files."""
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    local = importlib.reload(importlib.import_module("config.settings.local"))
    assert local.DEBUG is False
    assert local.WHITENOISE_USE_FINDERS is True
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in local.MIDDLEWARE
    monkeypatch.setenv("DJANGO_DEBUG", "true")
    assert importlib.reload(local).DEBUG is True
