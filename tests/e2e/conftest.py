"""Browser journeys (issue 7 item 1): Debian's Chromium driven by pytest-playwright against the app served by
pytest-django's live server.

PostgreSQL only: the live server answers from its own thread (the import page from worker threads too), and an
SQLite database in memory is not shared between threads. On SQLite the journeys are deselected, not skipped:
CI runs the suite on both databases, so they run where they mean something.

Each journey asks for `ui` (tests/e2e/journey.py): pages in traced browser contexts, an axe-core check and a
screenshot of every page visited; a failing journey keeps its Playwright trace in test-results/."""
import contextlib
import os

import pytest

from .journey import Journey

CHROMIUM = "/usr/bin/chromium"  # Debian's package; a browser download does not work here (.ci/run installs it)
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic"]
REPORTS = pytest.StashKey[dict]()


def pytest_configure(config):
    # pytest-playwright's own base_url fixture (0.10) trips a pytest deprecation; nothing of ours to change.
    config.addinivalue_line("filterwarnings",
                            "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning")


def _is_e2e(item) -> bool:
    return item.get_closest_marker("e2e") is not None


@pytest.hookimpl(trylast=True)  # after pytest-django has put the tests in its order
def pytest_collection_modifyitems(config, items):
    """Deselect the journeys on SQLite; elsewhere run them last. Playwright's sync API keeps an event loop
    running in the main thread until the session ends, and Django refuses ORM calls from a thread with a
    running loop: every test that comes after the first journey would fail."""
    from django.conf import settings

    journeys = [item for item in items if _is_e2e(item)]
    if not journeys:
        return
    others = [item for item in items if not _is_e2e(item)]
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        config.hook.pytest_deselected(items=journeys)
        items[:] = others
    else:
        items[:] = others + journeys


@contextlib.contextmanager
def _async_unsafe_allowed():
    # Only around a journey's own phases, which call the ORM beside Playwright's loop (the data they build
    # and check, pytest-django's flush). Nothing else in the session runs with the check off.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _async_unsafe_allowed():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _async_unsafe_allowed():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with _async_unsafe_allowed():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the `ui` fixture knows at teardown whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # LANGUAGE: the browser's own words (a file input's button, a date field's 年/月/日) in Chinese, as users see them.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "headless": browser_type_launch_args.get("headless", True), "env": {**os.environ, "LANGUAGE": "zh_CN"}}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def ui(request, new_context, live_server):
    """The journey's browser: `ui.open(phone=True)` gives a page in a new traced context."""
    journey = Journey(name=request.node.name, new_context=new_context, base_url=live_server.url)
    yield journey
    failed = any(report.failed for report in request.node.stash.get(REPORTS, {}).values())
    journey.finish(failed=failed)
