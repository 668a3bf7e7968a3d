"""API keys in /settings, in a real browser: create one, use it from a program, revoke it."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Browser, expect

from promptrepo.services.sessions import create_session
from tests.app_server import sign_in
from tests.factories import make_user


def _published_prompt(api: httpx.Client, token: str) -> str:
    """A published prompt, made over the API with the user's session token."""
    h = {"Authorization": f"Bearer {token}"}
    project = api.post("/projects", json={"name": "Keys"}, headers=h).json()
    segment = api.post(f"/projects/{project['id']}/segments", json={"name": "S"}, headers=h).json()
    prompt = api.post(
        f"/segments/{segment['id']}/prompts", json={"name": "P", "content": "Hello"}, headers=h
    ).json()
    api.post(f"/prompts/{prompt['id']}/versions", json={"commit_message": "1"}, headers=h)
    published = api.put(
        f"/prompts/{prompt['id']}/labels/production", json={"version": 1}, headers=h
    )
    assert published.status_code == 200, published.text
    return prompt["id"]


def test_create_use_and_revoke_an_api_key_from_settings(browser: Browser, app_server) -> None:
    with app_server.session() as session:
        user = make_user(session, email=f"keys-{uuid.uuid4().hex[:8]}@example.com", name="Kay")
        token = create_session(session, user.user_id)
        session.commit()
    api = httpx.Client(base_url=app_server.url + "/api/v1", timeout=10)
    prompt_id = _published_prompt(api, token)

    context = browser.new_context()
    sign_in(context, app_server, user.user_id)
    page = context.new_page()
    page.goto(app_server.url + "/settings")
    expect(page.locator("#no-api-keys")).to_be_visible()
    expect(page.locator("#create-api-key")).to_be_enabled()

    page.locator("#api-key-name").fill("ci worker")
    page.locator("#api-key-name").press("Enter")  # the keyboard is enough
    secret_box = page.locator("#new-api-key")
    expect(secret_box).to_contain_text("pr_")
    secret = secret_box.inner_text().strip()
    expect(page.locator("#new-api-key-callout")).to_contain_text("ci worker")
    rows = page.locator(".api-key-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("read only")
    expect(rows.first).to_contain_text(secret[:10])
    expect(rows.first).to_contain_text("never")
    expect(rows.first).not_to_contain_text(secret)  # the table never shows the secret

    # a program uses it
    resolve = f"/prompts/{prompt_id}/resolve"
    key = {"Authorization": f"Bearer {secret}"}
    answer = api.get(resolve, headers=key)
    assert answer.status_code == 200 and answer.json()["content"] == "Hello"
    assert api.patch(f"/prompts/{prompt_id}", json={}, headers=key).status_code == 403  # read only

    # the secret is gone once dismissed or on the next visit; the last use shows
    page.locator("#dismiss-api-key").click()
    expect(secret_box).to_have_count(0)
    page.reload()
    expect(page.locator("#new-api-key")).to_have_count(0)
    expect(rows.first).not_to_contain_text("never")

    # revoke, with a confirmation first
    rows.first.get_by_role("button", name="Revoke ci worker").click()
    page.get_by_role("button", name="Cancel").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button", name="Revoke ci worker").click()
    page.locator("#confirm-delete").click()
    expect(page.get_by_text("programs using it are refused")).to_be_visible()
    expect(page.locator("#no-api-keys")).to_be_visible()
    assert api.get(resolve, headers=key).status_code == 401
    context.close()
    api.close()
