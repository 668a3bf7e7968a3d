"""The playground in a real browser, as the issue describes it: add a provider in /settings,
write a chat prompt (system + user message, a `history` placeholder), set the temperature and
a JSON response schema, run it and watch the tokens stream in, stop a run; add three test
cases, "Run all", and see one fail with the reason.

The hosted providers cannot be reached from here: the provider is tests/support/openai_fake.py,
a real Chat Completions server on loopback (SSE streaming), called by the app through the real
`openai` SDK.
"""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import select

from promptrepo.models import PlaygroundRun, ProviderConnection
from promptrepo.services import drafts, projects, prompts, segments, versions
from tests.app_server import AppServer, sign_in
from tests.factories import make_user
from tests.prompt_factories import make_prompt
from tests.support.openai_fake import API_KEY, FakeOpenAI

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def test_chat_prompt_runs_streams_and_is_tested(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    fake = FakeOpenAI().start()
    try:
        _scenario(page, context, app_server, fake)
    finally:
        fake.stop()


def _scenario(page: Page, context: BrowserContext, app_server: AppServer, fake: FakeOpenAI) -> None:
    with app_server.session() as s:
        owner = make_user(s, email=f"pg-{uuid.uuid4().hex[:8]}@example.com", name="Pat")
        project, prompt = make_prompt(s, owner, name="Helpdesk", project_name="Support")
        s.commit()
    sign_in(context, app_server, owner.user_id)

    # A provider connection in /settings; the key is never shown again.
    page.goto(app_server.url + "/settings")
    page.locator("#provider-name").fill("Loopback")
    page.locator("#provider-base-url").fill(fake.base_url)
    page.locator("#provider-api-key").fill(API_KEY)
    page.locator("#provider-default-model").fill("gpt-loop")
    page.locator("#provider-add").click()
    expect(page.locator("#provider-table")).to_contain_text("Loopback")
    expect(page.locator("#provider-table")).to_contain_text("saved")
    assert API_KEY not in page.content()
    with app_server.session() as s:
        stored = s.exec(select(ProviderConnection)).one()
        assert API_KEY not in stored.api_key_encrypted

    # A chat prompt: system + user messages and a history placeholder between them.
    page.goto(app_server.url + f"/projects/{project.id}/prompts/{prompt.id}/playground")
    page.locator("#pg-type").select_option("chat")
    page.locator("#pg-content-0").fill("You are a {{ tone }} helpdesk. Answer in JSON.")
    page.locator("#pg-content-1").fill("{{ question }}")
    page.locator("#pg-placeholder-name").fill("history")
    page.locator("#pg-add-placeholder").click()
    page.locator(".pg-message").nth(2).get_by_label("Move message up").click()
    page.locator("#cfg-temperature").fill("0.4")
    page.locator("#cfg-format").select_option("json_schema")
    page.locator("#cfg-schema_name").fill("reply")
    page.locator("#cfg-schema").fill(json.dumps(SCHEMA))
    page.locator("#pg-save").click()
    expect(page.locator("#pg-saved")).to_contain_text("Saved as draft revision")

    # Run it against the loopback provider; the answer streams in token by token.
    fake.token_delay = 0.25
    page.locator("#pg-provider").select_option("Loopback")
    page.locator("#var-tone").fill("calm")
    page.locator("#var-question").fill("where is my parcel number 42 today")
    page.locator("#ph-history").fill(json.dumps([{"role": "user", "content": "Hello"}]))
    page.locator("#pg-run").click()
    output = page.locator("#run-output")
    expect(output).to_contain_text("where is", timeout=10_000)
    expect(page.locator("#run-status")).to_have_text("running")  # still streaming
    assert "today" not in output.inner_text()
    expect(page.locator("#run-status")).to_have_text("done", timeout=10_000)
    expect(output).to_have_text("where is my parcel number 42 today")
    expect(page.locator("#run-metrics")).to_contain_text("first token")
    sent = fake.requests[-1]
    assert sent["temperature"] == 0.4
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "user"]
    assert sent["messages"][0]["content"] == "You are a calm helpdesk. Answer in JSON."

    # A run can be stopped; what arrived is kept on the run.
    fake.token_delay = 0.5
    page.locator("#var-question").fill("a b c d e f g h i j k l m n o p")
    page.locator("#pg-run").click()
    expect(output).to_contain_text("a b", timeout=10_000)
    page.locator("#pg-stop").click()
    expect(page.locator("#run-status")).to_have_text("stopped", timeout=10_000)
    expect(page.locator(".run-row")).to_have_count(2)
    with app_server.session() as s:
        statuses = sorted(r.status for r in s.exec(select(PlaygroundRun)).all())
    assert statuses == ["done", "stopped"]

    # Three test cases; "Run all" fills the grid and one fails with the reason.
    fake.token_delay = 0.0
    cases = [
        ("parcel", {"tone": "calm", "question": "parcel 42"}, "contains: parcel"),
        ("short", {"tone": "calm", "question": "hi"}, "max_length: 100"),
        ("json", {"tone": "calm", "question": "not json at all"}, "valid_json"),
    ]
    for name, variables, expectation in cases:
        page.locator("#case-name").fill(name)
        page.locator("#case-variables").fill(json.dumps(variables))
        page.locator("#case-expectations").fill(expectation)
        page.locator("#case-add").click()
        expect(page.locator(".case-row").filter(has_text=name)).to_be_visible()
    page.locator("#case-run-all").click()
    expect(page.locator("#results-summary")).to_contain_text("2 of 3 passed", timeout=15_000)
    failed = page.locator(".result-fail")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("json")
    expect(failed).to_contain_text("is not valid JSON")


V1 = "Hello {{ user_name }}, welcome to {{ company }}."
DRAFT = "You are a support agent for {{ company }}.{% if vip %} VIP.{% endif %} {{ language }}"

# True when `el` is not cut off sideways by any ancestor that clips or scrolls its content.
FITS_SIDEWAYS = """el => {
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX === 'visible') continue;
        const b = a.getBoundingClientRect();
        if (r.left < b.left - 1 || r.right > b.right + 1) return false;
    }
    return r.right <= document.documentElement.clientWidth + 1;
}"""


def test_a_version_brings_its_own_prompt_and_variables_and_runs_fit_at_1280(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """The UX audit's playground defects: a saved version keeps the draft's fields; the Runs
    table's actions are cut off at 1280 px; "0 run(s)" and an empty table; a violet error."""
    with app_server.session() as s:
        owner = make_user(s, email=f"pg-{uuid.uuid4().hex[:8]}@example.com", name="Olive")
        project = projects.create_project(s, owner, name="Desk")
        seg = segments.create_segment(s, owner, project.id, name="Main")
        prompt = prompts.create_prompt(s, owner, seg.id, name="greeting", content=V1)
        prompt = drafts.save_draft(
            s,
            owner,
            prompt.id,
            base_revision=prompt.revision,
            variables={"user_name": {"type": "string", "example": "Ada"}},
        )
        versions.create_version(s, owner, prompt.id, commit_message="first")
        prompt = drafts.save_draft(
            s, owner, prompt.id, base_revision=prompt.revision, content=DRAFT
        )
        s.commit()
    sign_in(context, app_server, owner.user_id)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(app_server.url + f"/projects/{project.id}/prompts/{prompt.id}/playground")

    runs = page.locator("#pg-runs")
    expect(runs.locator("#runs-empty")).to_contain_text("No runs yet")
    expect(runs.locator("#runs-table")).to_have_count(0)
    assert "(s)" not in runs.inner_text()
    expect(page.locator("#var-vip")).to_have_count(1)

    # v1: its text in the Prompt card, its variables (with its example) under Run.
    page.locator("#pg-source").select_option("v1")
    expect(page.locator("#pg-source-note")).to_contain_text("version 1")
    expect(page.locator("#pg-prompt")).not_to_contain_text("draft revision")
    expect(page.locator("#pg-text")).to_have_value(V1)
    expect(page.locator("#var-user_name")).to_have_value("Ada")
    expect(page.locator("#var-vip")).to_have_count(0)
    expect(page.locator("#pg-save")).to_be_disabled()

    # An error is red...
    page.locator("#var-user_name").fill("")
    page.locator("#var-company").fill("Acme")
    page.locator("#pg-run").click()
    expect(page.locator("#run-status")).to_have_text("error")
    expect(page.locator("#run-status")).to_have_attribute("data-accent-color", "red")
    expect(page.locator("#run-error")).to_contain_text("user_name")

    # ...a finished run green, and counted in words.
    page.locator("#var-user_name").fill("Grace")
    page.locator("#pg-run").click()
    expect(page.locator("#run-status")).to_have_text("done", timeout=10_000)
    expect(page.locator("#run-status")).to_have_attribute("data-accent-color", "green")
    expect(page.locator("#run-output")).to_contain_text("Hello Grace, welcome to Acme.")
    expect(runs).to_contain_text("1 run of this prompt.")
    page.locator("#pg-run").click()
    expect(runs).to_contain_text("2 runs of this prompt", timeout=10_000)
    expect(page.locator(".run-row")).to_have_count(2)

    # At 1280 px the row's actions and cost are on screen, not behind a sideways scroll.
    row = page.locator(".run-row").first
    expect(row.get_by_role("button", name="Re-run")).to_be_visible()
    for target in (
        row.get_by_role("button", name="Re-run"),
        row.get_by_role("button", name="Pick run for comparison"),
        row.locator(".run-cost"),
    ):
        assert target.evaluate(FITS_SIDEWAYS), target
    row.get_by_role("button", name="Pick run for comparison").click()
    page.locator(".run-row").nth(1).get_by_role("button", name="Pick run for comparison").click()
    expect(page.locator("#compare")).to_contain_text("Hello Grace")

    # Back to the draft: its fields, with what was typed kept for a name it still reads.
    page.locator("#pg-source").select_option("draft")
    expect(page.locator("#pg-text")).to_have_value(DRAFT)
    expect(page.locator("#var-company")).to_have_value("Acme")
    expect(page.locator("#var-user_name")).to_have_count(0)
    expect(page.locator("#pg-source-note")).to_contain_text("draft revision")
