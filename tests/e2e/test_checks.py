"""The checks every journey makes (tests/e2e/journey.py) still fail a page that breaks them: axe-core gathers only
its violations now (`resultTypes`), and a page checked without axe-core is still checked for the policy."""
import pytest

from .journey import AccessibilityViolations, Journey

pytestmark = [pytest.mark.e2e]

BROKEN = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>坏页面</title></head><body><main>'
          '<h1>坏页面</h1><form><input type="text" name="q"></form></main></body></html>')


def test_the_axe_check_fails_a_page_with_an_unlabelled_field(new_context):
    journey = Journey(name="axe-self-check", new_context=new_context, base_url="http://checks.test")
    page = journey.open()
    page.route("http://checks.test/broken", lambda route: route.fulfill(body=BROKEN, content_type="text/html"))
    page.goto("http://checks.test/broken")
    with pytest.raises(AccessibilityViolations, match=r"label \(critical\)"):
        journey.check(page)
    journey.check(page, axe=False)  # the policy alone: nothing blocked on this page
    journey.finish(failed=False)
