"""Chat prompts in the editor, in a real browser: the Model settings tab (a labelled form; an
invalid JSON Schema is named and its text kept; saved with the draft and in the next
version) and History's message-by-message diff of two chat versions."""

from __future__ import annotations

import json
import time
import uuid

from playwright.sync_api import BrowserContext, Page, expect

from promptrepo.models import Prompt
from promptrepo.services import drafts, versions
from tests.app_server import AppServer, sign_in
from tests.e2e.test_editor import _wait_saved
from tests.factories import make_user
from tests.prompt_factories import make_prompt

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def _open(page: Page, context: BrowserContext, app_server: AppServer, setup=None):
    with app_server.session() as s:
        owner = make_user(s, email=f"chat-{uuid.uuid4().hex[:8]}@example.com", name="Cleo Chat")
        project, prompt = make_prompt(s, owner, content="Hello {{ name }}", name="Chat reply")
        if setup is not None:
            setup(s, owner, prompt)
        s.commit()
    sign_in(context, app_server, owner.user_id)
    page.goto(f"{app_server.url}/projects/{project.id}/prompts/{prompt.id}")
    expect(page.locator("#prompt-content")).to_be_visible(timeout=30_000)
    return prompt.id


def _stored_config(app_server: AppServer, prompt_id: uuid.UUID, wanted: dict) -> dict:
    """Wait (up to 10 s) until the draft's stored config is `wanted`; return what is stored."""
    stored = None
    for _ in range(100):
        with app_server.session() as s:
            stored = s.get(Prompt, prompt_id).config
        if stored == wanted:
            return stored
        time.sleep(0.1)
    raise AssertionError(f"the stored config is {stored!r}, not {wanted!r}")


def test_model_settings_tab_validates_keeps_text_and_saves_into_the_next_version(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    prompt_id = _open(page, context, app_server)
    page.locator("#tab-model").click()
    temperature = page.get_by_label("Temperature")  # the label names the field
    temperature.fill("0.4")
    page.locator("#ms-format").select_option("json_schema")
    schema = page.get_by_label("JSON Schema", exact=True)
    schema.fill(json.dumps(SCHEMA))
    _stored_config(
        app_server,
        prompt_id,
        {
            "temperature": 0.4,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": SCHEMA},
            },
        },
    )

    # A schema that is JSON but not a JSON Schema: named, kept, not saved.
    bad = '{"type": "banana"}'
    schema.fill(bad)
    expect(page.locator("#ms-error")).to_contain_text("not a valid JSON Schema")
    expect(schema).to_have_value(bad)
    expect(schema).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#tab-model")).to_contain_text("invalid")
    # Broken JSON, typed from the keyboard: the same, and every character stays.
    schema.fill("")
    schema.press_sequentially('{"type": "object",', delay=5)
    expect(page.locator("#ms-error")).to_contain_text("not valid JSON")
    expect(schema).to_have_value('{"type": "object",')
    time.sleep(1.5)  # longer than the autosave's pause: the last valid settings stay stored
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).config["response_format"]["json_schema"]["schema"] == SCHEMA

    fixed = {"type": "object", "properties": {"answer": {"type": "string", "maxLength": 80}}}
    schema.fill(json.dumps(fixed))
    expect(page.locator("#ms-error")).to_have_count(0)
    # Temperature out of range, then fixed.
    temperature.fill("3")
    expect(page.locator("#ms-error")).to_contain_text("temperature")
    expect(temperature).to_have_value("3")
    temperature.fill("0.7")
    expect(page.locator("#ms-error")).to_have_count(0)
    _wait_saved(page, 10_000)
    config = {
        "temperature": 0.7,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": fixed},
        },
    }
    _stored_config(app_server, prompt_id, config)

    page.locator("#save-version-button").click()
    page.locator("#commit-message").fill("settings")
    page.locator("#confirm-save-version").click()
    page.locator("#tab-history").click()
    expect(page.locator("#version-1")).to_be_visible()
    with app_server.session() as s:
        version = versions.version_row(s, prompt_id, 1)
        assert version.config == config

    # Opened again, the form shows what was saved.
    page.reload()
    page.locator("#tab-model").click()
    expect(page.get_by_label("Temperature")).to_have_value("0.7", timeout=30_000)
    expect(page.locator("#ms-format")).to_have_value("json_schema")
    assert json.loads(page.get_by_label("JSON Schema", exact=True).input_value()) == fixed


V1 = [
    {"role": "system", "content": "You are a helpful agent."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{ question }}"},
]
V2 = [
    {"role": "system", "content": "You are a patient agent."},
    {"type": "placeholder", "name": "history"},
    {"role": "developer", "content": "{{ question }}"},
    {"role": "assistant", "content": "Sure."},
]


def _two_chat_versions(s, owner, prompt) -> None:
    for messages, temperature in ((V1, 0.2), (V2, 0.7)):
        prompt = drafts.save_draft(
            s,
            owner,
            prompt.id,
            base_revision=prompt.revision,
            type="chat",
            messages=messages,
            config={"temperature": temperature},
        )
        versions.create_version(s, owner, prompt.id, commit_message="v")


def test_history_diff_of_a_chat_prompt_is_message_by_message(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    _open(page, context, app_server, setup=_two_chat_versions)
    page.locator("#tab-history").click()
    page.locator("#show-diff").click()
    expect(page.locator("#diff-view-title")).to_have_text(
        "Version 1 → 2: 2 messages changed, 1 message added"
    )
    diff = page.locator("#diff-view")
    headings = diff.locator("tr[data-kind=message]")
    expect(headings).to_have_count(4)
    expect(headings.nth(0)).to_have_attribute("data-change", "changed")
    expect(headings.nth(1)).to_have_attribute("data-change", "unchanged")
    expect(headings.nth(1)).to_contain_text("placeholder {{ history }}")
    expect(headings.nth(2)).to_contain_text("#3 user")
    expect(headings.nth(2)).to_contain_text("#3 developer")
    expect(headings.nth(2)).to_have_attribute("data-change", "role user → developer")
    expect(headings.nth(3)).to_have_attribute("data-change", "added")
    expect(diff.locator(".word-old-changed")).to_have_text("helpful")
    expect(diff.locator(".word-new-changed")).to_have_text("patient")
    expect(diff.locator("[data-kind=added] .side-new")).to_contain_text("Sure.")
    expect(page.locator(".diff-extra")).to_contain_text(["temperature: 0.2 → 0.7"])
