"""Playwright against Debian's Chromium; never a downloaded browser.

Without /usr/bin/chromium the browser tests skip with the reason, except under CI, where a missing
browser fails them (tests/conftest.py's skip_or_fail).
"""

import os
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _missing_browser_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make install-dev)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser_reason()
    if reason:
        skip_or_fail(reason, what="the browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # (fixtures, assertions) are synchronous and safe, so Django's async guard is relaxed here.
    # Set for the browser session only, and put back afterwards.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class PageWatch:
    """Console errors, uncaught exceptions, dialogs and every request a page makes."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def foreign_requests(self, origin: str) -> list[str]:
        return [u for u in self.requests if not (u == origin or u.startswith(origin + "/"))]


@pytest.fixture
def open_page(browser):
    """A fresh page (desktop size unless given) with a PageWatch; closed after the test."""
    contexts = []

    def open_(viewport=None, bypass_csp=False):
        # bypass_csp: for tests that poll with wait_for_function, which evaluates its predicate as a
        # string (CSP forbids that eval); tests/web/test_csp_browser.py checks the policy itself.
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page, PageWatch(page)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
