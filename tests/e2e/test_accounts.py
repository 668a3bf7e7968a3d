"""Accounts in a real browser: the issue's "done when" scenario, end to end."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Browser, Page, expect

from promptrepo.services import api_keys
from promptrepo.services.accounts import set_password
from tests.factories import make_user

PASSWORD = "correct horse battery"


def _login(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/login")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.locator("#login-password").press("Enter")


def _logout(page: Page, base_url: str) -> None:
    page.goto(base_url + "/logout")
    # /logout revokes the session, then sends the browser home with a toast.
    expect(page.get_by_text("You are logged out.")).to_have_count(1)
    expect(page).to_have_url(base_url + "/")
    expect(page.locator("#nav-login")).to_be_visible()


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

    # A reload keeps the session, and so does a browser restart (the cookie persists).
    page.reload()
    expect(page.locator("#user-menu")).to_contain_text("Ada Lovelace")
    restarted = browser.new_context(storage_state=page.context.storage_state())
    try:
        again = restarted.new_page()
        again.goto(base_url + "/settings")
        expect(again.locator("#settings-name")).to_have_value("Ada Lovelace")
    finally:
        restarted.close()

    # Log out.
    _logout(page, base_url)
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


def test_a_protected_page_sends_visitors_to_login_and_back(page: Page, base_url: str) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(base_url + "/signup")
    page.locator("#signup-name").fill("Grace Hopper")
    page.locator("#signup-email").fill(email)
    page.locator("#signup-password").fill("short")
    page.locator("#signup-submit").click()
    # Bad input: a clear inline message, what was typed is kept (except the password).
    expect(page.locator("#signup-password-error")).to_contain_text("at least 8")
    expect(page.locator("#signup-name")).to_have_value("Grace Hopper")
    expect(page.locator("#signup-email")).to_have_value(email)
    expect(page.locator("#signup-password")).to_have_value("")
    page.locator("#signup-password").fill(PASSWORD)
    page.locator("#signup-password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    _logout(page, base_url)

    page.goto(base_url + "/settings")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/settings"))
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    expect(page.locator("#settings-name")).to_have_value("Grace Hopper")


def test_login_ignores_an_offsite_next(page: Page, base_url: str, app_server) -> None:
    email = f"lin-{uuid.uuid4().hex[:8]}@example.com"
    with app_server.session() as session:
        user = make_user(session, email=email, name="Lin")
        set_password(session, user.user_id, PASSWORD)
        session.commit()
    page.goto(base_url + "/login?next=//evil.example/steal")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    expect(page).to_have_url(base_url + "/dashboard")


def test_forgot_password_link_from_the_log_sets_a_new_password(
    page: Page, base_url: str, app_server
) -> None:
    email = f"reset-{uuid.uuid4().hex[:8]}@example.com"
    with app_server.session() as session:
        user = make_user(session, email=email, name="Reset Me")
        set_password(session, user.user_id, PASSWORD)
        _, intruders_key = api_keys.create_api_key(session, user, name="intruder", scope="write")
        session.commit()
    me = base_url + "/api/v1/me"
    assert httpx.get(me, headers={"Authorization": f"Bearer {intruders_key}"}).status_code == 200
    page.goto(base_url + "/forgot-password")
    expect(page.locator("#forgot-submit")).to_be_enabled()
    page.locator("#forgot-email").fill(email)
    page.locator("#forgot-email").press("Enter")
    expect(page.locator("#forgot-notice")).to_contain_text("If an account exists")

    # Without SMTP, the server writes the link to its log.
    link = None
    for _ in range(50):
        found = re.findall(r'"reset_link": "([^"]+)"', app_server.log_path.read_text())
        if found:
            link = found[-1]
            break
        page.wait_for_timeout(100)
    assert link and "/reset-password?token=" in link
    page.goto(link)
    page.locator("#reset-password").fill("a brand new passphrase")
    page.locator("#reset-password-confirm").fill("a brand new passphrase")
    expect(page.get_by_text("revokes every API key")).to_be_visible()  # said beforehand
    page.locator("#reset-submit").click()
    # The page says what ended and where to make new keys; the intruder's key is dead.
    expect(page.locator("#reset-done")).to_contain_text("every API key revoked")
    expect(page.locator("#reset-new-keys")).to_have_attribute("href", "/settings#api-keys-section")
    assert httpx.get(me, headers={"Authorization": f"Bearer {intruders_key}"}).status_code == 401
    page.locator("#reset-login").click()
    expect(page).to_have_url(re.compile(r"/login/?\?next=/settings$"))

    _login(page, base_url, email, "a brand new passphrase")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    # The link worked once: a second use is refused with a clear message.
    _logout(page, base_url)
    page.goto(link)
    page.locator("#reset-password").fill("yet another passphrase")
    page.locator("#reset-password-confirm").fill("yet another passphrase")
    page.locator("#reset-submit").click()
    expect(page.locator("#reset-error")).to_contain_text("already been used")


def test_change_password_then_delete_account_with_typed_confirmation(
    page: Page, base_url: str, app_server
) -> None:
    email = f"del-{uuid.uuid4().hex[:8]}@example.com"
    with app_server.session() as session:
        user = make_user(session, email=email, name="Del")
        set_password(session, user.user_id, PASSWORD)
        _, key = api_keys.create_api_key(session, user, name="ci", scope="read")
        session.commit()
    _login(page, base_url, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto(base_url + "/settings")
    expect(page.locator("#change-password")).to_be_enabled()

    page.locator("#current-password").fill("not the password")
    page.locator("#new-password").fill("a brand new passphrase")
    page.locator("#new-password-confirm").fill("a brand new passphrase")
    page.locator("#change-password").click()
    expect(page.locator("#current-password-error")).to_contain_text("not correct")
    # Bad input loses nothing: the new password typed twice is still there.
    expect(page.locator("#new-password")).to_have_value("a brand new passphrase")
    expect(page.locator("#new-password-confirm")).to_have_value("a brand new passphrase")
    expect(page.locator("#current-password")).to_have_value("not the password")
    page.locator("#current-password").fill(PASSWORD)
    page.locator("#revoke-api-keys").click()  # "also revoke API keys"
    page.locator("#change-password").click()
    expect(page.get_by_text("every API key was revoked")).to_be_visible()
    expect(page.locator("#new-password")).to_have_value("")  # done: the form is emptied
    me = base_url + "/api/v1/me"
    assert httpx.get(me, headers={"Authorization": f"Bearer {key}"}).status_code == 401
    expect(page.locator("#user-menu")).to_contain_text("Del")  # this session stays

    page.locator("#delete-account-open").click()
    page.locator("#delete-confirmation").fill("delete")
    page.locator("#delete-account-confirm").click()
    expect(page.locator("#delete-confirmation-error")).to_contain_text("e-mail address")
    page.locator("#delete-confirmation").fill(email)
    page.locator("#delete-account-confirm").click()
    expect(page).to_have_url(base_url + "/")
    expect(page.locator("#nav-login")).to_be_visible()

    _login(page, base_url, email, "a brand new passphrase")
    expect(page.locator("#login-error")).to_contain_text("Incorrect e-mail address or password")
