"""api/serving.ServingFrontDoor, what granian serves (promptrepo.serve.asgi_app): a cached
`resolve` is answered before the app's middleware layers, with what those layers add to it,
and everything else reaches the app as before, counted once against the rate limit.

The app behind the door here is `create_api()` (its own request-id, metrics and guard
layers), with a counter in front of it, so each test sees which requests got past the door.
The fully served app (tests/api/test_served_headers.py and the other served tests) runs
behind the same door.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from promptrepo.api.security_headers import NON_DOCUMENT_POLICY
from promptrepo.api.serving import FRONT_DOOR_TRIED, ServingFrontDoor
from promptrepo.observability import HTTP_REQUESTS
from promptrepo.services import rate_limits
from tests.api.conftest import Caller
from tests.api.test_serving import _publish, _version
from tests.api.test_serving import prompt as prompt  # noqa: F401 (a fixture)

RESOLVE_ROUTE = "/api/v1/prompts/{prompt_id}/resolve"


class _Counted:
    """The app behind the door, noting each request that reaches it."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[tuple[str, bool]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            tried = bool(scope.get("state", {}).get(FRONT_DOOR_TRIED))
            self.seen.append((scope["path"], tried))
        await self.app(scope, receive, send)


@pytest.fixture
def door(use_engine, kv_backend) -> Iterator[tuple[TestClient, _Counted]]:
    from promptrepo.api import create_api

    behind = _Counted(create_api())
    with TestClient(ServingFrontDoor(behind), raise_server_exceptions=False) as client:
        yield client, behind


def _published(client: TestClient, owner: Caller, prompt_id: str) -> str:
    assert _publish(client, owner, prompt_id, _version(client, owner, prompt_id)).status_code == 200
    rate_limits.clear("60/minute", "api", str(owner.principal.user_id))
    return f"/api/v1/prompts/{prompt_id}/resolve"


def _resolves() -> float:
    return sum(
        sample.value
        for metric in HTTP_REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("route") == RESOLVE_ROUTE
    )


def test_a_cached_resolve_is_answered_at_the_door_with_every_header(door, owner, prompt) -> None:
    client, behind = door
    path = _published(client, owner, prompt["id"])
    client.get(path, headers=owner.read_headers)  # the first read fills the cache
    behind.seen.clear()
    counted = _resolves()

    headers = {**owner.read_headers, "X-Request-ID": "nginx-77.1"}
    hit = client.get(path, headers=headers)
    assert hit.status_code == 200 and hit.json()["version"] == 1
    assert behind.seen == []  # answered at the door
    assert hit.headers["x-request-id"] == "nginx-77.1"
    assert hit.headers["content-security-policy"] == NON_DOCUMENT_POLICY
    assert hit.headers["x-content-type-options"] == "nosniff"
    assert hit.headers["x-frame-options"] == "DENY"
    assert int(hit.headers["ratelimit-remaining"]) == 58  # the fill, then this one
    assert hit.headers["x-prompt-version"] == "1"
    assert _resolves() == counted + 1

    again = client.get(path, headers={**owner.read_headers, "If-None-Match": hit.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert behind.seen == []
    assert len(again.headers["x-request-id"]) == 32  # a new one: the proxy sent none
    assert again.headers["content-security-policy"] == NON_DOCUMENT_POLICY


def test_what_the_door_does_not_answer_reaches_the_app_counted_once(door, owner, prompt) -> None:
    client, behind = door
    path = _published(client, owner, prompt["id"])
    first = client.get(path, headers=owner.read_headers)
    hit = client.get(path, headers=owner.read_headers)
    missing = client.get(path + "?label=nope", headers=owner.read_headers)
    assert (first.status_code, hit.status_code, missing.status_code) == (200, 200, 404)
    remaining = [int(r.headers["RateLimit-Remaining"]) for r in (first, hit, missing)]
    assert remaining == [59, 58, 57]
    # The 404 went on to the route, which worded it with the admission the door made.
    assert (path, True) in behind.seen
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.headers["x-request-id"] == missing.json()["request_id"]


def test_other_requests_and_cross_origin_calls_go_straight_to_the_app(door, owner, prompt) -> None:
    client, behind = door
    path = _published(client, owner, prompt["id"])
    client.get(path, headers=owner.read_headers)
    behind.seen.clear()
    client.get(path, headers={**owner.read_headers, "Origin": "https://elsewhere.example"})
    client.get("/api/v1/projects", headers=owner.headers)
    assert behind.seen == [(path, False), ("/api/v1/projects", False)]
