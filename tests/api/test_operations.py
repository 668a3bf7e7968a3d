"""Operations endpoints and signals (issue 17, item 5): readiness apart from liveness, request
ids from the proxy through the logs into problem+json, Prometheus metrics."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from fastapi.testclient import TestClient

from promptrepo.observability import WEBSOCKET_SESSIONS, RequestIdMiddleware, get_logger
from promptrepo.services import health
from promptrepo.settings import settings
from tests.conftest import _reset_clients


def _dead_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(settings, "redis_url", f"redis://127.0.0.1:{port}/0")
    _reset_clients()


def test_ready_when_migrated_and_everything_answers(api: TestClient) -> None:
    response = api.get("/api/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True
    assert body["checks"]["migrations"]["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"


def test_not_ready_while_a_migration_is_pending(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "migration_heads", lambda: frozenset({"9999"}))
    response = api.get("/api/ready")
    assert response.status_code == 503
    migrations = response.json()["checks"]["migrations"]
    assert migrations["status"] == "pending" and migrations["expected"] == ["9999"]


def test_without_redis_not_ready_but_alive_and_degraded(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dead_redis(monkeypatch)
    ready = api.get("/api/ready")
    assert ready.status_code == 503 and ready.json()["checks"]["redis"]["status"] == "error"
    alive = api.get("/api/health")
    assert alive.status_code == 200 and alive.json()["status"] == "degraded"


def test_the_proxys_request_id_is_returned_and_put_into_problems(api: TestClient) -> None:
    response = api.get("/api/v1/projects/not-a-uuid", headers={"X-Request-ID": "nginx-abc.123"})
    assert response.headers["X-Request-ID"] == "nginx-abc.123"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["request_id"] == "nginx-abc.123"


def test_a_request_without_a_usable_id_gets_a_fresh_one(api: TestClient) -> None:
    first = api.get("/api/health", headers={"X-Request-ID": "has spaces and <html>"})
    second = api.get("/api/health")
    ids = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)


def test_log_lines_written_during_a_request_carry_its_id(capsys: pytest.CaptureFixture) -> None:
    log = get_logger("tests.request_id")

    async def app(scope, receive, send) -> None:
        log.warning("inside_the_request")
        await asyncio.to_thread(lambda: log.warning("inside_a_worker_thread"))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/x", "headers": [(b"x-request-id", b"req-42")]}
    asyncio.run(RequestIdMiddleware(app)(scope, None, send))
    log.warning("after_the_request")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "{" in line]
    by_event = {line["event"]: line for line in lines}
    assert by_event["inside_the_request"]["request_id"] == "req-42"
    assert by_event["inside_a_worker_thread"]["request_id"] == "req-42"
    assert "request_id" not in by_event["after_the_request"]
    assert (b"x-request-id", b"req-42") in sent[0]["headers"]


def test_open_websockets_are_counted() -> None:
    seen: list[float] = []

    async def app(scope, receive, send) -> None:
        seen.append(WEBSOCKET_SESSIONS._value.get())

    before = WEBSOCKET_SESSIONS._value.get()
    scope = {"type": "websocket", "path": "/_event", "headers": []}
    asyncio.run(RequestIdMiddleware(app)(scope, None, None))
    assert seen == [before + 1]
    assert WEBSOCKET_SESSIONS._value.get() == before


def test_metrics_cover_routes_database_and_cache(
    api: TestClient, caller_headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptrepo.settings import settings

    monkeypatch.setattr(settings, "metrics_token", "scraper-token")
    api.get("/api/v1/me", headers=caller_headers)
    api.get("/api/health")
    text = api.get("/api/metrics", headers={"Authorization": "Bearer scraper-token"}).text
    assert 'promptrepo_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in text
    assert 'promptrepo_db_statement_seconds_count{operation="select"}' in text
    assert "promptrepo_cache_lookups_total" in text
    assert "promptrepo_websocket_sessions" in text


@pytest.fixture
def caller_headers(session) -> dict[str, str]:
    from tests.api.conftest import make_caller

    return make_caller(session, name="Metrics").headers
