"""Projects in a real browser: dashboard, project page, composed view, gallery, forks,
live updates across two browser contexts (the app runs 2 workers with Redis), export/import.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from promptrepo.models import Project, Prompt
from promptrepo.services import projects, prompts, segments, transfer
from tests.app_server import AppServer, sign_in
from tests.factories import make_user


@pytest.fixture
def new_user(app_server: AppServer):
    def create(name: str = "Ada", plan: str = "free"):
        with app_server.session() as s:
            user = make_user(s, name=name, plan=plan)
            s.commit()
        return user

    return create


def signed_in_page(browser: Browser, app_server: AppServer, user) -> Page:
    context = browser.new_context(base_url=app_server.url, accept_downloads=True)
    sign_in(context, app_server, user.user_id)
    return context.new_page()


def seed_project(app_server: AppServer, owner, name: str, *, public: bool = False) -> str:
    """Intro: Greeting ("Hello."), Rules ("Be brief."); Body: Task ("Summarise the text.")."""
    with app_server.session() as s:
        project = projects.create_project(s, owner, name=name, is_public=public)
        intro = segments.create_segment(s, owner, project.id, name="Intro")
        body = segments.create_segment(s, owner, project.id, name="Body")
        prompts.create_prompt(s, owner, intro.id, name="Greeting", content="Hello.")
        prompts.create_prompt(s, owner, intro.id, name="Rules", content="Be brief.")
        prompts.create_prompt(s, owner, body.id, name="Task", content="Summarise the text.")
        s.commit()
        return str(project.id)


def segment(page: Page, name: str):
    return page.locator(f'.segment-item[data-name="{name}"]')


def prompt_item(page: Page, name: str):
    return page.locator(f'.prompt-item[data-name="{name}"]')


def prompt_names(page: Page, segment_name: str) -> list[str]:
    return (
        segment(page, segment_name)
        .locator(".prompt-item")
        .evaluate_all("els => els.map(e => e.dataset.name)")
    )


def composed_text(page: Page) -> str:
    page.locator("#tab-composed").click()
    text = page.locator("#composed-text").inner_text()
    page.locator("#tab-structure").click()
    return text


# --------------------------------------------------------------------------- the main flow
def assert_fills_its_form(page, selector: str) -> None:
    field = page.locator(selector)
    expect(field).to_be_visible()
    widths = field.evaluate(
        "el => [(el.closest('.rt-TextFieldRoot, .rt-TextAreaRoot') || el)"
        ".getBoundingClientRect().width, el.closest('form').getBoundingClientRect().width]"
    )
    assert widths[0] >= widths[1] - 2, (selector, widths)


def test_create_project_add_segments_and_prompts_reorder_and_see_composed_view(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    user = new_user("Creator")
    page = signed_in_page(browser, app_server, user)
    page.goto("/dashboard")
    expect(page.locator("#empty-state")).to_be_visible()

    page.locator("#new-project").click()
    # The dialog's fields take its width (they were 175 px wide in a 600 px dialog).
    assert_fills_its_form(page, "#project-name")
    assert_fills_its_form(page, "#project-description")
    page.locator("#project-name").fill("  ")
    page.locator("#project-name").fill("Release notes writer")
    page.locator("#project-description").fill("Turns commits into notes")
    page.locator("#create-project-submit").click()
    expect(page).to_have_url(re.compile(r"/projects/[0-9a-f-]{36}$"))
    expect(page.locator("#project-name-heading")).to_have_text("Release notes writer")
    project_id = page.url.rsplit("/", 1)[1]

    for name in ("Intro", "Body"):
        page.locator("#new-segment-name").fill(name)
        page.locator("#add-segment").click()
        expect(segment(page, name)).to_be_visible()
    for segment_name, prompt_name in (("Intro", "Greeting"), ("Intro", "Rules"), ("Body", "Task")):
        segment(page, segment_name).locator(".add-prompt").click()
        assert_fills_its_form(page, "#dialog-name")
        page.locator("#dialog-name").fill(prompt_name)
        page.locator("#dialog-submit").click()
        expect(prompt_item(page, prompt_name)).to_be_visible()
    assert prompt_names(page, "Intro") == ["Greeting", "Rules"]

    # The editor (another page) writes the text; here we give each prompt its content.
    with app_server.session() as s:
        for prompt in s.exec(select(Prompt)).all():
            if prompt.name in ("Greeting", "Rules", "Task"):
                prompt.content = {"Greeting": "Hello.", "Rules": "Be brief.", "Task": "Do it."}[
                    prompt.name
                ]
                s.add(prompt)
        s.commit()
    page.reload()
    expect(prompt_item(page, "Greeting")).to_contain_text("Hello.")
    expect(prompt_item(page, "Task")).to_contain_text("Do it.")
    assert composed_text(page) == "Hello.\n\nBe brief.\n\nDo it."

    # Keyboard alternative: the move buttons.
    prompt_item(page, "Rules").locator(".prompt-up").click()
    expect(segment(page, "Intro").locator(".prompt-item").first).to_have_attribute(
        "data-name", "Rules"
    )
    assert composed_text(page) == "Be brief.\n\nHello.\n\nDo it."

    # Drag and drop: the Body segment onto Intro puts it first.
    segment(page, "Body").locator(".segment-name").drag_to(
        segment(page, "Intro").locator(".segment-name")
    )
    expect(page.locator(".segment-item").first).to_have_attribute("data-name", "Body")
    assert composed_text(page) == "Do it.\n\nBe brief.\n\nHello."

    # Move a prompt to another segment with the select.
    prompt_item(page, "Greeting").locator(".move-to-segment").click()
    page.get_by_role("option", name="Body").click()
    expect(segment(page, "Body").locator('.prompt-item[data-name="Greeting"]')).to_be_visible()
    assert prompt_names(page, "Body") == ["Task", "Greeting"]
    assert composed_text(page) == "Do it.\n\nHello.\n\nBe brief."

    # The order is stored: it survives a reload.
    page.reload()
    expect(prompt_item(page, "Greeting")).to_be_visible()
    assert prompt_names(page, "Body") == ["Task", "Greeting"]
    expect(page.locator(".segment-item").first).to_have_attribute("data-name", "Body")

    # Rename and delete (with confirmation).
    segment(page, "Intro").locator(".segment-rename").click()
    page.locator("#dialog-name").fill("Rules section")
    page.locator("#dialog-submit").click()
    expect(segment(page, "Rules section")).to_be_visible()
    prompt_item(page, "Greeting").locator(".prompt-delete").click()
    page.locator("#confirm-delete").click()
    expect(prompt_item(page, "Greeting")).to_have_count(0)

    # The dashboard shows the counts.
    page.goto("/dashboard")
    row = page.locator(f'.project-row[data-project-id="{project_id}"]')
    expect(row.locator(".segment-count")).to_have_text("2")
    expect(row.locator(".prompt-count")).to_have_text("2")
    page.context.close()


def test_plan_limit_shows_a_message_with_a_link_to_pricing(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    user = new_user("Limited")
    with app_server.session() as s:
        for i in range(3):
            projects.create_project(s, user, name=f"Project {i}")
        s.commit()
    page = signed_in_page(browser, app_server, user)
    page.goto("/dashboard")
    expect(page.locator(".project-row")).to_have_count(3)
    page.locator("#new-project").click()
    page.locator("#project-name").fill("One too many")
    page.locator("#create-project-submit").click()
    message = page.locator("#plan-limit-message")
    expect(message).to_contain_text("3 projects")
    expect(message.get_by_role("link")).to_have_attribute("href", "/pricing")
    page.keyboard.press("Escape")
    expect(page.locator(".project-row")).to_have_count(3)
    page.context.close()


# --------------------------------------------------------------------------- public and forks
def test_public_project_is_readable_signed_out_and_forkable_by_another_user(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    owner = new_user("Owner")
    project_id = seed_project(app_server, owner, "Shareable")
    owner_page = signed_in_page(browser, app_server, owner)
    owner_page.goto(f"/projects/{project_id}")
    expect(owner_page.locator("#public-toggle")).not_to_be_checked()

    # Private: "not found" for a visitor.
    visitor = browser.new_context(base_url=app_server.url).new_page()
    visitor.goto(f"/projects/{project_id}")
    expect(visitor.locator("#project-not-found")).to_be_visible()

    owner_page.locator("#public-toggle").click()
    expect(owner_page.locator("#public-toggle")).to_be_checked()

    visitor.goto(f"/projects/{project_id}")
    expect(visitor.locator("#project-name-heading")).to_have_text("Shareable")
    expect(prompt_item(visitor, "Task")).to_be_visible()
    expect(visitor.locator(".prompt-up")).to_have_count(0)
    expect(visitor.locator("#public-toggle")).to_have_count(0)
    expect(visitor.get_by_role("link", name="Log in to fork")).to_be_visible()
    visitor.goto("/explore")
    card = visitor.locator(f'.gallery-card[data-project-id="{project_id}"]')
    expect(card).to_contain_text("Owner")
    visitor.context.close()

    forker = new_user("Forker")
    forker_page = signed_in_page(browser, app_server, forker)
    forker_page.goto(f"/projects/{project_id}")
    forker_page.locator("#fork-button").click()
    expect(forker_page).not_to_have_url(re.compile(project_id))
    expect(forker_page.locator("#forked-from")).to_have_text("Shareable")
    expect(forker_page.locator("#public-toggle")).not_to_be_checked()
    assert prompt_names(forker_page, "Intro") == ["Greeting", "Rules"]
    # The owner's open page shows the new fork count without a reload.
    expect(owner_page.locator("#fork-count")).to_have_text("1", timeout=2000)
    with app_server.session() as s:
        fork = s.exec(select(Project).where(Project.user_id == forker.user_id)).one()
        assert str(fork.forked_from_id) == project_id

    # The gallery has a fork button for signed-in visitors too (not on one's own projects).
    forker_page.goto("/explore")
    item = forker_page.locator(f'.gallery-item[data-project-id="{project_id}"]')
    expect(item.locator(".gallery-forks")).to_have_text(re.compile(r"^\s*1 fork\s*$"))
    item.locator(".gallery-fork").click()
    expect(forker_page.locator("#project-name-heading")).to_have_text("Shareable (fork)")
    expect(owner_page.locator("#fork-count")).to_have_text("2", timeout=2000)
    owner_page.goto("/explore")
    own_item = owner_page.locator(f'.gallery-item[data-project-id="{project_id}"]')
    expect(own_item.locator(".gallery-forks")).to_contain_text("2")
    expect(own_item.locator(".gallery-fork")).to_have_count(0)
    forker_page.context.close()
    owner_page.context.close()


# --------------------------------------------------------------------------- live updates
def test_two_browser_contexts_see_each_others_changes_within_a_second(
    browser: Browser, app_server: AppServer, new_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user("Live")
    project_id = seed_project(app_server, user, "Live one")
    tab_a = signed_in_page(browser, app_server, user)
    tab_b = signed_in_page(browser, app_server, user)
    dashboard = signed_in_page(browser, app_server, user)
    tab_a.goto(f"/projects/{project_id}")
    tab_b.goto(f"/projects/{project_id}")
    dashboard.goto("/dashboard")
    row = dashboard.locator(f'.project-row[data-project-id="{project_id}"]')
    expect(row.locator(".segment-count")).to_have_text("2")
    expect(prompt_item(tab_b, "Task")).to_be_visible()
    time.sleep(0.5)  # let the followers subscribe

    # A adds a segment: B's project page and the dashboard row follow within a second.
    tab_a.locator("#new-segment-name").fill("Examples")
    tab_a.locator("#add-segment").click()
    expect(segment(tab_a, "Examples")).to_be_visible()
    expect(segment(tab_b, "Examples")).to_be_visible(timeout=1000)
    expect(row.locator(".segment-count")).to_have_text("3", timeout=1000)

    # B reorders: A sees the new order, and its composed view changes.
    tab_b.locator("#tab-composed").click()
    tab_a.locator("#tab-composed").click()
    expect(tab_a.locator("#composed-text")).to_have_text(
        "Hello.\n\nBe brief.\n\nSummarise the text."
    )
    tab_b.locator("#tab-structure").click()
    prompt_item(tab_b, "Rules").locator(".prompt-up").click()
    expect(tab_a.locator("#composed-text")).to_have_text(
        "Be brief.\n\nHello.\n\nSummarise the text.", timeout=1000
    )

    # A change made outside the browser (as the REST API does) reaches both views too.
    from promptrepo.services import redis_client
    from promptrepo.settings import settings

    monkeypatch.setattr(settings, "redis_url", app_server.redis_url)
    redis_client.get_redis.cache_clear()
    try:
        with app_server.session() as s:
            project = s.get(Project, uuid.UUID(project_id))
            projects.update_project(s, user, project.id, name="Live renamed")
            s.commit()
    finally:
        monkeypatch.undo()
        redis_client.get_redis.cache_clear()
    expect(tab_a.locator("#project-name-heading")).to_have_text("Live renamed", timeout=1000)
    expect(row.locator(".project-link")).to_have_text("Live renamed", timeout=1000)
    for page in (tab_a, tab_b, dashboard):
        page.context.close()


# --------------------------------------------------------------------------- export / import
def test_export_then_import_gives_the_same_project(
    browser: Browser, app_server: AppServer, new_user, tmp_path: Path
) -> None:
    user = new_user("Porter")
    project_id = seed_project(app_server, user, "Portable")
    page = signed_in_page(browser, app_server, user)
    page.goto(f"/projects/{project_id}")
    page.locator("#export").click()
    with page.expect_download() as download_info:
        page.locator("#export-json").click()
    download = download_info.value
    assert download.suggested_filename == "portable.json"
    exported = tmp_path / "portable.json"
    download.save_as(exported)
    document = json.loads(exported.read_text())
    assert [s["name"] for s in document["segments"]] == ["Intro", "Body"]

    # Let the menu finish closing before opening it again (a click during its closing
    # animation lands on the fading overlay).
    expect(page.locator("#export-json")).to_be_hidden()
    page.locator("#export").click()
    expect(page.locator("#export-yaml")).to_be_visible()
    with page.expect_download() as yaml_info:
        page.locator("#export-yaml").click()
    assert yaml_info.value.suggested_filename == "portable.yaml"

    # A bad file: its problems are listed and nothing is imported.
    page.goto("/dashboard")
    page.locator("#open-import").click()
    page.locator("#import-text").fill('{"format_version": 1, "segments": [{"prompts": []}]}')
    page.locator("#import-paste-submit").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("name: This field is required.")
    expect(errors).to_contain_text("segments[0].name: This field is required.")
    page.keyboard.press("Escape")
    expect(page.locator(".project-row")).to_have_count(1)

    # The exported file, uploaded.
    page.locator("#open-import").click()
    page.locator(f"#{'import-upload'} input[type=file]").set_input_files(str(exported))
    page.locator("#import-upload-submit").click()
    expect(page).not_to_have_url(re.compile(project_id))
    expect(page).to_have_url(re.compile(r"/projects/[0-9a-f-]{36}$"))
    expect(page.locator("#project-name-heading")).to_have_text("Portable (imported)")
    new_id = page.url.rsplit("/", 1)[1]
    with app_server.session() as s:
        again = json.loads(transfer.export_project(s, user, new_id, "json"))
    assert again == {**document, "name": "Portable (imported)"}
    page.context.close()


def test_live_followers_do_not_pile_up_and_stop_when_the_tab_leaves(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    """Reloads leave one live view, and none once the view is gone. Redis counts a channel's
    subscribed connections, one per worker that has a follower of it (each worker's views
    share one connection): a follower left behind by a reload on the other worker would
    show as a second one, and any left behind would keep the channel subscribed after the
    page is gone. (The editor's followers are counted one by one, by their presence
    entries, in test_comments.py.)"""
    import redis

    from promptrepo.services.events import CHANNEL_PREFIX

    client = redis.Redis.from_url(app_server.redis_url)
    user = new_user("Follower")
    project_id = seed_project(app_server, user, "Followed")
    project_channel = f"{CHANNEL_PREFIX}project:{project_id}"
    user_channel = f"{CHANNEL_PREFIX}user:{user.user_id}"

    def subscribers(channel: str) -> int:
        return dict(client.pubsub_numsub(channel))[channel.encode()]

    def wait_for(channel: str, expected: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while subscribers(channel) != expected:
            assert time.monotonic() < deadline, (
                f"{channel}: {subscribers(channel)} subscribers, expected {expected}"
            )
            time.sleep(0.2)

    page = signed_in_page(browser, app_server, user)
    page.goto(f"/projects/{project_id}")
    expect(prompt_item(page, "Task")).to_be_visible()
    wait_for(project_channel, 1)
    for _ in range(4):
        page.reload()
        expect(prompt_item(page, "Task")).to_be_visible()
    wait_for(project_channel, 1)
    # Still live after the reloads.
    with app_server.session() as s:
        seg = projects.get_project_detail(s, user, project_id).segments[0]
    other = signed_in_page(browser, app_server, user)
    other.goto(f"/projects/{project_id}")
    expect(prompt_item(other, "Task")).to_be_visible()
    prompt_item(other, "Rules").locator(".prompt-up").click()
    expect(segment(page, "Intro").locator(".prompt-item").first).to_have_attribute(
        "data-name", "Rules", timeout=1000
    )
    assert seg.name == "Intro"
    other.context.close()
    wait_for(project_channel, 1)

    # Leaving the page ends the project follower; the dashboard follows the user instead.
    page.goto("/dashboard")
    expect(page.locator(".project-row")).to_have_count(1)
    wait_for(project_channel, 0)
    wait_for(user_channel, 1)
    page.context.close()
    wait_for(user_channel, 0)
    client.close()


def test_dashboard_search_sort_pages_edit_duplicate_and_delete(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    user = new_user("Busy", plan="pro")
    with app_server.session() as s:
        for i in range(23):
            projects.create_project(s, user, name=f"Item {i:02d}")
        s.commit()
    page = signed_in_page(browser, app_server, user)
    page.goto("/dashboard")
    rows = page.locator(".project-row")
    expect(rows).to_have_count(20)
    expect(page.locator("#page-indicator")).to_have_text("Page 1 of 2")
    expect(rows.first).to_have_attribute("data-name", "Item 22")  # last changed first
    page.locator("#page-next").click()
    expect(rows).to_have_count(3)
    expect(page.locator("#page-indicator")).to_have_text("Page 2 of 2")

    page.locator("#project-sort").click()
    page.get_by_role("option", name="Name").click()
    expect(rows.first).to_have_attribute("data-name", "Item 00")
    expect(page.locator("#page-indicator")).to_have_text("Page 1 of 2")

    page.locator("#project-search").fill("item 1")
    expect(rows).to_have_count(10)
    page.locator("#project-search").fill("nothing like this")
    expect(page.locator("#no-matches")).to_be_visible()
    page.locator("#project-search").fill("Item 05")
    expect(rows).to_have_count(1)

    # Edit: a taken name is refused with a clear message, then a new one is saved.
    rows.first.locator(".project-actions").click()
    page.get_by_role("menuitem", name="Edit name and description…").click()
    page.locator("#project-name").fill("Item 06")
    page.locator("#edit-project-submit").click()
    expect(page.locator("#form-error")).to_contain_text('already have a project named "Item 06"')
    page.locator("#project-name").fill("Renamed five")
    page.locator("#project-description").fill("Now with a description")
    page.locator("#edit-project-submit").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(rows).to_have_count(0)  # renamed: it no longer matches "Item 05"
    page.locator("#project-search").fill("Renamed")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Now with a description")

    # Duplicate, then delete the copy after confirming.
    rows.first.locator(".project-actions").click()
    page.get_by_role("menuitem", name="Duplicate").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_role("menu")).to_have_count(0)
    copy = page.locator('.project-row[data-name="Renamed five (copy)"]')
    copy.locator(".project-actions").click()
    page.get_by_role("menuitem", name="Delete…").click()
    page.get_by_role("button", name="Cancel").click()
    expect(rows).to_have_count(2)
    copy.locator(".project-actions").click()
    page.get_by_role("menuitem", name="Delete…").click()
    page.locator("#confirm-delete").click()
    expect(rows).to_have_count(1)
    page.context.close()


def test_drag_a_prompt_onto_a_prompt_of_another_segment(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    user = new_user("Dragger")
    project_id = seed_project(app_server, user, "Draggable")
    page = signed_in_page(browser, app_server, user)
    page.goto(f"/projects/{project_id}")
    expect(prompt_item(page, "Task")).to_be_visible()
    prompt_item(page, "Rules").drag_to(prompt_item(page, "Task"))
    expect(segment(page, "Body").locator(".prompt-item").first).to_have_attribute(
        "data-name", "Rules"
    )
    assert prompt_names(page, "Intro") == ["Greeting"]
    assert prompt_names(page, "Body") == ["Rules", "Task"]
    assert composed_text(page) == "Hello.\n\nBe brief.\n\nSummarise the text."
    page.context.close()


def test_dashboard_search_finds_own_prompts_by_content_and_opens_the_editor(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    from tests.prompt_factories import make_prompt

    user = new_user("Finder")
    other = new_user("Stranger")
    word = f"zebra{uuid.uuid4().hex[:6]}"
    with app_server.session() as s:
        project, prompt = make_prompt(
            s,
            user,
            name="Refund reply",
            content=f"Be kind about the {word} when {{{{ customer }}}} writes.",
            project_name="Support bot",
        )
        make_prompt(s, other, name="Not yours", content=f"{word} too", is_public=True)
        url = f"**/projects/{project.id}/prompts/{prompt.id}"
    page = signed_in_page(browser, app_server, user)
    page.goto("/dashboard")
    expect(page.locator(".project-row")).to_have_count(1)
    page.locator("#project-search").fill(word)
    expect(page.locator("#no-matches")).to_be_visible()  # no project is named so
    hits = page.locator(".prompt-hit")
    expect(hits).to_have_count(1)  # the stranger's public prompt is not listed
    expect(page.locator("#prompt-hit-total")).to_have_text("1")
    expect(hits.first).to_contain_text("Support bot › Main")
    expect(hits.first.locator(".prompt-hit-snippet")).to_contain_text(f"the {word} when")
    page.locator("#project-search").fill("nothing-like-this-anywhere")
    expect(page.locator("#no-prompt-matches")).to_be_visible()
    page.locator("#project-search").fill("refund")
    hits.first.get_by_role("link", name="Refund reply").click()
    page.wait_for_url(url, timeout=30_000)
    expect(page.locator("#prompt-content")).to_be_visible(timeout=30_000)


def test_a_visitor_on_a_public_project_is_told_what_they_can_do(
    browser: Browser, app_server: AppServer, new_user
) -> None:
    """Signed out, a public project's page leads back to Explore (not a dashboard they do not
    have), never invites them to write, and says that opening a prompt needs a login;
    opening one asks to log in first."""
    owner = new_user("Pia Public")
    with app_server.session() as s:
        project = projects.create_project(s, owner, name="Open book", is_public=True)
        seg = segments.create_segment(s, owner, project.id, name="Intro")
        prompts.create_prompt(s, owner, seg.id, name="Blank", content="")
        prompts.create_prompt(s, owner, seg.id, name="Long", content="Line one\n" * 40 + "The end.")
        s.commit()
        project_id = str(project.id)
    visitor = browser.new_context(base_url=app_server.url).new_page()
    visitor.goto(f"/projects/{project_id}")
    expect(visitor.locator("#project-name-heading")).to_have_text("Open book")
    expect(visitor.locator("#back-link")).to_have_attribute("href", "/explore")
    expect(visitor.get_by_text("Dashboard", exact=True)).to_have_count(0)
    expect(visitor.get_by_text("open it to write")).to_have_count(0)
    expect(visitor.locator("#visitor-note")).to_contain_text("log in to open its prompts")
    # Every prompt can be read in full without an account: the note leads to the Composed tab.
    visitor.locator("#visitor-read").click()
    expect(visitor.locator("#composed-text")).to_contain_text("Line one\nLine one")
    expect(visitor.locator("#composed-text")).to_contain_text("The end.")
    visitor.locator("#tab-structure").click()
    visitor.locator(".prompt-item a").first.click()
    expect(visitor).to_have_url(re.compile(rf"/login\?next=/projects/{project_id}/prompts/"))
    visitor.goto("/explore")
    expect(visitor.get_by_text("Open one to read it")).to_have_count(0)
    expect(visitor.get_by_text("log in to open its prompts", exact=False)).to_be_visible()
    visitor.context.close()
