"""Find anything in a real browser: tags in the editor (keyboard only), tag filters on the
dashboard and the project page, and the command palette (Ctrl+K, arrows, Enter, Escape)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from promptrepo.models import Prompt
from promptrepo.services import projects, prompts, segments
from tests.app_server import AppServer, sign_in
from tests.factories import make_user


@pytest.fixture
def owner(app_server: AppServer):
    with app_server.session() as s:
        user = make_user(s, name="Finder")
        s.commit()
    return user


def signed_in(browser: Browser, app_server: AppServer, user) -> Page:
    context = browser.new_context(base_url=app_server.url)
    sign_in(context, app_server, user.user_id)
    return context.new_page()


def seed(app_server: AppServer, owner) -> tuple[str, dict[str, str]]:
    with app_server.session() as s:
        project = projects.create_project(s, owner, name="Support desk")
        main = segments.create_segment(s, owner, project.id, name="Main")
        ids = {}
        for name, content, tags in (
            ("Refund reply", "Your refund is on its way.", ["billing"]),
            ("Greeting", "Hello and welcome.", []),
            ("Escalation", "Passing you to a colleague.", ["billing", "urgent"]),
        ):
            ids[name] = str(
                prompts.create_prompt(s, owner, main.id, name=name, content=content, tags=tags).id
            )
        s.commit()
        return str(project.id), ids


def stored_tags(app_server: AppServer, prompt_id: str) -> list[str]:
    with app_server.session() as s:
        return s.exec(select(Prompt.tags).where(Prompt.id == prompt_id)).one()


def test_tags_are_added_and_removed_from_the_keyboard_and_filter_lists(
    browser: Browser, app_server: AppServer, owner
) -> None:
    project_id, ids = seed(app_server, owner)
    page = signed_in(browser, app_server, owner)
    page.goto(f"/projects/{project_id}/prompts/{ids['Greeting']}")
    field = page.get_by_label("Add tag")
    expect(field).to_be_visible()

    field.fill("two words")
    field.press("Enter")
    expect(page.locator("#tag-error")).to_contain_text("not a tag")
    expect(field).to_have_value("two words")  # what was typed is kept
    field.fill("Onboarding, billing")
    field.press("Enter")
    expect(page.locator('#prompt-tags [data-tag="onboarding"]')).to_be_visible()
    expect(page.locator('#prompt-tags [data-tag="billing"]')).to_be_visible()
    expect(field).to_have_value("")
    assert stored_tags(app_server, ids["Greeting"]) == ["onboarding", "billing"]

    # Remove with the keyboard: Shift+Tab from the field reaches the last chip's button.
    field.focus()
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Remove tag billing"
    page.keyboard.press("Enter")
    expect(page.locator('#prompt-tags [data-tag="billing"]')).to_have_count(0)
    for _ in range(50):
        if stored_tags(app_server, ids["Greeting"]) == ["onboarding"]:
            break
        page.wait_for_timeout(100)
    assert stored_tags(app_server, ids["Greeting"]) == ["onboarding"]

    # The project page filters by tag; the dashboard's prompt search too.
    page.goto(f"/projects/{project_id}")
    expect(page.locator('.prompt-item[data-name="Greeting"]')).to_be_visible()
    page.get_by_label("Show prompts with tag").click()
    page.get_by_role("option", name="#urgent").click()
    expect(page.locator(".prompt-item")).to_have_count(1)
    expect(page.locator('.prompt-item[data-name="Escalation"]')).to_be_visible()

    page.goto("/dashboard")
    page.get_by_label("Filter prompts by tag").click()
    page.get_by_role("option", name="#billing").click()
    expect(page.locator(".prompt-hit")).to_have_count(2)
    page.locator("#project-search").fill("refund")
    expect(page.locator(".prompt-hit")).to_have_count(1)
    expect(page.locator(".prompt-hit-link")).to_have_text("Refund reply")


def test_the_command_palette_jumps_with_ctrl_k_arrows_and_enter(
    browser: Browser, app_server: AppServer, owner
) -> None:
    project_id, ids = seed(app_server, owner)
    page = signed_in(browser, app_server, owner)
    page.goto("/settings")
    expect(page.locator("#palette-open")).to_be_visible()
    page.wait_for_function("() => window.__promptPaletteShortcut === true")

    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Jump to")
    expect(dialog).to_be_visible()
    box = page.get_by_role("combobox", name="Search projects and prompts")
    expect(box).to_be_focused()
    expect(page.locator("#palette-listbox")).to_have_attribute("role", "listbox")
    expect(page.get_by_role("option", name=re.compile("Support desk"))).to_be_visible()

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    box.press_sequentially("welcome")  # words inside a prompt's text
    expect(page.get_by_role("option")).to_have_count(1)
    expect(page.get_by_role("option").first).to_contain_text("Greeting")
    box.fill("e")  # the project "Support desk" (its name holds an e), the prompt "Escalation"
    options = page.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "palette-option-1")
    url = options.nth(1).get_attribute("data-url")
    box.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(url) + "/?$"))
    expect(dialog).to_have_count(0)


def test_visitors_have_no_palette(page: Page, base_url: str) -> None:
    page.goto(base_url + "/pricing")
    expect(page.locator("#navbar-placeholder, header")).to_be_visible()
    expect(page.locator("#palette-open")).to_have_count(0)


def test_the_activity_page_filters_pages_and_exports_for_enterprise(
    browser: Browser, app_server: AppServer
) -> None:
    from promptrepo.services import versions

    with app_server.session() as s:
        boss = make_user(s, name="Boss", plan="enterprise")
        free = make_user(s, name="Free")
        s.commit()
    project_id, ids = seed(app_server, boss)
    with app_server.session() as s:
        for n in range(1, 4):
            versions.create_version(s, boss, ids["Greeting"], commit_message=f"take {n}")
        versions.set_label(s, boss, ids["Greeting"], "production", 3, reason="ship it")
        s.commit()

    context = browser.new_context(base_url=app_server.url, accept_downloads=True)
    sign_in(context, app_server, boss.user_id)
    page = context.new_page()
    page.goto(f"/projects/{project_id}")
    page.locator("#project-activity-link").click()
    expect(page).to_have_url(re.compile(f"/projects/{project_id}/activity/?$"))
    # the project, its segment and three prompts made, three versions, one label move
    expect(page.locator("#activity-total")).to_have_text("9 entries")
    first = page.locator(".activity-row").first
    expect(first).to_contain_text("Pointed production at v3 of “Greeting”: ship it")
    expect(first).to_contain_text("Boss")

    page.get_by_label("Kind", exact=True).click()
    page.get_by_role("option", name="Versions").click()
    expect(page.locator(".activity-row")).to_have_count(3)
    page.get_by_label("Kind", exact=True).click()
    page.get_by_role("option", name="Segments and prompts").click()
    expect(page.locator(".activity-row")).to_have_count(4)
    expect(page.locator(".activity-row").last).to_contain_text("Added the segment “Main”")
    page.get_by_label("From", exact=True).fill("2000-01-01")
    page.get_by_label("To", exact=True).fill("2000-01-02")
    expect(page.locator("#activity-empty")).to_contain_text("Nothing matches these filters")
    page.get_by_label("To", exact=True).fill("1999-01-01")
    expect(page.locator("#activity-filter-error")).to_contain_text("start date is after")
    expect(page.get_by_label("From", exact=True)).to_have_value("2000-01-01")  # kept as typed
    page.locator("#activity-clear").click()
    expect(page.locator(".activity-row")).to_have_count(9)

    with page.expect_download() as download:
        page.locator("#activity-export").click()
    lines = Path(download.value.path()).read_text().strip().splitlines()
    assert lines[0].startswith("time_utc,person") and len(lines) == 10
    context.close()

    # Another plan sees an upgrade note instead; another user's project is not found.
    other = signed_in(browser, app_server, free)
    project, _ = seed(app_server, free)
    other.goto(f"/projects/{project}/activity")
    expect(other.locator("#activity-export-upgrade")).to_contain_text("Enterprise plan")
    expect(other.locator("#activity-export")).to_have_count(0)
    other.goto(f"/projects/{project_id}/activity")
    expect(other.locator("#activity-not-found")).to_be_visible()
