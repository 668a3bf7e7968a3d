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


def test_analytics_names_people_and_things_and_the_plan_legend_says_users_once(
    browser: Browser, app_server
) -> None:
    from promptrepo.services import projects

    with app_server.session() as s:
        boss = make_user(s, name="Boss", role="admin")
        ada = make_user(s, name="Ada")
        project = projects.create_project(s, ada, name="Audit Bot")
        s.commit()
    context = browser.new_context()
    sign_in(context, app_server, boss.user_id)
    page = context.new_page()
    page.goto(app_server.url + "/admin")

    shares = page.locator("#plan-shares li")
    expect(shares).to_have_count(3)
    for plan in ("Free", "Pro", "Enterprise"):
        expect(shares.filter(has_text=plan)).to_have_text(
            re.compile(rf"^{plan}\s*\d+ users? · \d+%$")
        )
    # The pie: no outline (a single plan's disc drew a stray radius) and no bare numbers
    # floating beside it (the legend names each plan).
    sectors = page.locator(".recharts-pie-sector path")
    expect(sectors.first).to_be_visible()
    assert {sectors.nth(i).get_attribute("stroke") for i in range(sectors.count())} == {"none"}
    expect(page.locator(".recharts-pie-label-text, .recharts-pie-labels")).to_have_count(0)

    recent = page.locator("#recent-activity")
    created = recent.locator("tr", has_text="project.create").filter(has_text="Audit Bot")
    expect(created).to_contain_text(ada.email)
    expect(created).to_contain_text("project “Audit Bot”")
    expect(recent).not_to_contain_text(str(project.id)[:8])
    expect(recent).not_to_contain_text(str(ada.user_id)[:8])
    context.close()


def test_an_admin_is_not_offered_suspending_or_demoting_themselves(
    browser: Browser, app_server
) -> None:
    with app_server.session() as s:
        boss = make_user(s, name="Boss", role="admin")
        other = make_user(s, name="Other admin", role="admin")
        s.commit()
    context = browser.new_context()
    sign_in(context, app_server, boss.user_id)
    page = context.new_page()
    page.goto(app_server.url + "/admin/users")
    page.locator("#user-search").fill(other.email)
    other_row = page.locator(f'[id="{other.email}"]')
    expect(other_row.get_by_role("button", name="Suspend")).to_be_visible()
    expect(other_row.get_by_role("button", name="Remove admin")).to_be_visible()

    page.locator("#user-search").fill(boss.email)
    own_row = page.locator(f'[id="{boss.email}"]')
    expect(own_row).to_contain_text("You")
    expect(own_row.get_by_role("button")).to_have_count(0)
    context.close()
