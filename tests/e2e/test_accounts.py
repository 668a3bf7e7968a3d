"""Accounts in a real browser: the issue's "done when" scenario, end to end."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

PASSWORD = "correct horse battery"


def _login(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.locator("#login-password").press("Enter")


def test_sign_up_reload_logout_failed_login_login_and_dark_theme_kept(
    page: Page, browser: Browser, base_url: str
) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    page.emulate_media(color_scheme="light")

    # Sign up: land on the dashboard, signed in.
    page.goto(base_url + "/signup")
    page.locator("#signup-name").fill("Ada Lovelace")
    page.locator("#signup-email").fill(email.upper())
    page.locator("#signup-password").fill(PASSWORD)
    page.locator("#signup-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#user-menu")).to_contain_text("Ada Lovelace")

    # A reload keeps the session.
    page.reload()
    expect(page.locator("#user-menu")).to_contain_text("Ada Lovelace")

    # Log out.
    page.goto(base_url + "/logout")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)

    # A wrong password gives a clear message and keeps the e-mail typed.
    _login(page, base_url, email, "not the password")
    expect(page.locator("#login-error")).to_contain_text("Incorrect e-mail address or password")
    expect(page.locator("#login-email")).to_have_value(email)
    expect(page.locator("#login-password")).to_have_value("")

    # The right password signs in again.
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#user-menu")).to_contain_text("Ada Lovelace")

    # Switch to dark in /settings: applied at once.
    page.goto(base_url + "/settings")
    page.locator("#theme-dark").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))

    # A fresh browser (no local storage) that logs in gets the dark theme again.
    fresh = browser.new_context(color_scheme="light")
    try:
        other = fresh.new_page()
        _login(other, base_url, email, PASSWORD)
        expect(other).to_have_url(re.compile(r"/dashboard/?$"))
        expect(other.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    finally:
        fresh.close()
