"""What every browser journey shares: traced contexts, bounded waits, signing in, and `see` — the axe-core check
and the screenshot taken on every page a journey visits."""
import json
import os
import re
import tempfile
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from access.factors import authenticator_of
from members.models import Person
from tests.factories.otp import next_code

ROOT = Path(__file__).resolve().parents[2]
# Issue 15: a test run never rewrites tracked files. Screenshots go to a temporary folder unless
# TUANJI_SHOTS=docs asks to refresh docs/screenshots/e2e (README, "Set up").
DOC_SHOTS = ROOT / "docs" / "screenshots" / "e2e"


def screenshots_dir() -> Path:
    if os.environ.get("TUANJI_SHOTS") == "docs":
        return DOC_SHOTS
    return Path(tempfile.gettempdir()) / "tuanji-e2e-screenshots"


TRACES = ROOT / "test-results"
AXE = ROOT / "static" / "vendor" / "axe.min.js"

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
ACTION_MS = 5_000       # a click, a fill, an expectation
NAVIGATION_MS = 10_000  # a page load
BLOCKING = {"serious", "critical"}

expect.set_options(timeout=ACTION_MS)

# Only the violations are gathered: the passing and inapplicable results, which nothing reads, were a fifth of a
# check's time (axe-core's `resultTypes`; the violations come back whole).
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" "))}));
}"""


# Issue 12: every page runs under the Content-Security-Policy. The browser fires `securitypolicyviolation` for
# whatever the policy blocked (an inline style, a handler, a script); this init script collects them for `check`.
# Init scripts come in through the DevTools protocol, outside the page's policy — as axe-core does now: the
# <script> that add_script_tag wrote inline would itself be blocked.
COLLECT_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});"""


def code_of(id_number: str) -> str:
    """The code the person's authenticator app shows now (tests/e2e/world.py gives every admin one)."""
    return next_code(authenticator_of(Person.objects.get(id_number=id_number)))


# The pages axe-core has passed in this test process, by name and screen width (Journey._check_once).
_AXED: set[tuple[str, int]] = set()


class AccessibilityViolations(AssertionError):
    pass


class PolicyViolations(AssertionError):
    pass


class Journey:
    """One journey's browser. Every context is traced; `finish` keeps the traces only when the test failed."""

    def __init__(self, *, name: str, new_context, base_url: str):
        self.name = re.sub(r"[^\w.-]+", "-", name).strip("-")
        self.journey = self.name  # the screenshots' prefix; a test names its journey shorter
        self._new_context = new_context
        self.base_url = base_url
        self._contexts = []
        self._visited: dict[Page, list[str]] = {}
        self._seen: set[tuple[Page, str]] = set()

    # --- pages ---------------------------------------------------------------------------------------------

    def open(self, *, phone: bool = False) -> Page:
        context = self._new_context(**(PHONE if phone else DESKTOP))
        context.set_default_timeout(ACTION_MS)
        context.set_default_navigation_timeout(NAVIGATION_MS)
        context.tracing.start(screenshots=True, snapshots=True, sources=True)
        context.add_init_script(script=COLLECT_CSP)
        context.add_init_script(path=str(AXE))
        self._contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm: "确认提交…？" — yes
        visited = self._visited.setdefault(page, [])
        page.on("framenavigated", lambda frame: frame == page.main_frame and visited.append(frame.url))
        return page

    def url(self, name: str, *args) -> str:
        return self.base_url + reverse(name, args=args)

    def sign_in(self, page: Page, id_number: str, password: str) -> None:
        """Through the login form; both the form and the page it leads to are checked (no screenshot). The empty
        sign-in form and the empty code form are the same page for everyone: axe-core reads each once per test
        process and screen width (`_check_once`), the Content-Security-Policy is checked every time."""
        page.goto(self.url("login"))
        self._check_once(page, "login")
        page.get_by_label("身份证号").fill(id_number)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).not_to_have_url(self.url("login"))
        if page.url.startswith(self.url("two_factor:verify")):  # R-ACC-5: an admin's code, as their app shows it
            self._check_once(page, "two_factor:verify")
            page.get_by_label("验证码").fill(code_of(id_number))
            page.get_by_role("button", name="验证", exact=True).click()
            expect(page).not_to_have_url(re.compile(re.escape(self.url("two_factor:verify"))))
        self.check(page)

    # --- checking what is on screen ------------------------------------------------------------------------

    def see(self, page: Page, step: str) -> None:
        """The page as it stands: checked, then a screenshot for the docs."""
        self.check(page)
        folder = screenshots_dir()
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{self.journey}-{step}.png", full_page=True, animations="disabled")

    def check(self, page: Page, *, axe: bool = True) -> None:
        """Nothing the Content-Security-Policy had to block, and no serious or critical axe-core violation, on the
        page as it stands. axe=False: the policy only, for a page whose axe-core check another run of the same
        page makes (the caller says which)."""
        page.wait_for_load_state()
        blocked = page.evaluate("window.__csp || []")
        if blocked:
            raise PolicyViolations(f"Content-Security-Policy on {page.url}:\n" + "".join(f"  {b}\n" for b in blocked))
        if not axe:
            self._seen.add((page, page.url))
            return
        violations = [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]
        if violations:
            lines = [f"  {v['id']} ({v['impact']}): {v['help']}\n" + "".join(f"      {t}\n" for t in v["targets"])
                     for v in violations]
            raise AccessibilityViolations(f"axe-core on {page.url}:\n" + "".join(lines))
        self._seen.add((page, page.url))

    def _check_once(self, page: Page, name: str) -> None:
        key = (name, page.viewport_size["width"])
        self.check(page, axe=key not in _AXED)
        _AXED.add(key)  # only once it passed: a failure raised above

    def unchecked(self) -> list[str]:
        return [url for page, urls in self._visited.items() for url in urls
                if (page, url) not in self._seen and url != "about:blank"]

    # --- the end -------------------------------------------------------------------------------------------

    def finish(self, *, failed: bool) -> None:
        missed = [] if failed else self.unchecked()
        for n, context in enumerate(self._contexts, start=1):
            if failed or missed:
                TRACES.mkdir(parents=True, exist_ok=True)
                context.tracing.stop(path=TRACES / f"{self.name}-{n}.zip")
            else:
                context.tracing.stop()
        assert not missed, "pages visited without an axe check: " + json.dumps(missed, ensure_ascii=False)
