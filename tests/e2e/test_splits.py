"""Traffic splits in a real browser: split production over a second version from the History
tab with the keyboard (a bad share is refused before the click), see programs get both
versions and the served counts, then end the split with one promote."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from promptrepo.services import api_keys, drafts, releases, splits, versions
from tests.app_server import AppServer, sign_in
from tests.e2e.test_editor import UNNAMED_CONTROLS_JS, _tab_to
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def _prompt_with_two_versions(app_server: AppServer):
    with app_server.session() as s:
        owner = make_user(
            s, email=f"split-{uuid.uuid4().hex[:8]}@example.com", name="Sam Split", plan="pro"
        )
        project, prompt = make_prompt(s, owner, name="Greeting", project_name="Split bot")
        for n in (1, 2):
            prompt = drafts.save_draft(
                s, owner, prompt.id, base_revision=prompt.revision, content=f"Hello from v{n}"
            )
            versions.create_version(s, owner, prompt.id, commit_message=f"v{n}")
        releases.promote(s, owner, prompt.id, "production", 1)
        _, secret = api_keys.create_api_key(s, owner, name="program", scope="read")
        s.commit()
        return owner, f"/projects/{project.id}/prompts/{prompt.id}", prompt.id, secret


def test_split_traffic_then_end_the_split(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    owner, url, prompt_id, secret = _prompt_with_two_versions(app_server)
    sign_in(context, app_server, owner.user_id)
    page.goto(app_server.url + url)
    expect(page.locator("#prompt-content")).to_be_visible(timeout=30_000)
    page.locator("#tab-history").click()
    expect(page.locator("#environments")).to_contain_text("production → v1")

    # keyboard only: Tab to "Split traffic", open it, pick the share
    page.locator("#tab-history").focus()
    _tab_to(page, "split-production", limit=40)
    page.keyboard.press("Enter")
    dialog = page.locator("#split-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#split-summary")).to_contain_text("production points at v1 today")
    expect(page.locator("#split-diff")).to_contain_text("Hello from v2")
    assert dialog.evaluate(UNNAMED_CONTROLS_JS) == []
    _tab_to(page, "split-weight")
    page.keyboard.press("Control+a")
    page.keyboard.type("0")
    expect(page.locator("#split-weight-help")).to_contain_text("from 1 to 99")
    expect(page.locator("#split-confirm")).to_be_disabled()
    page.keyboard.press("Control+a")
    page.keyboard.type("25")
    expect(page.locator("#split-first-weight")).to_have_value("75")
    expect(page.locator("#split-weight-help")).to_contain_text("v2 25%")
    _tab_to(page, "split-reason")
    page.keyboard.type("try v2 on a quarter")
    _tab_to(page, "split-confirm")
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(page.locator("#environments")).to_contain_text("production → v1 75% / v2 25%")
    with app_server.session() as s:
        assert splits.splits_of_prompt(s, owner, prompt_id) == {
            "production": [splits.Arm(1, 75), splits.Arm(2, 25)]
        }

    # programs get both versions, each key always the same one; the page counts them
    seen: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=app_server.url, headers=headers, timeout=10) as http:
        for i in range(40):
            for _ in range(2):
                response = http.get(
                    f"/api/v1/prompts/{prompt_id}/resolve", params={"key": f"user-{i}"}
                )
                assert response.status_code == 200, response.text
                version = response.headers["x-prompt-version"]
                assert seen.setdefault(f"user-{i}", version) == version
    assert set(seen.values()) == {"1", "2"}
    served = page.locator("#served-pane")
    for _ in range(20):  # other workers flush their counts every few seconds
        page.locator("#served-refresh").click()
        if "80" in (served.locator("table").all_inner_texts() or [""])[0]:
            break
        page.wait_for_timeout(1000)
    expect(served.locator("table")).to_contain_text("80")
    expect(served).to_contain_text("v2")

    # one promote ends it
    page.locator("#end-split-production").click()
    promote = page.locator("#promote-dialog")
    expect(promote).to_contain_text("End the split of production: serve version 1")
    expect(page.locator("#promote-summary")).to_contain_text("production serves v1 75% / v2 25%")
    page.locator("#promote-reason").fill("v2 was not better")
    page.locator("#promote-confirm").click()
    expect(promote).to_have_count(0)
    expect(page.locator("#environments")).to_contain_text("production → v1")
    expect(page.locator("#split-production")).to_be_visible()
    with app_server.session() as s:
        assert splits.splits_of_prompt(s, owner, prompt_id) == {}
        reasons = [e.reason for e in releases.label_history(s, owner, prompt_id, "production")]
    assert reasons[:2] == [
        "end split v1 75% / v2 25%: v2 was not better",
        "split v1 75% / v2 25%: try v2 on a quarter",
    ]
