"""The admin section in a browser: analytics for admins only, suspending a user with confirmation."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.app_server import sign_in
from tests.factories import make_user


def test_non_admins_are_sent_away_from_admin_pages(page: Page, app_server) -> None:
    with app_server.session() as s:
        user = make_user(s, name="Regular")
        s.commit()
    sign_in(page.context, app_server, user.user_id)
    page.goto(app_server.url + "/admin/users")
    page.wait_for_url(re.compile(r"/dashboard"))


def test_admin_sees_analytics_and_suspends_a_user(browser: Browser, app_server) -> None:
    with app_server.session() as s:
        boss = make_user(s, name="Boss", role="admin")
        victim = make_user(s, email="suspend-me@example.com", name="Victim")
        s.commit()
    admin_context = browser.new_context()
    sign_in(admin_context, app_server, boss.user_id)
    victim_context = browser.new_context()
    sign_in(victim_context, app_server, victim.user_id)
    victim_page = victim_context.new_page()
    victim_page.goto(app_server.url + "/billing")
    expect(victim_page.locator("#current-plan")).to_have_text("Free")

    page = admin_context.new_page()
    page.goto(app_server.url + "/admin")
    expect(page.locator("#admin-totals")).to_contain_text("Users")

    page.goto(app_server.url + "/admin/users")
    page.locator("#user-search").fill("suspend-me")
    row = page.locator("#suspend-me\\@example\\.com")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Suspend").click()
    expect(page.get_by_text("Suspend suspend-me@example.com?")).to_be_visible()
    page.locator("#confirm-action").click()
    expect(row).to_contain_text("suspended")

    # The suspended user's session stops working at once.
    victim_page.goto(app_server.url + "/billing")
    victim_page.wait_for_url(re.compile(r"/login"))
    admin_context.close()
    victim_context.close()
