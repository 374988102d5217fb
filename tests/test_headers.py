"""Issue 12: the security headers on every page — Content-Security-Policy without 'unsafe-inline' (django-csp),
Permissions-Policy (django-permissions-policy), Cross-Origin-Opener-Policy — and no inline script, style or event
handler left in any template for that policy to block."""
import importlib
import json
import re
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]

MEMBER_PAGES = ["home", "people:me", "people:edit_me", "transfers:mine", "transfers:apply", "transfers:messages",
                "password_change"]
ADMIN_PAGES = ["home", "orgs:tree", "people:members", "people:cadres", "people:enter_member", "people:enter_cadre",
               "people:completion", "people:segments", "members:reset_codes", "imports:start", "imports:export",
               "transfers:inbox", "transfers:transfer_in", "transfers:transfer_out", "transfers:batch",
               "transfers:escalations", "transfers:history", "reports:dashboard", "reports:transfer_stats",
               "reports:graduation", "reports:roster", "lifecycle:aged", "lifecycle:turning", "lifecycle:left",
               "lifecycle:approvals"]
ANONYMOUS_PAGES = ["login", "forgot_password"]

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def _inline_code(html: str) -> list[str]:
    found = []
    for name, pattern in [("inline <script>", INLINE_SCRIPT), ("on…= handler", HANDLER), ("style= attribute", STYLE_ATTRIBUTE),
                          ("<style> element", STYLE_ELEMENT), ("javascript: URL", JS_URL)]:
        found += [f"{name}: {m.group(0)!r}" for m in pattern.finditer(html)]
    return found


def _assert_strict_policy(resp):
    header = resp.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {resp.request['PATH_INFO']}"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    policy = _directives(header)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["report-uri"] == [reverse("csp_report")]


# Every page: the policy, and nothing inline in what it renders ------------------------------------------------

@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_a_member_page_is_served_under_the_policy_with_nothing_inline(client_as, member, name):
    resp = client_as(member).get(reverse(name))
    assert resp.status_code == 200
    _assert_strict_policy(resp)
    assert _inline_code(resp.content.decode()) == []


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_admin_page_is_served_under_the_policy_with_nothing_inline(client_as, tree, name):
    resp = client_as(tree["uni_admin"], tree["uni"]).get(reverse(name))
    assert resp.status_code == 200
    _assert_strict_policy(resp)
    assert _inline_code(resp.content.decode()) == []


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_a_page_before_sign_in_is_served_under_the_policy(client, name):
    resp = client.get(reverse(name))
    assert resp.status_code == 200
    _assert_strict_policy(resp)
    assert _inline_code(resp.content.decode()) == []


def test_the_error_pages_are_served_under_the_policy(client):
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404
    _assert_strict_policy(resp)
    assert _inline_code(resp.content.decode()) == []


def test_the_500_page_links_its_stylesheet_instead_of_inlining_it(rf):
    html = server_error(rf.get("/")).content.decode()
    assert _inline_code(html) == []
    assert '<link rel="stylesheet" href="/static/css/tuanji.css">' in html
    assert (ROOT / "static" / "css" / "tuanji.css").exists()


# Every template file -----------------------------------------------------------------------------------------

def _templates():
    for path in sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        if ".venv" not in path.parts:
            yield path


def test_the_scan_finds_every_template_folder():
    folders = {path.relative_to(ROOT).parts[0] for path in _templates()}
    assert {"templates", "members", "transfers", "reports"} <= folders


def test_no_template_holds_an_inline_script_handler_or_style():
    offenders = [f"{path.relative_to(ROOT)}: {hit}" for path in _templates() for hit in _inline_code(path.read_text())]
    assert offenders == []


@pytest.mark.parametrize("snippet", ['<script>alert(1)</script>', '<button onclick="go()">', '<p style="margin:0">',
                                     "<style>p {}</style>", '<a href="javascript:void(0)">', "<SCRIPT type=module>"])
def test_the_scan_catches_each_kind_of_inline_code(snippet):
    assert _inline_code(snippet)


@pytest.mark.parametrize("snippet", ['<script src="/static/js/tuanji.js" defer></script>', '<form data-confirm="确定？">',
                                     '<div class="pct-40">', '<link rel="stylesheet" href="/static/css/tuanji.css">'])
def test_the_scan_lets_external_code_and_data_attributes_pass(snippet):
    assert _inline_code(snippet) == []


# htmx under the policy ----------------------------------------------------------------------------------------

def test_htmx_is_told_to_add_no_style_and_evaluate_nothing(client):
    html = client.get(reverse("login")).content.decode()
    meta = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
    assert meta and json.loads(meta.group(1)) == {"includeIndicatorStyles": False, "allowEval": False,
                                                  "allowScriptTags": False}


# Permissions-Policy and Cross-Origin-Opener-Policy -----------------------------------------------------------

@pytest.mark.parametrize("name", ["login", "forgot_password"])
def test_powerful_features_are_off_and_the_opener_is_cut(client, name):
    resp = client.get(reverse(name))
    policy = {item.split("=")[0].strip(): item.split("=")[1] for item in resp.headers["Permissions-Policy"].split(",")}
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "display-capture"):
        assert policy[feature] == "()", feature
    assert policy["publickey-credentials-get"] == "(self)"  # passkeys (R-ACC-5) stay possible
    assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_signed_in_pages_carry_the_same_headers(client_as, member):
    resp = client_as(member).get(reverse("home"))
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin"


# Report-only on a developer's machine, and the report sink --------------------------------------------------

def test_local_settings_only_report_and_name_the_report_url(client, settings):
    local = importlib.import_module("config.settings.local")
    assert local.CONTENT_SECURITY_POLICY is None
    settings.CONTENT_SECURITY_POLICY = local.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = local.CONTENT_SECURITY_POLICY_REPORT_ONLY
    resp = client.get(reverse("login"))
    assert "Content-Security-Policy" not in resp.headers
    policy = _directives(resp.headers["Content-Security-Policy-Report-Only"])
    assert policy["style-src"] == ["'self'"] and policy["report-uri"] == [reverse("csp_report")]


def test_production_enforces_the_policy(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "production-like-secret-" + "x" * 40)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "tuanji.example")
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    production = importlib.import_module("config.settings.production")
    assert production.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"] == ["'self'"]
    assert not getattr(production, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
    assert production.SECURE_CROSS_ORIGIN_OPENER_POLICY == "same-origin"


def test_a_violation_report_is_logged(caplog):
    report = {"csp-report": {"document-uri": "http://127.0.0.1:8001/people/", "violated-directive": "style-src-attr",
                             "effective-directive": "style-src-attr", "blocked-uri": "inline", "line-number": 12,
                             "original-policy": "default-src 'self'; …", "script-sample": ""}}
    with caplog.at_level("WARNING", logger="tuanji.csp"):
        resp = Client(enforce_csrf_checks=True).post(reverse("csp_report"), json.dumps(report),
                                                     content_type="application/csp-report")
    assert resp.status_code == 204
    [record] = [r for r in caplog.records if r.name == "tuanji.csp"]
    line = record.getMessage()
    assert line.startswith("CSP violation: ") and '"violated-directive": "style-src-attr"' in line
    assert "original-policy" not in line  # only the fields worth reading


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"csp-report": "x"}', b"{" * 20000])
def test_a_malformed_report_is_answered_and_ignored(body):
    resp = Client().post(reverse("csp_report"), body, content_type="application/csp-report")
    assert resp.status_code == 204


def test_the_report_url_takes_only_posts():
    assert Client().get(reverse("csp_report")).status_code == 405
