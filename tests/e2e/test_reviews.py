"""Reviewed releases in a real browser (issue 16 item 2), three people in three browser
contexts: the owner turns "production needs review" on in the Team dialog; the editor's
Publish becomes a proposal (and the editor cannot approve it themselves); the owner's bell
shows it live, its link opens the Review dialog with the diff, and approving moves the label
with a history entry; the editor's bell hears of the decision; a viewer can look but neither
propose nor decide.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.app_server import AppServer, new_user, signed_in_page
from tests.factories import add_member
from tests.prompt_factories import make_support_bot


def test_editor_proposes_and_the_owner_approves_in_the_other_browser(
    browser: Browser, app_server: AppServer
) -> None:
    owner = new_user(app_server, "Olive Owner")
    editor = new_user(app_server, "Eddie Editor")
    viewer = new_user(app_server, "Vera Viewer")
    with app_server.session() as s:
        project, prompt = make_support_bot(s, owner)
        for who, role in ((editor, "editor"), (viewer, "viewer")):
            add_member(s, owner, project.id, who, role)
    project_url = f"/projects/{project.id}"
    editor_url = f"{project_url}/prompts/{prompt.id}"

    # The owner turns review on in the Team dialog.
    owner_page = signed_in_page(browser, app_server, owner)
    owner_page.goto(project_url)
    owner_page.locator("#team-button").click()
    switch = owner_page.locator("#review-required")
    expect(switch).to_have_attribute("data-state", "unchecked")
    switch.click()
    expect(switch).to_have_attribute("data-state", "checked")
    owner_page.keyboard.press("Escape")
    expect(owner_page.locator("#bell-count")).to_have_count(0)

    # The editor's Publish is now a proposal with a message.
    editor_page = signed_in_page(browser, app_server, editor)
    editor_page.goto(editor_url)
    editor_page.locator("#tab-history").click()
    editor_page.locator("#publish-2").click()
    expect(editor_page.locator("#promote-review-note")).to_be_visible()
    expect(editor_page.locator("#promote-confirm")).to_have_text("Propose for review")
    editor_page.locator("#promote-reason").fill("v2 is friendlier")
    editor_page.locator("#promote-confirm").click()
    rows = editor_page.locator("#proposals-pane .proposal-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "open")
    expect(editor_page.locator("#production-version")).to_have_text("v1")

    # The editor may not approve their own proposal.
    rows.first.locator(".proposal-review").click()
    expect(editor_page.locator("#review-dialog")).to_be_visible()
    expect(editor_page.locator("#review-self-note")).to_contain_text("another editor or the owner")
    expect(editor_page.locator("#review-approve")).to_be_disabled()
    expect(editor_page.locator("#review-withdraw")).to_be_visible()
    editor_page.locator("#review-close").click()

    # The owner's bell shows it without a reload; its link opens the Review dialog.
    expect(owner_page.locator("#bell-count")).to_have_text("1", timeout=15_000)
    owner_page.locator("#bell").click()
    item = owner_page.locator(".bell-item").first
    expect(item).to_contain_text("Eddie Editor proposes to move production to v2")
    expect(item).to_contain_text("v2 is friendlier")
    item.click()
    expect(owner_page).to_have_url(re.compile(re.escape(editor_url) + r"\?proposal="))
    dialog = owner_page.locator("#review-dialog")
    expect(dialog).to_be_visible()
    expect(owner_page.locator("#review-summary")).to_contain_text("live now: v1")
    expect(owner_page.locator("#review-diff")).to_contain_text("Hello there.")
    expect(owner_page.locator("#bell-count")).to_have_count(0)  # read now
    owner_page.locator("#review-reason").fill("looks good")
    owner_page.locator("#review-approve").click()
    expect(dialog).to_be_hidden()
    owner_page.locator("#tab-history").click()
    expect(owner_page.locator("#production-version")).to_have_text("v2")
    moves = owner_page.locator("#label-history .label-event")
    expect(moves.first).to_contain_text("v1 → v2")
    expect(moves.first).to_contain_text("Olive Owner")
    expect(moves.first).to_contain_text("approved proposal by Eddie Editor: v2 is friendlier")

    # The editor hears of the decision.
    expect(editor_page.locator("#bell-count")).to_have_text("1", timeout=15_000)
    editor_page.locator("#bell").click()
    expect(editor_page.locator(".bell-item").first).to_contain_text("approved your proposal")

    # A viewer sees the proposals but can neither propose nor decide.
    viewer_page = signed_in_page(browser, app_server, viewer)
    viewer_page.goto(editor_url)
    viewer_page.locator("#tab-history").click()
    expect(viewer_page.locator("#production-version")).to_have_text("v2")
    expect(viewer_page.locator("[id^=publish-], [id^=rollback-]")).to_have_count(0)
    viewer_page.locator(".proposal-review").first.click()
    expect(viewer_page.locator("#review-dialog")).to_be_visible()
    expect(viewer_page.locator("#review-approve")).to_have_count(0)
    expect(viewer_page.locator("#review-reject")).to_have_count(0)
