"""Traffic splits over HTTP: set a split, serve it by key (REST resolve/render, Langfuse GET)
with the version named in `X-Prompt-Version`, end it with one label move; bad splits and keys
are 422 problem+json (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from promptrepo.services import plans, serving_db
from tests.api.conftest import Caller

KEYS = 10_000


@pytest.fixture
def client(use_engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The API on the test database with the in-process cache and limits (the 10,000-request
    tests measure picking, not Redis), and a rate limit they cannot reach."""
    from promptrepo.api import create_api
    from promptrepo.settings import settings
    from tests.conftest import _reset_clients

    monkeypatch.setattr(settings, "redis_url", None)
    free = dataclasses.replace(plans.PLANS["free"], api_requests_per_minute=1_000_000)
    monkeypatch.setitem(plans.PLANS, "free", free)
    _reset_clients()
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client
    _reset_clients()


@pytest.fixture
def split_prompt(client: TestClient, owner: Caller) -> dict:
    """A prompt with versions 1–3, production at v1, and a project key for Langfuse."""
    headers = owner.headers
    project = client.post("/api/v1/projects", json={"name": "Bot"}, headers=headers).json()
    segment = client.post(
        f"/api/v1/projects/{project['id']}/segments", json={"name": "support"}, headers=headers
    ).json()
    prompt = client.post(
        f"/api/v1/segments/{segment['id']}/prompts",
        json={"name": "greeting", "content": "v0"},
        headers=headers,
    ).json()
    base = f"/api/v1/prompts/{prompt['id']}"
    for n in (1, 2, 3):
        current = client.get(base, headers=headers).json()
        edited = client.patch(
            base,
            json={"base_revision": current["revision"], "content": f"Hello from v{n}"},
            headers=headers,
        )
        assert edited.status_code == 200, edited.text
        made = client.post(f"{base}/versions", json={"commit_message": f"v{n}"}, headers=headers)
        assert made.status_code == 201, made.text
    published = client.put(f"{base}/labels/production", json={"version": 1}, headers=headers)
    assert published.status_code == 200, published.text
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "lf", "scope": "read", "project_id": project["id"]},
        headers=headers,
    ).json()
    basic = base64.b64encode(f"{key['public_key']}:{key['secret']}".encode()).decode()
    return {
        "id": prompt["id"],
        "base": base,
        "langfuse": "/api/public/v2/prompts/support%2Fgreeting",
        "basic": {"Authorization": f"Basic {basic}"},
    }


def _split(client: TestClient, owner: Caller, prompt: dict, arms, **extra):
    return client.put(
        f"{prompt['base']}/labels/production/split",
        json={"arms": [{"version": v, "weight": w} for v, w in arms], **extra},
        headers=owner.headers,
    )


def _resolve_many(client: TestClient, url: str, headers: dict, keys: list[str | None]):
    """(X-Prompt-Version, body) of a resolve per key, on one event loop (TestClient's
    per-request portal would take minutes for 10,000)."""
    app = client.app

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answers = []
            for key in keys:
                params = {"key": key} if key is not None else {}
                response = await http.get(url, params=params, headers=headers)
                assert response.status_code == 200, response.text
                answers.append((int(response.headers["x-prompt-version"]), response.json()))
        await serving_db.close_for_this_loop()
        return answers

    return asyncio.run(run())


def test_keyed_resolves_share_by_weight_and_each_key_keeps_its_version(
    client: TestClient, owner: Caller, split_prompt: dict
) -> None:
    response = _split(client, owner, split_prompt, [(1, 90), (2, 10)], reason="canary v2")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "label": "production",
        "arms": [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}],
    }
    url = f"{split_prompt['base']}/resolve"
    keys = [f"user-{i}" for i in range(KEYS)]
    first = _resolve_many(client, url, owner.read_headers, keys)
    shares = Counter(version for version, _ in first)
    assert abs(shares[1] / KEYS - 0.90) <= 0.02 and abs(shares[2] / KEYS - 0.10) <= 0.02, shares
    for version, body in first[:50]:
        assert body["version"] == version and body["split"] is True
        assert body["content"] == f"Hello from v{version}" and "production" in body["labels"]
    again = _resolve_many(client, url, owner.read_headers, keys[:2000])
    assert [v for v, _ in again] == [v for v, _ in first[:2000]]


def test_render_and_langfuse_serve_the_version_of_the_key(
    client: TestClient, owner: Caller, split_prompt: dict
) -> None:
    assert _split(client, owner, split_prompt, [(2, 50), (3, 50)]).status_code == 200
    for key in (f"user-{i}" for i in range(20)):
        resolved = client.get(
            f"{split_prompt['base']}/resolve", params={"key": key}, headers=owner.read_headers
        )
        version = resolved.json()["version"]
        assert resolved.headers["x-prompt-version"] == str(version)
        rendered = client.post(
            f"{split_prompt['base']}/render", json={"key": key}, headers=owner.read_headers
        )
        assert rendered.status_code == 200, rendered.text
        assert rendered.json()["version"] == version and rendered.json()["split"] is True
        assert rendered.json()["text"] == f"Hello from v{version}"
        assert rendered.headers["x-prompt-version"] == str(version)
        langfuse = client.get(
            split_prompt["langfuse"], params={"key": key}, headers=split_prompt["basic"]
        )
        assert langfuse.status_code == 200, langfuse.text
        assert langfuse.json()["version"] == version and langfuse.json()["split"] is True
        assert langfuse.headers["x-prompt-version"] == str(version)


def test_unkeyed_resolves_pick_at_random(
    client: TestClient, owner: Caller, split_prompt: dict
) -> None:
    assert _split(client, owner, split_prompt, [(1, 50), (2, 50)]).status_code == 200
    answers = _resolve_many(
        client, f"{split_prompt['base']}/resolve", owner.read_headers, [None] * 1000
    )
    share = sum(version == 2 for version, _ in answers) / len(answers)
    assert 0.40 <= share <= 0.60, share  # ±10 %: over 6 standard deviations


@pytest.mark.parametrize(
    ("arms", "where"),
    [
        ([(1, 90), (2, 20)], ["body", "arms"]),  # sums to 110
        ([(1, 50), (1, 50)], ["body", "arms", "1", "version"]),  # twice the same version
        ([(1, 100), (2, 0)], ["body", "arms", "0", "weight"]),  # out of range
        ([(1, 50)], ["body", "arms"]),  # one version
    ],
)
def test_a_bad_split_is_422_problem_json_and_changes_nothing(
    client: TestClient, owner: Caller, split_prompt: dict, arms, where
) -> None:
    response = _split(client, owner, split_prompt, arms)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert where in [e["loc"] for e in response.json()["errors"]], response.json()
    current = client.get(f"{split_prompt['base']}/labels/production/split", headers=owner.headers)
    assert current.json() == {"label": "production", "arms": []}


def test_a_missing_version_is_404_and_a_bad_key_is_422(
    client: TestClient, owner: Caller, split_prompt: dict
) -> None:
    assert _split(client, owner, split_prompt, [(1, 90), (7, 10)]).status_code == 404
    for key in ("", "k" * 201):
        response = client.get(
            f"{split_prompt['base']}/resolve", params={"key": key}, headers=owner.read_headers
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


def test_one_label_move_ends_the_split(
    client: TestClient, owner: Caller, split_prompt: dict
) -> None:
    assert _split(client, owner, split_prompt, [(1, 70), (2, 30)]).status_code == 200
    moved = client.put(
        f"{split_prompt['base']}/labels/production",
        json={"version": 1, "reason": "v2 lost"},
        headers=owner.headers,
    )
    assert moved.status_code == 200, moved.text
    split = client.get(f"{split_prompt['base']}/labels/production/split", headers=owner.headers)
    assert split.json()["arms"] == []
    answers = _resolve_many(
        client,
        f"{split_prompt['base']}/resolve",
        owner.read_headers,
        [f"user-{i}" for i in range(200)],
    )
    assert {version for version, _ in answers} == {1}
    assert "split" not in answers[0][1]
    history = client.get(
        f"{split_prompt['base']}/labels/production/history", headers=owner.headers
    ).json()
    assert [e["reason"] for e in history[:2]] == [
        "end split v1 70% / v2 30%: v2 lost",
        "split v1 70% / v2 30%",
    ]


def test_served_counts_per_version(client: TestClient, owner: Caller, split_prompt: dict) -> None:
    assert _split(client, owner, split_prompt, [(1, 60), (3, 40)]).status_code == 200
    answers = _resolve_many(
        client,
        f"{split_prompt['base']}/resolve",
        owner.read_headers,
        [f"user-{i}" for i in range(300)],
    )
    expected = Counter(str(version) for version, _ in answers)
    served = client.get(f"{split_prompt['base']}/served?hours=1", headers=owner.headers)
    assert served.status_code == 200, served.text
    assert served.json()["totals"] == dict(sorted(expected.items()))
    assert served.json()["buckets"][-1]["counts"] == served.json()["totals"]
