"""Teams in a real browser (issue 16), two people in two browser contexts: the owner invites by
e-mail from the Team dialog, the invitee opens the link and accepts, finds the project on
their dashboard and, as an editor, reverts a label move from the label history; made a
viewer, they see the editor read-only; a third person cannot answer someone else's
invitation.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from promptrepo.services import versions
from tests.app_server import AppServer, new_user, signed_in_page
from tests.prompt_factories import make_support_bot


def test_invite_accept_edit_then_viewer_is_read_only(
    browser: Browser, app_server: AppServer
) -> None:
    owner = new_user(app_server, "Olive Owner")
    invitee = new_user(app_server, "Ivan Invitee")
    stranger = new_user(app_server, "Sam Stranger")
    with app_server.session() as s:
        project, prompt = make_support_bot(s, owner)
        versions.set_label(s, owner, prompt.id, "production", 2, reason="friendlier")
        s.commit()
    project_url = f"/projects/{project.id}"
    editor_url = f"{project_url}/prompts/{prompt.id}"

    # The owner invites by e-mail from the Team dialog; the link shows there (no SMTP here).
    owner_page = signed_in_page(browser, app_server, owner)
    owner_page.goto(project_url)
    owner_page.locator("#team-button").click()
    expect(owner_page.locator(".member-row")).to_have_count(1)
    owner_page.get_by_label("E-mail address").fill(invitee.email)
    owner_page.locator("#invite-submit").click()
    link = owner_page.locator("#invite-link")
    expect(link).to_contain_text("/invites/")
    path = "/invites/" + link.inner_text().rsplit("/invites/", 1)[1]
    expect(owner_page.locator(".pending-invite")).to_have_count(1)

    # Someone else who gets hold of the link learns nothing and cannot answer it.
    stranger_page = signed_in_page(browser, app_server, stranger)
    stranger_page.goto(path)
    expect(stranger_page.locator("#form-error")).to_contain_text(invitee.email)
    expect(stranger_page.locator("#accept-invite")).to_have_count(0)

    # The invitee accepts and lands on the project as an editor.
    invitee_page = signed_in_page(browser, app_server, invitee)
    invitee_page.goto(path)
    expect(invitee_page.locator("#invited-role")).to_have_text("editor")
    invitee_page.locator("#accept-invite").click()
    expect(invitee_page).to_have_url(re.compile(re.escape(project_url) + "$"))
    expect(invitee_page.locator("#my-role")).to_have_text("editor")
    expect(invitee_page.locator("#add-segment")).to_be_visible()  # editors edit content
    expect(invitee_page.locator("#public-toggle")).to_have_count(0)  # settings: owner only
    invitee_page.goto("/dashboard")
    expect(invitee_page.locator(".shared-role").first).to_have_text("editor")

    # The editor's editor page is writable.
    invitee_page.goto(editor_url)
    expect(invitee_page.locator("#template-editor")).to_have_attribute("data-readonly", "false")

    # The label history lists every move; the editor reverts the last one through the
    # promote dialog (pre-filled), and the revert is itself in the history, by them.
    invitee_page.locator("#tab-history").click()
    moves = invitee_page.locator("#label-history .label-event")
    expect(moves).to_have_count(2)
    expect(moves.first).to_contain_text("v1 → v2")
    expect(moves.first).to_contain_text("Olive Owner")
    moves.first.get_by_role("button", name=re.compile("^Revert production")).click()
    expect(invitee_page.locator("#promote-summary")).to_contain_text("points at v2 today")
    expect(invitee_page.locator("#promote-reason")).to_have_value("Revert production v1 → v2")
    invitee_page.locator("#promote-confirm").click()
    expect(invitee_page.locator("#production-version")).to_have_text("v1")
    expect(moves).to_have_count(3)
    expect(moves.first).to_contain_text("v2 → v1")
    expect(moves.first).to_contain_text("Ivan Invitee")
    expect(moves.first.locator(".revert-label-move")).to_have_count(1)  # undo the undo
    expect(moves.nth(2).locator(".revert-label-move")).to_have_count(1)  # v1 was first: remove

    # The owner sees the new member and makes them a viewer.
    owner_page.reload()
    owner_page.locator("#team-button").click()
    row = owner_page.locator(f'.member-row[data-email="{invitee.email}"]')
    expect(row).to_be_visible()
    row.get_by_label("Role of Ivan Invitee").click()
    owner_page.get_by_role("option", name="Viewer").click()
    expect(owner_page.locator(".member-role").first).to_have_text("Viewer")

    # As a viewer the editor is read-only and the project page has no editing controls.
    invitee_page.goto(editor_url)
    expect(invitee_page.locator("#template-editor")).to_have_attribute("data-readonly", "true")
    invitee_page.locator("#tab-history").click()
    expect(invitee_page.locator("#label-history .label-event")).to_have_count(3)
    expect(invitee_page.locator(".revert-label-move")).to_have_count(0)
    expect(invitee_page.locator("#save-status")).to_have_attribute("data-state", "readonly")
    invitee_page.goto(project_url)
    expect(invitee_page.locator("#my-role")).to_have_text("viewer")
    expect(invitee_page.locator("#add-segment")).to_have_count(0)

    # The viewer leaves (after confirming); the project is then "not found" to them.
    invitee_page.locator("#team-button").click()
    invitee_page.locator("#leave-project").click()
    invitee_page.locator("#team-confirm").click()
    expect(invitee_page).to_have_url(re.compile("/dashboard$"))
    invitee_page.goto(project_url)
    expect(invitee_page.locator("#project-not-found")).to_be_visible()


def test_an_invitation_opened_signed_out_says_so_on_the_login_page(
    browser: Browser, app_server: AppServer
) -> None:
    page = browser.new_context(base_url=app_server.url).new_page()
    page.goto("/invites/some-token")
    expect(page).to_have_url(re.compile(r"/login\?next=/invites/some-token$"))
    expect(page.locator("#invite-note")).to_contain_text(
        "Sign in or create an account to accept your invitation"
    )
    expect(page.get_by_text("Welcome back to PromptRepo.")).to_have_count(0)
    signup = page.locator("#invite-signup")
    expect(signup).to_be_visible()
    expect(signup).to_have_attribute("href", "/signup?next=/invites/some-token")
    page.goto("/login?next=/dashboard")
    expect(page.locator("#invite-note")).to_have_count(0)
    expect(page.get_by_text("Welcome back to PromptRepo.")).to_be_visible()
    page.context.close()


def test_the_invited_are_not_greeted_as_returning_users_before_the_page_is_live(
    browser: Browser, app_server: AppServer
) -> None:
    # With Reflex's websocket held (a slow connection), the prerendered login page is all
    # there is: it said "Welcome back" to someone on the way to an invitation until the state
    # answered (the head script now marks the way there, and the greeting stays hidden).
    page = browser.new_context(base_url=app_server.url).new_page()
    page.route_web_socket(re.compile(r".*/_event.*"), lambda ws: None)
    page.goto("/login?next=/invites/some-token")
    expect(page.locator("#login-email")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-invite", "")
    expect(page.locator("#login-welcome")).to_be_hidden()
    page.goto("/login?next=/dashboard")
    expect(page.locator("#login-welcome")).to_be_visible()
    page.context.close()
