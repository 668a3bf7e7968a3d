"""Comments and presence in a real browser (issue 16, items 4 and 6), two people in two
browser contexts on the served app (PostgreSQL + Redis with two workers where available):
a viewer comments on a line of the History diff mentioning the owner, the owner sees the
thread arrive by itself, highlighted, and a notification in the bell that leads back to it,
and resolves it; each sees the other in the editor's
header while both have the prompt open, and the owner sees the viewer leave."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, expect

from promptrepo.services import drafts, projects, prompts, segments, versions
from tests.app_server import AppServer, signed_in_page
from tests.factories import add_member, make_user


def _team(app_server: AppServer):
    tag = uuid.uuid4().hex[:6]
    with app_server.session() as s:
        owner = make_user(s, name="Olive Owner", email=f"olive-{tag}@example.com")
        viewer = make_user(s, name="Vera Viewer", email=f"vera-{tag}@example.com")
        project = projects.create_project(s, owner, name="Support bot")
        segment = segments.create_segment(s, owner, project.id, name="Intro")
        prompt = prompts.create_prompt(
            s, owner, segment.id, name="Greeting", content="Hello.\nHow can I help?"
        )
        versions.create_version(s, owner, prompt.id, commit_message="first")
        drafts.save_draft(
            s, owner, prompt.id, base_revision=1, content="Hello there!\nHow can I help?"
        )
        versions.create_version(s, owner, prompt.id, commit_message="friendlier")
        add_member(s, owner, project.id, viewer, "viewer")
    return owner, viewer, f"/projects/{project.id}/prompts/{prompt.id}"


def test_a_line_comment_with_a_mention_reaches_the_owner_who_resolves_it(
    browser: Browser, app_server: AppServer
) -> None:
    owner, viewer, editor_url = _team(app_server)
    mention = "@" + owner.email.split("@")[0]

    owner_page = signed_in_page(browser, app_server, owner)
    owner_page.goto(editor_url)
    owner_page.locator("#tab-history").click()
    expect(owner_page.locator("#comments-pane")).to_contain_text("No comments on this version")

    viewer_page = signed_in_page(browser, app_server, viewer)
    viewer_page.goto(editor_url)
    viewer_page.locator("#tab-history").click()
    viewer_page.locator("#diff-prev-2").click()
    expect(viewer_page.locator("#diff-view")).to_be_visible()
    # keyboard reachable: the line's button takes focus (and then shows) without a mouse
    add = viewer_page.get_by_role("button", name="Comment on line 1 (new)")
    add.focus()
    expect(add).to_have_css("opacity", "1")
    add.press("Enter")
    body = viewer_page.locator("#line-comment-body")
    expect(body).to_be_visible()
    viewer_page.locator("#post-line-comment").click()  # empty: refused, dialog stays
    expect(viewer_page.locator("#line-comment-error")).to_contain_text("empty")
    body.fill(f"{mention} is 'there!' too casual? <b>not bold</b>")
    viewer_page.locator("#post-line-comment").click()
    expect(body).to_have_count(0)
    marker = viewer_page.get_by_role("button", name="Show the comments on line 1 (new)")
    expect(marker).to_contain_text("1")
    expect(marker).to_have_class(re.compile(r"\bopen\b"))
    thread = viewer_page.locator("#comment-threads .comment-thread")
    expect(thread).to_have_count(1)
    expect(thread.locator(".comment-body")).to_contain_text("<b>not bold</b>")  # text, not HTML

    # The owner's page shows the thread without a reload, the mention highlighted.
    owner_thread = owner_page.locator("#comment-threads .comment-thread")
    expect(owner_thread).to_have_count(1, timeout=15_000)
    expect(owner_thread).to_contain_text("line 1 · new side of v1 → v2")
    expect(owner_thread.locator("mark.mention")).to_have_text(mention)
    expect(owner_page.locator("#comment-counts")).to_contain_text("1 open")

    # The mention rang the owner's bell; its link opens the History tab on the comment.
    expect(owner_page.locator("#bell-count")).to_have_text("1", timeout=15_000)
    owner_page.locator("#bell").click()
    item = owner_page.locator(".bell-item").first
    expect(item).to_contain_text("Vera Viewer mentioned you on “Greeting” line 1 of v2")
    item.click()
    expect(owner_page).to_have_url(re.compile(r"\?comment="))
    expect(owner_page.locator("#comments-pane")).to_be_visible()
    expect(owner_thread).to_have_count(1)
    owner_thread.locator(".resolve-thread").click()
    expect(owner_page.locator("#comment-counts")).to_contain_text("1 resolved")
    expect(owner_thread).to_contain_text("Resolved by Olive Owner")

    # The viewer sees it resolved too; filtering by open leaves nothing.
    expect(thread).to_contain_text("Resolved by Olive Owner", timeout=15_000)
    expect(marker).not_to_have_class(re.compile(r"\bopen\b"))  # still marked, as resolved
    viewer_page.locator("#comment-filter").click()
    viewer_page.get_by_role("option", name="Open").click()
    expect(viewer_page.locator("#no-comments")).to_contain_text("No threads match")

    # The owner comments on the version, and deletes it after confirming.
    owner_page.locator("#new-comment-body").fill("Shipping v2 today.")
    owner_page.locator("#post-comment").click()
    expect(owner_thread).to_have_count(2)
    own = owner_thread.filter(has_text="Shipping v2 today.")
    own.locator(".delete-comment").click()
    owner_page.locator("#confirm-delete-comment").click()
    expect(owner_thread).to_have_count(1)


def test_presence_shows_who_else_has_the_prompt_open(
    browser: Browser, app_server: AppServer
) -> None:
    owner, viewer, editor_url = _team(app_server)
    owner_page = signed_in_page(browser, app_server, owner)
    owner_page.goto(editor_url)
    expect(owner_page.locator("#prompt-name")).to_have_value("Greeting")
    expect(owner_page.locator("#presence")).to_have_count(0)  # nobody else yet

    viewer_page = signed_in_page(browser, app_server, viewer)
    viewer_page.goto(editor_url)
    expect(owner_page.locator("#presence")).to_contain_text("Vera Viewer", timeout=5_000)
    expect(owner_page.locator("#presence")).to_have_attribute(
        "aria-label", re.compile("Vera Viewer also has this prompt open")
    )
    expect(viewer_page.locator("#presence")).to_contain_text("Olive Owner", timeout=5_000)
    expect(viewer_page.locator("#presence .rt-AvatarFallback")).to_have_text("OO")

    # Reloads neither pile up followers nor lose the viewer.
    for _ in range(2):
        viewer_page.reload()
        expect(viewer_page.locator("#prompt-name")).to_have_value("Greeting")
    if app_server.redis_url:
        _wait_for_subscribers(app_server, editor_url, 2)
    expect(owner_page.locator("#presence")).to_contain_text("Vera Viewer", timeout=10_000)

    # The viewer closes the tab: gone from the owner's header within the expiry (~25 s).
    viewer_page.context.close()
    expect(owner_page.locator("#presence")).to_have_count(0, timeout=30_000)
    if app_server.redis_url:  # its follower ends at its next heartbeat (after the tab's lock)
        _wait_for_subscribers(app_server, editor_url, 1, timeout=30)


def _wait_for_subscribers(
    app_server: AppServer, editor_url: str, expected: int, timeout: float = 15
) -> None:
    """Presence followers of the prompt (one per open editor tab): each keeps its own entry
    in the prompt's presence set alive while it runs and removes it when it ends. (Redis
    subscriptions do not tell: one pub/sub connection per worker carries all of them.)"""
    import time

    import redis

    from promptrepo.services.presence import KEY_PREFIX

    key = f"{KEY_PREFIX}{editor_url.rsplit('/', 1)[1]}"
    client = redis.Redis.from_url(app_server.redis_url)
    try:
        deadline = time.monotonic() + timeout
        while (count := client.zcount(key, time.time(), "+inf")) != expected:
            assert time.monotonic() < deadline, f"{count} presence followers, not {expected}"
            time.sleep(0.2)
    finally:
        client.close()
