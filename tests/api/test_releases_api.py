"""Publishing over HTTP without example values, and the label's history (issue 15, item 1)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Caller


def _prompt(api: TestClient, owner: Caller, content: str) -> str:
    project = api.post("/api/v1/projects", json={"name": "Bot"}, headers=owner.headers).json()
    segment = api.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "S"}, headers=owner.headers
    ).json()
    created = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "Greeting", "content": content},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _version(api: TestClient, owner: Caller, prompt_id: str) -> int:
    response = api.post(
        f"/api/v1/prompts/{prompt_id}/versions", json={"commit_message": "v"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["version"]["version"]


def test_a_first_prompt_publishes_without_examples_and_says_placeholders_were_used(
    api: TestClient, owner: Caller
) -> None:
    pid = _prompt(api, owner, "Hello {{ customer }}")
    number = _version(api, owner, pid)
    published = api.put(
        f"/api/v1/prompts/{pid}/labels/production",
        json={"version": number, "reason": "first release"},
        headers=owner.headers,
    )
    assert published.status_code == 200, published.text
    assert published.json()["placeholders"] == ["customer"]
    rendered = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {"customer": "Ada"}},
        headers=owner.read_headers,
    )
    assert rendered.status_code == 200 and rendered.json()["text"] == "Hello Ada"


def test_label_history_lists_moves_with_reasons_newest_first(
    api: TestClient, owner: Caller, outsider: Caller
) -> None:
    pid = _prompt(api, owner, "Hi {{ who }}")
    first, second = _version(api, owner, pid), _version(api, owner, pid)
    for number, reason in ((first, "go live"), (second, "v2"), (first, "v2 regressed")):
        moved = api.put(
            f"/api/v1/prompts/{pid}/labels/production",
            json={"version": number, "reason": reason},
            headers=owner.headers,
        )
        assert moved.status_code == 200, moved.text
    assert (
        api.delete(f"/api/v1/prompts/{pid}/labels/production", headers=owner.headers).status_code
        == 204
    )
    history = api.get(
        f"/api/v1/prompts/{pid}/labels/production/history", headers=owner.read_headers
    )
    assert history.status_code == 200, history.text
    assert [(e["from_version"], e["to_version"], e["reason"]) for e in history.json()] == [
        (1, None, ""),
        (2, 1, "v2 regressed"),
        (1, 2, "v2"),
        (None, 1, "go live"),
    ]
    too_long = api.put(
        f"/api/v1/prompts/{pid}/labels/production",
        json={"version": first, "reason": "x" * 501},
        headers=owner.headers,
    )
    assert too_long.status_code == 422
    hidden = api.get(f"/api/v1/prompts/{pid}/labels/production/history", headers=outsider.headers)
    assert hidden.status_code == 404
