"""The editor's preview with hostile templates, in a real browser against the built app: the
refusal (naming the limit) shows inline in the preview, the text stays as typed and is saved,
and the page keeps answering while a render burns its time budget in a worker process."""

from __future__ import annotations

import time
import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from promptrepo.models import Prompt
from tests.app_server import AppServer, sign_in
from tests.e2e.test_editor import _wait_saved
from tests.factories import make_user
from tests.prompt_factories import make_prompt

SLOW_LOOP = "{% for i in range(99000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}"


def test_hostile_preview_shows_the_limit_inline_and_keeps_the_text(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    with app_server.session() as s:
        owner = make_user(s, email=f"hostile-{uuid.uuid4().hex[:8]}@example.com", name="Hal")
        project, prompt = make_prompt(s, owner, content="Hello", project_name="Hostile")
        s.commit()
        user_id, prompt_id = owner.user_id, prompt.id
    sign_in(context, app_server, user_id)
    page.goto(app_server.url + f"/projects/{project.id}/prompts/{prompt_id}")
    editor = page.locator("#prompt-content")
    expect(editor).to_be_visible(timeout=30_000)
    page.locator("#tab-preview").click()
    expect(page.locator("#preview-text")).to_have_text("Hello")

    huge = "Hi {{ 'x'.ljust(1000000000)|length }}"
    editor.fill(huge)
    expect(page.locator("#preview-error")).to_contain_text("output limit", timeout=10_000)
    expect(editor).to_contain_text(huge)  # the code editor keeps the text

    _wait_saved(page, 15_000)
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == huge

    # A legal but slow template: the preview renders in a worker process under the time
    # budget (1 s), so the server keeps answering meanwhile and the refusal names the limit.
    editor.fill(SLOW_LOOP)
    slowest = 0.0
    for _ in range(10):
        started = time.monotonic()
        assert httpx.get(app_server.url + "/api/health", timeout=5).status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.1)
    expect(page.locator("#preview-error")).to_contain_text("took longer than", timeout=10_000)
    assert slowest < 0.5, f"a health probe waited {slowest:.2f} s during the slow render"
    _wait_saved(page, 15_000)
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).content == SLOW_LOOP

    # A normal text renders again at once: the killed worker was replaced.
    editor.fill("Back to {{ 'normal' }}")
    expect(page.locator("#preview-text")).to_have_text("Back to normal", timeout=15_000)
    expect(page.locator("#preview-error")).to_have_count(0)
