"""Every browser test runs under the app's enforced Content-Security-Policy and fails on a breach.

Each browser context (the `page`/`context` fixtures and any `browser.new_context()` or
`browser.new_page()` a test makes) reports, through an init script, every
`securitypolicyviolation` event of its pages as a console error, and every console message
that mentions the policy (Chromium logs each refused script, style, eval or connection) is
collected. A test that caused one fails at teardown with the list.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, expect

# Signing in or out loads the next page in full (the websocket must reconnect to carry the new
# HttpOnly cookie), and the two shared cores of the test machine are often busy: waits that
# cross such a load get more than Playwright's 5 s default.
expect.set_options(timeout=15_000)

VIOLATION_MARK = "CSP violation:"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "CSP violation: " + event.effectiveDirective + " refused " +
    (event.blockedURI || "inline") + " in " + (event.sourceFile || document.location.href) +
    ":" + event.lineNumber + " " + (event.sample || "")
  );
});
"""

_violations: list[str] = []


def is_policy_message(text: str) -> bool:
    return text.startswith(VIOLATION_MARK) or "Content Security Policy" in text


def watch_policy(context: BrowserContext) -> BrowserContext:
    """Collect the policy breaches of every page of `context`."""
    context.add_init_script(REPORT_VIOLATIONS)

    def on_console(message: ConsoleMessage) -> None:
        if is_policy_message(message.text):
            where = message.page.url if message.page else "?"
            _violations.append(f"{where}: {message.text}")

    context.on("console", on_console)
    return context


@pytest.fixture(scope="session", autouse=True)
def _csp_watch_every_context() -> Iterator[None]:
    original_new_context = Browser.new_context
    original_new_page = Browser.new_page

    def new_context(self, *args, **kwargs):
        return watch_policy(original_new_context(self, *args, **kwargs))

    def new_page(self, *args, **kwargs):
        # Browser.new_page makes a context of its own: watch that one too.
        page = original_new_page(self, *args, **kwargs)
        watch_policy(page.context)
        return page

    Browser.new_context = new_context
    Browser.new_page = new_page
    try:
        yield
    finally:
        Browser.new_context = original_new_context
        Browser.new_page = original_new_page


@pytest.fixture(autouse=True)
def _no_csp_violations() -> Iterator[None]:
    _violations.clear()
    yield
    if _violations:
        found = "\n".join(dict.fromkeys(_violations))
        _violations.clear()
        pytest.fail(f"Content-Security-Policy violations:\n{found}", pytrace=False)
