"""The prompt editor in a real browser: the issue's "done when" scenario, end to end.

Write a prompt with variables → see the preview → add a validator that fails → publishing is
refused with the reason → fix the prompt → save a version and publish it → save and publish
a second one → view the diff → roll back to the first published version.
"""

from __future__ import annotations

import re
import time
import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect
from sqlmodel import select

from promptrepo.models import AuditLog, Prompt
from promptrepo.services import api_keys, versions
from tests.app_server import AppServer, sign_in
from tests.e2e.a11y import UNNAMED_CONTROLS_JS
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def _new_prompt(app_server: AppServer, content: str = "") -> tuple[uuid.UUID, str, uuid.UUID]:
    with app_server.session() as s:
        owner = make_user(s, email=f"editor-{uuid.uuid4().hex[:8]}@example.com", name="Eve Editor")
        project, prompt = make_prompt(
            s, owner, content=content, name="Support reply", project_name="Support bot"
        )
        s.commit()
        return owner.user_id, f"/projects/{project.id}/prompts/{prompt.id}", prompt.id


def _open(page: Page, context: BrowserContext, app_server: AppServer, content: str = ""):
    user_id, url, prompt_id = _new_prompt(app_server, content)
    sign_in(context, app_server, user_id)
    page.goto(app_server.url + url)
    expect(page.locator("#prompt-content")).to_be_visible(timeout=30_000)
    return prompt_id


def _expect_editor_text(page: Page, text: str, timeout: float = 10_000) -> None:
    """Wait until the code editor's document is exactly `text`."""
    try:
        page.wait_for_function(
            "t => window.__promptEditorView && window.__promptEditorView.state.doc.toString() === t",
            arg=text,
            timeout=timeout,
        )
    except Exception:
        actual = page.evaluate(
            "() => window.__promptEditorView ? window.__promptEditorView.state.doc.toString() : null"
        )
        raise AssertionError(f"editor text is {actual!r}, expected {text!r}") from None


def _wait_saved(page: Page, timeout: float = 10_000) -> None:
    """Wait until the draft is saved, keys still in the page included: the code editor sends
    its text to the state once typing pauses and marks the page meanwhile."""
    expect(page.locator("html:not([data-unsent-edits]) #save-status")).to_have_attribute(
        "data-state", "saved", timeout=timeout
    )


def _wait_stored(app_server: AppServer, prompt_id: uuid.UUID, content: str) -> None:
    """Wait (up to 10 s) until the draft stored in the database is `content`."""
    stored = None
    for _ in range(100):
        with app_server.session() as s:
            stored = s.get(Prompt, prompt_id).content
        if stored == content:
            return
        time.sleep(0.1)
    raise AssertionError(f"the stored draft is {stored!r}, not {content!r}")


def _save_version(page: Page, message: str, number: int) -> None:
    page.locator("#save-version-button").click()
    page.locator("#commit-message").fill(message)
    page.locator("#confirm-save-version").click()
    page.locator("#tab-history").click()
    expect(page.locator(f"#version-{number}")).to_be_visible()
    expect(page.locator(f"#version-{number}")).to_contain_text(message)


def test_write_preview_validate_publish_diff_and_roll_back(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    prompt_id = _open(page, context, app_server)

    # Write a prompt with variables; they are detected as we type.
    editor = page.locator("#prompt-content")
    editor.click()
    editor.press_sequentially("Hello {{ name }}! Reply in {{ format }}.", delay=5)
    expect(page.locator("#example-name")).to_be_visible()
    expect(page.locator("#example-format")).to_be_visible()

    # The preview renders with the example values, edited in place.
    page.locator("#example-name").fill("Ada")
    page.locator("#example-format").fill("prose")
    expect(page.locator("#preview-text")).to_have_text("Hello Ada! Reply in prose.")
    expect(page.locator("#preview-stats")).to_contain_text("26 characters")
    expect(page.locator("#preview-stats")).to_contain_text("1 line ")  # singular
    expect(page.locator("#preview-stats")).to_contain_text("approximate")
    # a separator goes with the figure after it, so a wrapped line never ends with one
    stats = page.locator("#preview-stats > span").all_inner_texts()
    assert len(stats) == 4 and not any(s.strip().endswith("·") for s in stats), stats
    _wait_saved(page)

    # A validator that fails: the reply must ask for JSON.
    page.locator("#tab-validators").click()
    page.locator("#add-validator").click()
    page.locator("#vform-text").fill("JSON")
    page.locator("#vform-save").click()
    badge = page.locator("#validator-badges .validator-badge")
    expect(badge).to_have_attribute("data-passed", "false")

    # Save version 1 and try to publish it: refused, with the reason.
    _save_version(page, "first draft", 1)
    page.locator("#publish-1").click()
    refusal = page.locator("#promote-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("contains")
    expect(refusal).to_contain_text("JSON")
    expect(page.locator("#promote-confirm")).to_be_disabled()
    expect(page.locator("#promote-checks [data-passed=false]")).to_contain_text("contains")
    page.keyboard.press("Escape")
    expect(page.locator("#promote-dialog")).to_have_count(0)
    expect(page.locator("#production-version")).to_have_text("nothing yet")

    # Fix the prompt (its example now asks for JSON): the badge turns green.
    page.locator("#tab-preview").click()
    page.locator("#example-format").fill("JSON")
    expect(page.locator("#preview-text")).to_have_text("Hello Ada! Reply in JSON.")
    expect(badge).to_have_attribute("data-passed", "true")
    _wait_saved(page)

    # Save version 2 and publish it.
    _save_version(page, "ask for JSON", 2)
    page.locator("#publish-2").click()
    expect(page.locator("#promote-summary")).to_contain_text("production points at no version")
    expect(page.locator("#promote-diff [data-kind=added]")).to_contain_text("Reply in {{ format }}")
    page.locator("#promote-reason").fill("first release")
    page.locator("#promote-confirm").click()
    expect(page.locator("#production-version")).to_have_text("v2")
    expect(page.locator("#version-2")).to_contain_text("production")
    # The dialog is gone (it hands the focus back to its trigger as it closes, which would
    # take it from the editor if we typed sooner).
    expect(page.locator("#promote-dialog")).to_have_count(0)

    # Save and publish a second published version (3).
    page.locator("#tab-preview").click()
    page.locator("#prompt-content").click()
    page.locator("#prompt-content").press("End")
    expect(page.locator("#prompt-content")).to_be_focused()
    page.locator("#prompt-content").press_sequentially(" Be brief.", delay=5)
    expect(page.locator("#preview-text")).to_have_text("Hello Ada! Reply in JSON. Be brief.")
    _wait_saved(page)
    _save_version(page, "be brief", 3)
    _promote_with_keyboard(page, "#diff-prev-3", "publish-3", "shorter answers")
    expect(page.locator("#production-version")).to_have_text("v3")

    # View the diff between the two published versions.
    page.locator("#diff-prev-3").click()
    expect(page.locator("#diff-view-title")).to_contain_text("Version 2 → 3")
    diff = page.locator("#diff-view")
    expect(diff.locator("[data-kind=changed] .side-old")).to_contain_text("Reply in {{ format }}.")
    expect(diff.locator(".word-new-changed")).to_have_text(" Be brief.")
    # The environments bar says where production points and who moved it.
    expect(page.locator("#environments")).to_contain_text("production → v3")
    expect(page.locator("#environments")).to_contain_text("Eve Editor")

    # Roll back to the first published version, by keyboard only; the dialog shows what is
    # being replaced and the label's history.
    page.locator("#diff-prev-2").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "rollback-2"
    page.keyboard.press("Enter")
    dialog = page.locator("#promote-dialog")
    expect(dialog).to_contain_text("Roll production back to version 2")
    expect(page.locator("#promote-summary")).to_contain_text("production points at v3 today")
    expect(page.locator("#promote-diff [data-kind=changed] .side-old")).to_contain_text("Be brief.")
    history = page.locator("#promote-history")
    expect(history).to_contain_text("v2 → v3")
    expect(history).to_contain_text("shorter answers")
    expect(history).to_contain_text("first release")
    _tab_to(page, "promote-reason")
    page.keyboard.type("v3 is too terse")
    _tab_to(page, "promote-confirm")
    page.keyboard.press("Enter")
    expect(page.locator("#production-version")).to_have_text("v2")
    expect(dialog).to_have_count(0)

    # Removing production asks first too, and says what it does.
    page.locator("#remove-label-production").click()
    expect(page.locator("#promote-summary")).to_contain_text("unpublished")
    page.keyboard.press("Escape")
    expect(page.locator("#production-version")).to_have_text("v2")

    # "Use in code" shows the request a program makes, and it works as shown.
    page.locator("#use-in-code").click()
    url = f"{app_server.url}/api/v1/prompts/{prompt_id}/resolve"
    expect(page.locator("#api-snippet")).to_contain_text(url)
    with app_server.session() as s:
        _, key = api_keys.create_api_key(s, _owner(s, prompt_id), name="code")
        s.commit()
    answer = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["version"] == 2
    page.keyboard.press("Escape")

    with app_server.session() as s:
        resolved = versions.resolve(s, _owner(s, prompt_id), prompt_id)
        assert resolved.version == 2
        assert resolved.content == "Hello {{ name }}! Reply in {{ format }}."
        actions = set(
            s.exec(select(AuditLog.action).where(AuditLog.target_id == str(prompt_id))).all()
        )
    assert {
        "prompt.saved",
        "validator.added",
        "version.created",
        "version.published",
        "version.rolled_back",
    } <= actions


def _tab_to(page: Page, element_id: str, limit: int = 25) -> None:
    """Press Tab until the element with this id has the focus (keyboard-only navigation)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def _promote_with_keyboard(page: Page, start: str, trigger_id: str, reason: str) -> None:
    """From the element `start`, Tab to the trigger, open the Promote dialog with Enter, type
    the reason and confirm, without the mouse."""
    page.locator(start).focus()
    _tab_to(page, trigger_id)
    page.keyboard.press("Enter")
    expect(page.locator("#promote-dialog")).to_be_visible()
    _tab_to(page, "promote-reason")
    page.keyboard.type(reason)
    _tab_to(page, "promote-confirm")
    page.keyboard.press("Enter")
    expect(page.locator("#promote-dialog")).to_have_count(0)


def _owner(session, prompt_id):
    from promptrepo.models import Project, Segment
    from promptrepo.services.principal import Principal

    prompt = session.get(Prompt, prompt_id)
    segment = session.get(Segment, prompt.segment_id)
    project = session.get(Project, segment.project_id)
    return Principal(user_id=project.user_id, email="owner@example.com", name="Owner")


def test_syntax_errors_show_their_line_and_the_draft_still_saves(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    prompt_id = _open(page, context, app_server, content="Line one\n")
    editor = page.locator("#prompt-content")
    editor.click()
    editor.press("Control+End")
    editor.press_sequentially("Line two {% if x %}", delay=5)
    expect(page.locator("#syntax-error")).to_contain_text("Line 2")
    _wait_saved(page)
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == "Line one\nLine two {% if x %}"


def _type_into_a_conflict(page: Page, context: BrowserContext, app_server: AppServer) -> uuid.UUID:
    """Open a draft "Original", have someone else save "Changed elsewhere" meanwhile, type
    " and mine" at its end and wait for the conflict; returns the prompt's id."""
    prompt_id = _open(page, context, app_server, content="Original")
    with app_server.session() as s:  # someone else saves the draft meanwhile
        prompt = s.get(Prompt, prompt_id)
        prompt.content = "Changed elsewhere"
        prompt.revision += 1
        s.add(prompt)
        s.commit()
    editor = page.locator("#prompt-content")
    editor.click()
    editor.press("Control+End")
    editor.press_sequentially(" and mine", delay=5)
    expect(page.locator("#conflict-callout")).to_be_visible(timeout=10_000)
    return prompt_id


def _overwrite_with_mine(page: Page, app_server: AppServer, prompt_id) -> None:
    """Choose "Overwrite with mine": the user's text is saved over the other one."""
    page.locator("#conflict-overwrite").click()
    _wait_saved(page)
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == "Original and mine"


def test_conflict_keeps_the_users_text_and_offers_overwrite(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    prompt_id = _type_into_a_conflict(page, context, app_server)
    _expect_editor_text(page, "Original and mine")
    page.locator("#conflict-compare").click()
    expect(page.locator("#conflict-diff")).to_contain_text("Changed elsewhere")
    page.keyboard.press("Escape")
    _overwrite_with_mine(page, app_server, prompt_id)


def test_a_conflict_and_the_users_text_survive_a_reload(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """A reload (a reconnect to another server re-runs the same load) used to replace the
    conflicting text with the stored draft and call it saved."""
    prompt_id = _type_into_a_conflict(page, context, app_server)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" (unsaved text)
    page.reload()
    expect(page.locator("#conflict-callout")).to_be_visible(timeout=30_000)
    _expect_editor_text(page, "Original and mine")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "conflict")
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == "Changed elsewhere"  # nothing overwritten
    _overwrite_with_mine(page, app_server, prompt_id)


def test_text_lost_with_a_dropped_connection_is_sent_again_after_the_reconnect(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """An event sent just as the connection drops (a server stopping) is lost, while the
    editor took its text as sent. Here the page's websocket to Reflex runs through the test
    (Playwright's route_web_socket, to the real server): the event carrying the typed text is
    swallowed and the connection closed. After the page reconnects by itself, the editor
    sends its text again and it is saved."""
    user_id, url, prompt_id = _new_prompt(app_server)
    sign_in(context, app_server, user_id)
    swallowed: list[str] = []

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if not swallowed and isinstance(message, str) and "Hello, world" in message:
                swallowed.append(message)
                ws.close()  # the connection drops before the server reads the event
                return
            server.send(message)

        ws.on_message(to_server)
        server.on_message(ws.send)

    page.route_web_socket(re.compile(r".*/_event/.*"), route)
    page.goto(app_server.url + url)
    editor = page.locator("#prompt-content")
    expect(editor).to_be_visible(timeout=30_000)
    editor.click()
    editor.press_sequentially("Hello, world", delay=5)
    # Playwright's own waits (not sleeps): the routed websocket moves only while they run.
    _wait_saved(page, 20_000)
    assert swallowed and "edit_content" in swallowed[0]
    _expect_editor_text(page, "Hello, world")
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == "Hello, world"


def test_the_playground_is_one_keyboard_step_away_and_links_back(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    _open(page, context, app_server, content="Hello {{ name }}")
    editor_url = page.url
    link = page.locator("#open-playground")
    expect(link).to_have_attribute("href", editor_url.removeprefix(app_server.url) + "/playground")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(editor_url + "/playground", timeout=30_000)
    back = page.locator("#back-to-editor")
    expect(back).to_be_visible(timeout=30_000)
    back.click()
    page.wait_for_url(editor_url, timeout=30_000)
    expect(page.locator("#prompt-content")).to_be_visible(timeout=30_000)


def test_outsider_sees_not_found(page: Page, context: BrowserContext, app_server: AppServer):
    _, url, _ = _new_prompt(app_server, "secret")
    with app_server.session() as s:
        outsider = make_user(s, email=f"out-{uuid.uuid4().hex[:8]}@example.com")
        s.commit()
    sign_in(context, app_server, outsider.user_id)
    page.goto(app_server.url + url)
    expect(page.locator("#editor-not-found")).to_be_visible(timeout=30_000)


def test_variable_types_validator_edit_delete_and_labels(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    prompt_id = _open(
        page,
        context,
        app_server,
        content="Count: {{ count }}{% if vip %} VIP{% endif %} {{ tier }}",
    )

    # The typed table: each type gets its own control (number field, switch, select).
    page.locator("#tab-variables").click()
    page.locator("#var-type-count").click()
    page.get_by_role("option", name="number").click()
    page.locator("#var-default-count").fill("41")
    page.locator("#var-type-vip").click()
    page.get_by_role("option", name="boolean").click()
    page.locator("#var-example-vip").click()  # a switch
    expect(page.locator("#var-example-vip")).to_have_attribute("data-state", "checked")
    page.locator("#var-type-tier").click()
    page.get_by_role("option", name="enum").click()
    expect(page.locator("#var-error-tier")).to_contain_text("at least one option")
    page.locator("#var-options-tier").fill("gold, silver")
    expect(page.locator("#var-error-tier")).to_have_count(0)
    page.locator("#var-example-tier").select_option("silver")
    page.locator("#tab-preview").click()
    expect(page.locator("#preview-text")).to_have_text("Count: 41 VIP silver")
    _wait_saved(page)
    with app_server.session() as s:
        stored = s.get(Prompt, prompt_id).variables
        assert stored["count"]["default"] == 41
        assert stored["vip"]["example"] is True
        assert stored["tier"] == {
            **stored["tier"],
            "options": ["gold", "silver"],
            "example": "silver",
        }

    # Add a custom validator, edit it, then delete it after confirming.
    page.locator("#tab-validators").click()
    page.locator("#add-validator").click()
    page.locator("#vform-type").click()
    page.get_by_role("option", name="custom").click()
    page.locator("#vform-expression").fill("count > 50")
    page.locator("#vform-message").fill("Count must exceed 50")
    page.locator("#vform-save").click()
    card = page.locator(".validator-card")
    expect(card).to_contain_text("Count must exceed 50")
    expect(card).to_contain_text("fail")
    card.get_by_role("button", name="Edit validator").click()
    page.locator("#vform-expression").fill("count > 40")
    page.locator("#vform-save").click()
    expect(card).to_contain_text("pass")
    card.get_by_role("button", name="Delete validator").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".validator-card")).to_have_count(0)

    # A version with a custom label; a bad label name is refused.
    _save_version(page, "v1", 1)
    page.locator("#label-name").fill("Bad Label")
    page.locator("#label-version").click()
    page.get_by_role("option", name="1").click()
    page.locator("#set-label").click()
    expect(page.locator("#history-panel")).to_contain_text("lowercase letters")
    page.locator("#label-name").fill("canary")
    page.locator("#set-label").click()
    expect(page.locator("#promote-dialog")).to_contain_text("Label version 1 as canary")
    page.locator("#promote-confirm").click()
    expect(page.locator("#version-1")).to_contain_text("canary")
    # A labelled version cannot be deleted.
    page.locator("#delete-1").click()
    page.locator("#confirm-delete-1").click()
    expect(page.locator("#version-1")).to_be_visible()
    with app_server.session() as s:
        resolved = versions.resolve(s, _owner(s, prompt_id), prompt_id, label="canary")
        assert resolved.version == 1


def test_a_draft_saved_elsewhere_is_announced_live_and_can_be_reloaded(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    import json

    import pytest
    import redis

    from promptrepo.services import drafts
    from promptrepo.services.changes import project_topic
    from promptrepo.services.events import CHANNEL_PREFIX

    if not app_server.redis_url:
        pytest.skip("live fan-out between processes needs the Redis set-up")
    prompt_id = _open(page, context, app_server, content="Mine")
    _wait_saved(page)
    # Unsaved edits in this tab (the autosave cannot run before the other save lands). The
    # keys may still be the page's alone when the other draft arrives: this tab's state then
    # takes it (it has nothing unsaved), and the editor it replaces sends the keys with the
    # revision they were typed on, which makes them a conflict all the same.
    editor = page.locator("#prompt-content")
    editor.click()
    editor.press("Control+End")
    editor.press_sequentially(" and more", delay=5)
    # Another client (e.g. the API) saves the draft; the app announces it on the project.
    with app_server.session() as s:
        owner = _owner(s, prompt_id)
        prompt = s.get(Prompt, prompt_id)
        drafts.save_draft(s, owner, prompt_id, base_revision=prompt.revision, content="Theirs")
        s.commit()
        project_id = _owner_project(s, prompt_id)
    client = redis.Redis.from_url(app_server.redis_url)
    message = {"topic": project_topic(project_id), "project_id": str(project_id)}
    client.publish(CHANNEL_PREFIX + project_topic(project_id), json.dumps(message))
    client.close()
    # The editor says so and keeps the local text until asked.
    expect(page.locator("#conflict-callout")).to_be_visible(timeout=10_000)
    _expect_editor_text(page, "Mine and more")
    # The focus stays in the editor, the cursor where it was: typing goes on there.
    expect(editor).to_be_focused()
    page.keyboard.type("!")
    _expect_editor_text(page, "Mine and more!")
    expect(page.locator("#conflict-callout")).to_be_visible()
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == "Theirs"  # not overwritten behind the user
    page.locator("#conflict-reload").click()
    page.locator("#confirm-conflict-reload").click()
    _expect_editor_text(page, "Theirs")
    _wait_saved(page)


def test_an_idle_tab_takes_the_other_tabs_edits_without_a_conflict(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """The same prompt in two tabs, edits in one: the idle tab follows them silently."""
    prompt_id = _open(page, context, app_server, content="Hello")
    other = context.new_page()
    other.goto(page.url)
    _expect_editor_text(other, "Hello", timeout=30_000)
    _wait_saved(other)

    editor = page.locator("#prompt-content")
    for round_ in (1, 2):
        editor.click()
        editor.press("Control+End")
        editor.press_sequentially(f" edit {round_}", delay=5)
        _wait_saved(page)
        expected = "Hello edit 1" + (" edit 2" if round_ == 2 else "")
        _expect_editor_text(other, expected, timeout=10_000)
        expect(other.locator("#preview-text")).to_have_text(expected)
        _wait_saved(other)
        expect(other.locator("#conflict-callout")).to_have_count(0)
        expect(page.locator("#conflict-callout")).to_have_count(0)

    # The idle tab can edit on top of the text it took, and that saves without a conflict.
    other_editor = other.locator("#prompt-content")
    other_editor.click()
    other_editor.press("Control+End")
    other_editor.press_sequentially("!", delay=5)
    _wait_stored(app_server, prompt_id, "Hello edit 1 edit 2!")
    _wait_saved(other)
    expect(other.locator("#conflict-callout")).to_have_count(0)
    _expect_editor_text(page, "Hello edit 1 edit 2!", timeout=10_000)
    other.close()


def _owner_project(session, prompt_id):
    from promptrepo.models import Segment

    prompt = session.get(Prompt, prompt_id)
    return session.get(Segment, prompt.segment_id).project_id


def test_text_kept_in_the_browser_is_offered_back_after_a_lost_save(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    prompt_id = _open(page, context, app_server, content="Server text")
    # The tab closed (or the server lost the state) before this text was saved.
    page.evaluate(
        "key => localStorage.setItem(key, JSON.stringify({text: 'Typed but never saved', at: Date.now()}))",
        f"promptrepo:unsaved:{prompt_id}",
    )
    page.reload()
    expect(page.locator("#local-backup")).to_be_visible(timeout=30_000)
    _expect_editor_text(page, "Server text")
    page.locator("#restore-local").click()
    _expect_editor_text(page, "Typed but never saved")
    expect(page.locator("#preview-text")).to_have_text("Typed but never saved")
    _wait_saved(page)
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == "Typed but never saved"
    # Once saved, nothing is offered again.
    page.reload()
    _expect_editor_text(page, "Typed but never saved")
    page.wait_for_timeout(1000)
    expect(page.locator("#local-backup")).to_have_count(0)


def test_the_preview_is_honest_about_invalid_and_unset_values(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    content = "Hi {{ name }}\n{% if vip %}\nVIP line\n{% endif %}\nAt most {{ max_words }} words."
    _open(page, context, app_server, content=content)
    preview = page.locator("#preview-text")
    # Nothing set: text shows as (unset), an unset condition is false, and block-tag lines
    # leave no blank lines (new prompts trim them).
    expect(preview).to_have_js_property("textContent", "Hi (unset)\nAt most (unset) words.")
    expect(page.locator("#preview-note")).to_contain_text("name, vip, max_words")

    # A typed variable with an invalid example (kept from before its type changed): the
    # preview says so instead of showing old text.
    page.locator("#example-max_words").fill("lots")
    expect(preview).to_have_js_property("textContent", "Hi (unset)\nAt most lots words.")
    page.locator("#tab-variables").click()
    page.locator("#var-type-max_words").click()
    page.get_by_role("option", name="number").click()
    page.locator("#tab-preview").click()
    expect(page.locator("#preview-error")).to_contain_text("max_words")
    expect(page.locator("#preview-error")).to_contain_text("expected a number")
    # The example is now a number field (the numeric keyboard), here as in the Variables tab,
    # and it still shows the value that is not a number, so that it can be put right.
    expect(page.locator("#example-max_words")).to_have_attribute("inputmode", "decimal")
    expect(page.locator("#example-max_words")).to_have_value("lots")
    page.locator("#example-max_words").fill("")
    expect(page.locator("#preview-error")).to_have_count(0)
    expect(preview).to_have_js_property("textContent", "Hi (unset)\nAt most 0 words.")
    page.locator("#example-max_words").fill("50")
    expect(preview).to_have_js_property("textContent", "Hi (unset)\nAt most 50 words.")

    # A boolean set to true takes its branch; the lines around it stay tidy.
    page.locator("#tab-variables").click()
    page.locator("#var-type-vip").click()
    page.get_by_role("option", name="boolean").click()
    page.locator("#var-example-vip").click()  # a switch: on
    page.locator("#tab-preview").click()
    expect(preview).to_have_js_property("textContent", "Hi (unset)\nVIP line\nAt most 50 words.")
    # The Preview tab's example is the same switch: off again, the branch goes.
    vip = page.locator("#example-vip")
    expect(vip).to_have_attribute("role", "switch")
    expect(vip).to_have_attribute("data-state", "checked")
    vip.click()
    expect(preview).to_have_js_property("textContent", "Hi (unset)\nAt most 50 words.")


def test_the_code_editor_highlights_completes_and_marks_the_failing_line(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    start = "{% if vip %}Dear{% endif %} {{ customer }},\n"
    prompt_id = _open(page, context, app_server, content=start)
    editor = page.locator("#prompt-content")
    # Line numbers and Jinja highlighting (keywords are tokens of their own).
    expect(page.locator("#template-editor .cm-lineNumbers")).to_contain_text("1")
    expect(editor.locator("span", has_text="endif").first).to_be_visible()
    # The content is named by the label, for screen readers.
    assert editor.get_attribute("aria-labelledby") == "template-label"

    # Completion offers the prompt's variables, and Jinja's filters after a pipe.
    editor.click()
    editor.press("Control+End")
    editor.press_sequentially("{{ cus", delay=5)
    editor.press("Control+Space")
    completions = page.locator(".cm-tooltip-autocomplete")
    expect(completions).to_contain_text("customer")
    # CodeMirror ignores keys for 75 ms after its list opens (interactionDelay): a person
    # does not choose sooner, and the test waits past it too.
    page.wait_for_timeout(150)
    editor.press("Enter")
    editor.press_sequentially(" | upp", delay=5)
    expect(completions).to_contain_text("upper")
    page.wait_for_timeout(150)
    editor.press("Enter")
    editor.press_sequentially(" }}", delay=5)
    _expect_editor_text(page, start + "{{ customer | upper }}")

    # A syntax error marks its line in the editor as well as below it.
    editor.press("Enter")
    editor.press_sequentially("{% if vip %}", delay=5)
    expect(page.locator("#syntax-error")).to_contain_text("Line 3")
    expect(page.locator("#template-editor [data-error-line='3']")).to_have_count(1)

    # Ctrl+S saves at once, from inside the editor.
    editor.press("Backspace")
    editor.press("Backspace")
    editor.press_sequentially("%}{% endif %}", delay=5)
    expect(page.locator("#syntax-error")).to_have_count(0)
    editor.press("Control+s")
    _wait_stored(app_server, prompt_id, start + "{{ customer | upper }}\n{% if vip %}{% endif %}")


def test_every_control_in_the_editor_has_an_accessible_name(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """A screen reader can name every field and button, in every tab and in the Promote dialog."""
    _open(page, context, app_server, content="Hi {{ name }}{% if vip %}!{% endif %} {{ n }}")
    editor_root = page.locator("#prompt-editor")
    page.locator("#tab-variables").click()
    page.locator("#var-type-vip").click()
    page.get_by_role("option", name="boolean").click()
    _save_version(page, "v1", 1)
    for tab in ("preview", "variables", "validators", "model", "history"):
        page.locator(f"#tab-{tab}").click()
        assert editor_root.evaluate(UNNAMED_CONTROLS_JS) == [], tab
    page.locator("#publish-1").click()
    dialog = page.locator("#promote-dialog")
    expect(dialog).to_be_visible()
    assert dialog.evaluate(UNNAMED_CONTROLS_JS) == []


# The contrast ratio (WCAG) of an element's text against the editor's background.
CONTRAST_JS = """([selector, text]) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const editor = document.querySelector("#template-editor .cm-editor");
  const el = [...document.querySelectorAll(selector)].find((e) => e.textContent.trim() === text);
  const [a, b] = [lum(getComputedStyle(editor).backgroundColor), lum(getComputedStyle(el).color)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_the_code_editor_is_readable_in_light_and_dark_mode(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """The editor follows the page's colour mode: its text and Jinja tokens keep a readable
    contrast on its background in both (it was a white editor with light text in dark mode)."""
    page.emulate_media(color_scheme="light")
    _open(page, context, app_server, content="Hello there\n{% if vip %}Dear{% endif %}\n")
    expect(page.locator("#template-editor .cm-line").first).to_have_text("Hello there")
    html = page.locator("html")
    for dark in (False, True):
        expect(html).to_have_class(re.compile(r"\bdark\b") if dark else re.compile(r"\blight\b"))
        plain = page.evaluate(CONTRAST_JS, ["#template-editor .cm-line", "Hello there"])
        keyword = page.evaluate(CONTRAST_JS, ["#template-editor .cm-line span", "endif"])
        assert plain >= 7 and keyword >= 4.5, (dark, plain, keyword)
        if not dark:
            page.locator("#theme-toggle").click()


def test_the_promote_dialog_gives_focus_back_and_submits_with_enter(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """A state-opened dialog returns the focus to the control that opened it (Escape, Cancel),
    or to the same History row once a confirm re-rendered that control; Enter in the reason
    field confirms like a form."""
    from tests.prompt_factories import make_support_bot

    with app_server.session() as s:
        owner = make_user(s, email=f"focus-{uuid.uuid4().hex[:8]}@example.com", name="Fay")
        project, prompt = make_support_bot(s, owner)
    sign_in(context, app_server, owner.user_id)
    page.goto(f"{app_server.url}/projects/{project.id}/prompts/{prompt.id}")
    expect(page.locator("#prompt-content")).to_be_visible(timeout=30_000)
    page.locator("#tab-history").click()
    expect(page.locator("#publish-2")).to_be_visible()

    # Keyboard only: open, Escape → back on the opener.
    page.locator("#view-2").focus()
    _tab_to(page, "publish-2")
    page.keyboard.press("Enter")
    expect(page.locator("#promote-dialog")).to_be_visible()
    expect(page.locator("#promote-reason")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#promote-dialog")).to_have_count(0)
    expect(page.locator("#publish-2")).to_be_focused()

    # Cancel too.
    page.keyboard.press("Enter")
    expect(page.locator("#promote-reason")).to_be_focused()
    _tab_to(page, "promote-cancel")
    page.keyboard.press("Enter")
    expect(page.locator("#promote-dialog")).to_have_count(0)
    expect(page.locator("#publish-2")).to_be_focused()

    # Open, type the reason, Enter: confirmed; the focus stays in version 2's row.
    page.keyboard.press("Enter")
    expect(page.locator("#promote-reason")).to_be_focused()
    page.keyboard.type("friendlier greeting")
    page.keyboard.press("Enter")
    expect(page.locator("#promote-dialog")).to_have_count(0)
    expect(page.locator("#production-version")).to_have_text("v2")
    expect(page.locator("#version-2 :focus")).to_have_count(1)
