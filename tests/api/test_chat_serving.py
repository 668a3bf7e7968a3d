"""Chat prompts over HTTP: created with messages and model settings, served by `resolve` with
`type`, `messages` and `config`, rendered by `render` with placeholders from the request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Caller
from tests.api.test_serving import _publish, _version

MESSAGES = [
    {"role": "system", "content": "You are {{ persona }}."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{ question }}"},
]
VARS = {
    "persona": {"type": "string", "example": "a librarian"},
    "question": {"type": "string", "example": "Maps?"},
}
CONFIG = {
    "model": "gpt-4o-mini",
    "temperature": 0.2,
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": {"type": "object"}},
    },
}


def _chat_prompt(api: TestClient, owner: Caller) -> str:
    project = api.post("/api/v1/projects", json={"name": "Chat"}, headers=owner.headers).json()
    segment = api.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "S"}, headers=owner.headers
    ).json()
    created = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={
            "name": "Helper",
            "type": "chat",
            "messages": MESSAGES,
            "variables": VARS,
            "config": CONFIG,
        },
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["type"] == "chat" and body["messages"] == MESSAGES
    return body["id"]


def test_resolve_and_render_serve_messages_and_config(api: TestClient, owner: Caller) -> None:
    pid = _chat_prompt(api, owner)
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    resolved = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["type"], body["messages"], body["config"]) == ("chat", MESSAGES, CONFIG)
    rendered = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={
            "variables": {"persona": "a guide", "question": "Where?"},
            "placeholders": {"history": [{"role": "user", "content": "Hi"}]},
        },
        headers=owner.read_headers,
    )
    assert rendered.status_code == 200, rendered.text
    out = rendered.json()
    assert out["type"] == "chat" and out["config"] == CONFIG
    assert out["messages"] == [
        {"role": "system", "content": "You are a guide."},
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": "Where?"},
    ]


def test_render_names_a_bad_placeholder(api: TestClient, owner: Caller) -> None:
    pid = _chat_prompt(api, owner)
    _publish(api, owner, pid, _version(api, owner, pid))
    bad = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {"persona": "a", "question": "b"}, "placeholders": {"chat": []}},
        headers=owner.read_headers,
    )
    assert bad.status_code == 422
    assert "no placeholder 'chat'" in bad.json()["detail"]


def test_invalid_settings_are_422_naming_the_field(api: TestClient, owner: Caller) -> None:
    pid = _chat_prompt(api, owner)
    current = api.get(f"/api/v1/prompts/{pid}", headers=owner.headers).json()
    response = api.patch(
        f"/api/v1/prompts/{pid}",
        json={"base_revision": current["revision"], "config": {"temperature": 5}},
        headers=owner.headers,
    )
    assert response.status_code == 422
    assert "temperature" in response.json()["detail"]


def test_test_cases_and_run_all_over_http(api: TestClient, owner: Caller, outsider: Caller) -> None:
    pid = _chat_prompt(api, owner)
    for name, expectation in [
        ("mentions", {"type": "contains", "value": "Where?"}),
        ("json", {"type": "valid_json"}),
    ]:
        created = api.post(
            f"/api/v1/prompts/{pid}/test-cases",
            json={
                "name": name,
                "variables": {"persona": "a guide", "question": "Where?"},
                "expectations": [expectation],
            },
            headers=owner.headers,
        )
        assert created.status_code == 201, created.text
    bad = api.post(
        f"/api/v1/prompts/{pid}/test-cases",
        json={"name": "bad", "expectations": [{"type": "regex", "value": "("}]},
        headers=owner.headers,
    )
    assert bad.status_code == 422 and "regular expression" in bad.json()["detail"]
    run = api.post(f"/api/v1/prompts/{pid}/test-runs", json={}, headers=owner.headers)
    assert run.status_code == 201, run.text
    grid = run.json()
    assert (grid["total"], grid["passed"], grid["provider"]) == (2, 1, "echo")
    failed = [r for r in grid["results"] if not r["passed"]]
    assert failed[0]["name"] == "json" and "not valid JSON" in failed[0]["checks"][0]["message"]
    listed = api.get(f"/api/v1/prompts/{pid}/test-runs", headers=owner.headers).json()
    assert listed[0]["id"] == grid["id"]
    # someone else's private prompt: not found
    assert api.get(f"/api/v1/prompts/{pid}/test-cases", headers=outsider.headers).status_code == 404
