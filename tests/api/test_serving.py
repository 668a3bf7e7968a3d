"""Versions, labels, diffs, validators, draft edits, and serving (resolve/render) over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Caller

VARS = {
    "name": {"type": "string", "example": "Ada"},
    "count": {"type": "number", "required": False, "default": 3},
}


@pytest.fixture
def prompt(api: TestClient, owner: Caller) -> dict:
    project = api.post("/api/v1/projects", json={"name": "Bot"}, headers=owner.headers).json()
    segment = api.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "S"}, headers=owner.headers
    ).json()
    created = api.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "Greeting", "content": "Hello {{ name }} x{{ count }}", "variables": VARS},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    return {**created.json(), "project_id": project["id"]}


def _edit(api: TestClient, owner: Caller, prompt_id: str, content: str) -> dict:
    current = api.get(f"/api/v1/prompts/{prompt_id}", headers=owner.headers).json()
    response = api.patch(
        f"/api/v1/prompts/{prompt_id}",
        json={"base_revision": current["revision"], "content": content},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _version(api: TestClient, owner: Caller, prompt_id: str, message: str = "v") -> int:
    response = api.post(
        f"/api/v1/prompts/{prompt_id}/versions",
        json={"commit_message": message},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["version"]["version"]


def _publish(api: TestClient, owner: Caller, prompt_id: str, number: int):
    return api.put(
        f"/api/v1/prompts/{prompt_id}/labels/production",
        json={"version": number},
        headers=owner.headers,
    )


def test_stale_revision_is_409_with_the_current_draft(
    api: TestClient, owner: Caller, prompt: dict
) -> None:
    first = _edit(api, owner, prompt["id"], "Hi {{ name }}")
    assert first["revision"] == prompt["revision"] + 1
    stale = api.patch(
        f"/api/v1/prompts/{prompt['id']}",
        json={"base_revision": prompt["revision"], "content": "lost?"},
        headers=owner.headers,
    )
    assert stale.status_code == 409, stale.text
    assert "current" in stale.json(), stale.text
    assert stale.json()["current"]["content"] == "Hi {{ name }}"
    missing = api.patch(
        f"/api/v1/prompts/{prompt['id']}", json={"content": "x"}, headers=owner.headers
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == [
        "body",
        "base_revision",
    ]


def test_versions_labels_and_diff(api: TestClient, owner: Caller, prompt: dict) -> None:
    pid = prompt["id"]
    v1 = _version(api, owner, pid, "first")
    _edit(api, owner, pid, "Hello {{ name }}!\nBye x{{ count }}")
    v2 = _version(api, owner, pid, "second")
    assert (v1, v2) == (1, 2)
    listed = api.get(f"/api/v1/prompts/{pid}/versions?limit=1", headers=owner.read_headers).json()
    assert [v["version"] for v in listed["items"]] == [2] and listed["total"] == 2
    assert listed["next_cursor"]
    got = api.get(f"/api/v1/prompts/{pid}/versions/1", headers=owner.read_headers).json()
    assert got["content"] == "Hello {{ name }} x{{ count }}" and got["commit_message"] == "first"
    assert api.get(f"/api/v1/prompts/{pid}/versions/9", headers=owner.headers).status_code == 404
    assert api.get(f"/api/v1/prompts/{pid}/versions/0", headers=owner.headers).status_code == 422
    diff = api.get(f"/api/v1/prompts/{pid}/diff?from=1&to=2", headers=owner.headers)
    assert diff.status_code == 200 and diff.json()["content"]["added"] >= 1
    assert (
        api.get(f"/api/v1/prompts/{pid}/diff?from=1&to=7", headers=owner.headers).status_code == 404
    )
    staged = api.put(
        f"/api/v1/prompts/{pid}/labels/staging", json={"version": 1}, headers=owner.headers
    )
    assert staged.status_code == 200 and staged.json()["version"] == 1
    bad = api.put(
        f"/api/v1/prompts/{pid}/labels/Bad Label", json={"version": 1}, headers=owner.headers
    )
    assert bad.status_code == 422
    labels = api.get(f"/api/v1/prompts/{pid}/labels", headers=owner.headers).json()
    assert [label["name"] for label in labels] == ["staging"]
    assert (
        api.put(
            f"/api/v1/prompts/{pid}/labels/production",
            json={"version": 1},
            headers=owner.read_headers,
        ).status_code
        == 403
    )


def test_publishing_is_refused_with_the_failing_validators(
    api: TestClient, owner: Caller, prompt: dict
) -> None:
    pid = prompt["id"]
    added = api.post(
        f"/api/v1/prompts/{pid}/validators",
        json={"type": "contains", "config": {"text": "Please"}},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    bad = api.post(
        f"/api/v1/prompts/{pid}/validators",
        json={"type": "length", "config": {}},
        headers=owner.headers,
    )
    assert bad.status_code == 422
    v1 = _version(api, owner, pid)
    refused = _publish(api, owner, pid, v1)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "contains"
    assert api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.headers).status_code == 404
    listed = api.get(f"/api/v1/prompts/{pid}/validators", headers=owner.headers).json()["items"]
    assert [v["type"] for v in listed] == ["contains"]
    assert (
        api.delete(f"/api/v1/validators/{listed[0]['id']}", headers=owner.read_headers).status_code
        == 403
    )
    assert (
        api.delete(f"/api/v1/validators/{listed[0]['id']}", headers=owner.headers).status_code
        == 204
    )
    v2 = _version(api, owner, pid)
    assert _publish(api, owner, pid, v2).status_code == 200


def test_resolve_etag_304_and_fresh_after_publish(
    api: TestClient, owner: Caller, prompt: dict
) -> None:
    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    first = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["version"] == 1 and body["labels"] == ["production"] and body["name"] == "Greeting"
    assert body["content"] == "Hello {{ name }} x{{ count }}" and "name" in body["variables"]
    etag = first.headers["ETag"]
    assert first.headers["RateLimit-Limit"] == "60"
    cached = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    assert cached.content == first.content and cached.headers["ETag"] == etag
    not_modified = api.get(
        f"/api/v1/prompts/{pid}/resolve", headers={**owner.read_headers, "If-None-Match": etag}
    )
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    # publish version 2: the very next request sees it, with a new ETag
    _edit(api, owner, pid, "Welcome {{ name }}")
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    fresh = api.get(
        f"/api/v1/prompts/{pid}/resolve", headers={**owner.read_headers, "If-None-Match": etag}
    )
    assert fresh.status_code == 200 and fresh.json()["version"] == 2
    assert fresh.json()["content"] == "Welcome {{ name }}" and fresh.headers["ETag"] != etag
    # a label move (rollback) too
    assert _publish(api, owner, pid, 1).status_code == 200
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers).json()["version"] == 1
    )
    by_number = api.get(
        f"/api/v1/prompts/{pid}/resolve?version=2", headers=owner.read_headers
    ).json()
    assert by_number["version"] == 2 and by_number["labels"] == []
    # rename is a change too
    revision = api.get(f"/api/v1/prompts/{pid}", headers=owner.headers).json()["revision"]
    renamed = api.patch(
        f"/api/v1/prompts/{pid}",
        json={"base_revision": revision, "name": "Hello"},
        headers=owner.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers).json()["name"]
        == "Hello"
    )


def test_resolve_unknown_label_or_version_is_404_never_a_fallback(
    api: TestClient, owner: Caller, prompt: dict
) -> None:
    pid = prompt["id"]
    assert api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.headers).status_code == 404
    _version(api, owner, pid)
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve?label=staging", headers=owner.headers).status_code
        == 404
    )
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve?version=5", headers=owner.headers).status_code
        == 404
    )
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve?version=1", headers=owner.headers).status_code
        == 200
    )
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve?label=NO!", headers=owner.headers).status_code
        == 422
    )
    both = api.get(f"/api/v1/prompts/{pid}/resolve?label=staging&version=1", headers=owner.headers)
    assert both.status_code == 422
    assert api.get(f"/api/v1/prompts/{pid}/resolve").status_code == 401
    assert (
        api.get(
            f"/api/v1/prompts/{pid}/resolve", headers={"Authorization": "Bearer pr_x"}
        ).status_code
        == 401
    )


def test_render_names_missing_and_mistyped_variables(
    api: TestClient, owner: Caller, prompt: dict
) -> None:
    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    ok = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {"name": "Bo"}},
        headers=owner.read_headers,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "type": "text",
        "text": "Hello Bo x3",
        "version": 1,
        "config": {},
        "validators": [],
    }
    again = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {"name": "Cy", "count": 5}},
        headers=owner.read_headers,
    )
    assert again.json()["text"] == "Hello Cy x5"
    missing = api.post(
        f"/api/v1/prompts/{pid}/render", json={"variables": {}}, headers=owner.headers
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "variables", "name"]
    assert "name" in missing.json()["detail"]
    mistyped = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {"name": "A", "count": "many"}},
        headers=owner.headers,
    )
    assert mistyped.status_code == 422 and "count" in str(mistyped.json()["errors"])
    assert (
        api.post(
            f"/api/v1/prompts/{pid}/render",
            json={"variables": {"name": "A"}, "label": "staging"},
            headers=owner.headers,
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/prompts/{pid}/render", json={"variables": "x"}, headers=owner.headers
        ).status_code
        == 422
    )


def test_render_runs_the_versions_validators(api: TestClient, owner: Caller, prompt: dict) -> None:
    pid = prompt["id"]
    api.post(
        f"/api/v1/prompts/{pid}/validators",
        json={"type": "length", "config": {"max": 12}},
        headers=owner.headers,
    )
    v1 = _version(api, owner, pid)
    assert _publish(api, owner, pid, v1).status_code == 200  # "Hello Ada x3" is 12 characters
    long = api.post(
        f"/api/v1/prompts/{pid}/render",
        json={"variables": {"name": "Bartholomew"}},
        headers=owner.headers,
    )
    assert long.status_code == 200
    assert (
        long.json()["validators"][0]["type"] == "length"
        and long.json()["validators"][0]["passed"] is False
    )


def test_project_render_in_order(api: TestClient, owner: Caller, prompt: dict) -> None:
    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    segment = api.get(f"/api/v1/prompts/{pid}", headers=owner.headers).json()["segment_id"]
    unpublished = api.post(
        f"/api/v1/segments/{segment}/prompts",
        json={"name": "Draft only", "content": "x"},
        headers=owner.headers,
    ).json()
    rendered = api.post(
        f"/api/v1/projects/{prompt['project_id']}/render",
        json={"variables": {"name": "Di"}},
        headers=owner.read_headers,
    )
    assert rendered.status_code == 200, rendered.text
    body = rendered.json()
    assert body["text"] == "Hello Di x3"
    assert [(p["segment"], p["prompt"], p["version"]) for p in body["parts"]] == [
        ("S", "Greeting", 1)
    ]
    assert [s["prompt_id"] for s in body["skipped"]] == [unpublished["id"]]
    missing = api.post(
        f"/api/v1/projects/{prompt['project_id']}/render", json={}, headers=owner.headers
    )
    assert missing.status_code == 422 and "name" in missing.json()["detail"]


def test_outsider_cannot_resolve_render_or_list_private_prompt(
    api: TestClient, owner: Caller, outsider: Caller, prompt: dict
) -> None:
    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers).status_code == 200
    )  # cached now
    for headers in (outsider.headers, outsider.read_headers):
        responses = [
            api.get(f"/api/v1/prompts/{pid}/resolve", headers=headers),
            api.post(
                f"/api/v1/prompts/{pid}/render", json={"variables": {"name": "x"}}, headers=headers
            ),
            api.get(f"/api/v1/prompts/{pid}/versions", headers=headers),
            api.get(f"/api/v1/prompts/{pid}/versions/1", headers=headers),
            api.get(f"/api/v1/prompts/{pid}/labels", headers=headers),
            api.get(f"/api/v1/prompts/{pid}/diff?from=1&to=1", headers=headers),
            api.get(f"/api/v1/prompts/{pid}/validators", headers=headers),
            api.post(f"/api/v1/projects/{prompt['project_id']}/render", json={}, headers=headers),
        ]
        assert [r.status_code for r in responses] == [404] * len(responses)
        assert "Hello" not in "".join(r.text for r in responses)
    writes = [
        api.post(f"/api/v1/prompts/{pid}/versions", json={}, headers=outsider.headers),
        _publish(api, outsider, pid, 1),
        api.post(
            f"/api/v1/prompts/{pid}/validators",
            json={"type": "length", "config": {"max": 3}},
            headers=outsider.headers,
        ),
        api.patch(
            f"/api/v1/prompts/{pid}",
            json={"base_revision": 1, "content": "pwned"},
            headers=outsider.headers,
        ),
    ]
    assert [r.status_code for r in writes] == [404] * len(writes)
    # once public, anyone signed in can resolve it (and the cached entry does not get in the way)
    api.patch(
        f"/api/v1/projects/{prompt['project_id']}", json={"is_public": True}, headers=owner.headers
    )
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve", headers=outsider.read_headers).status_code == 200
    )
    api.patch(
        f"/api/v1/projects/{prompt['project_id']}", json={"is_public": False}, headers=owner.headers
    )
    assert (
        api.get(f"/api/v1/prompts/{pid}/resolve", headers=outsider.read_headers).status_code == 404
    )


def test_an_answer_read_while_a_publish_commits_is_not_cached(
    api: TestClient, owner: Caller, prompt: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptrepo.services import cache, serving

    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    real_served = serving.served_entry  # runs after the database read, on either path

    def read_racing_a_publish(*args, **kwargs):
        result = real_served(*args, **kwargs)
        cache.invalidate_project(prompt["project_id"])  # a publish commits meanwhile
        return result

    monkeypatch.setattr(serving, "served_entry", read_racing_a_publish)
    assert api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.headers).status_code == 200
    monkeypatch.setattr(serving, "served_entry", real_served)
    assert cache.get(f"served:{pid}:l:production") is None  # not put back: it may be stale
    assert api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.headers).status_code == 200
    assert cache.get(f"served:{pid}:l:production") is not None


def test_serving_read_agrees_with_the_versions_service(
    api: TestClient, owner: Caller, outsider: Caller, prompt: dict, use_engine
) -> None:
    """The one-query serving read (api/serving.read_published) answers like versions.resolve,
    and on PostgreSQL so does its event-loop twin (read_published_async)."""
    import uuid as uuid_module

    from sqlmodel import Session

    from promptrepo.services import serving, serving_db, versions
    from tests.support.run_async import run_async

    def read_async(principal, label, number):
        async def read():
            try:
                return await serving.read_published_async(
                    use_engine, principal, serving.Wanted(pid, label, number)
                )
            finally:
                await serving_db.close_for_this_loop()

        return run_async(read())

    on_postgresql = use_engine.dialect.name == "postgresql"

    pid = uuid_module.UUID(prompt["id"])
    _version(api, owner, prompt["id"])
    _edit(api, owner, prompt["id"], "Two {{ name }}")
    _version(api, owner, prompt["id"])
    api.put(f"/api/v1/prompts/{pid}/labels/staging", json={"version": 2}, headers=owner.headers)
    api.put(f"/api/v1/prompts/{pid}/labels/beta", json={"version": 2}, headers=owner.headers)
    assert _publish(api, owner, prompt["id"], 2).status_code == 200
    with Session(use_engine) as session:
        for label, number in (("production", None), ("staging", None), (None, 1), (None, 2)):
            wanted = serving.Wanted(pid, label, number)
            found = serving.read_published(session, owner.principal, wanted)
            reference = versions.resolve(session, owner.principal, pid, label=label, version=number)
            assert found is not None
            assert found.resolved.to_dict() == reference.to_dict()
            assert found.resolved.validators == reference.validators
            assert found.resolved.project_id == reference.project_id
            if on_postgresql:
                assert read_async(owner.principal, label, number) == found
        assert found.resolved.version == 2
        assert found.resolved.labels == ["production", "staging", "beta"]
        for label, number in (("nope", None), (None, 9)):
            wanted = serving.Wanted(pid, label, number)
            assert serving.read_published(session, owner.principal, wanted) is None
            if on_postgresql:
                assert read_async(owner.principal, label, number) is None
        # private to others
        wanted = serving.Wanted(pid, "production")
        assert serving.read_published(session, outsider.principal, wanted) is None
        if on_postgresql:
            assert read_async(outsider.principal, "production", None) is None


def test_each_resolve_counts_once_against_the_limit(
    api: TestClient, owner: Caller, prompt: dict
) -> None:
    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    from promptrepo.services import rate_limits

    rate_limits.clear("60/minute", "api", str(owner.principal.user_id))
    miss = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    hit = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    missing = api.get(f"/api/v1/prompts/{pid}/resolve?label=nope", headers=owner.read_headers)
    assert (miss.status_code, hit.status_code, missing.status_code) == (200, 200, 404)
    remaining = [int(r.headers["RateLimit-Remaining"]) for r in (miss, hit, missing)]
    assert remaining == [59, 58, 57]


@pytest.mark.parametrize("gate_client", ["fast", "redis-py"])
def test_both_gate_clients_count_serve_and_invalidate_alike(
    api: TestClient,
    owner: Caller,
    prompt: dict,
    kv_backend: str,
    gate_client: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bench_api compares the hand-written client with redis-py + `limits`: both must do the
    same work (count each request once, serve the entry, see a publish at once)."""
    from promptrepo.services import rate_limits
    from promptrepo.settings import settings

    monkeypatch.setattr(settings, "api_gate_client", gate_client)
    pid = prompt["id"]
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    rate_limits.clear("60/minute", "api", str(owner.principal.user_id))
    first = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    second = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    assert first.json() == second.json() and first.json()["version"] == 1
    assert [int(r.headers["RateLimit-Remaining"]) for r in (first, second)] == [59, 58]
    _edit(api, owner, pid, "Changed {{ name }}")
    assert _publish(api, owner, pid, _version(api, owner, pid)).status_code == 200
    third = api.get(f"/api/v1/prompts/{pid}/resolve", headers=owner.read_headers)
    assert third.json()["version"] == 2
