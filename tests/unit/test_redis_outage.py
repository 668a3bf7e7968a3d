"""Without Redis the app degrades instead of failing (issue 11, item 4), unit level.

"Redis down" is a REDIS_URL pointing at a loopback port nothing listens on (connection
refused, as after a crash); "Redis back" points the same process at the real test Redis.
The served app with a real Redis stopped and restarted is tests/e2e/test_redis_outage.py.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from promptrepo.services import cache, events, rate_limits, redis_client
from promptrepo.services.health import check_health
from promptrepo.settings import settings
from tests.conftest import _reset_clients


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # closed again: connections are refused


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(settings, "redis_url", _dead_redis_url())
    _reset_clients()
    yield
    _reset_clients()


def _point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Switch this process's Redis URL (keeping the outage state, as a real recovery does)."""
    monkeypatch.setattr(settings, "redis_url", url)
    for fn in (redis_client.get_redis, redis_client.get_async_redis, rate_limits._limiter):
        fn.cache_clear()
    rate_limits._async_limiter.cache_clear()


def test_rate_limits_count_in_process_while_redis_is_down(redis_down) -> None:
    statuses = [rate_limits.hit("3/minute", "login", "a@example.com") for _ in range(4)]
    assert [s.allowed for s in statuses] == [True, True, True, False]
    assert redis_client.is_down()
    assert rate_limits.test("3/minute", "login", "a@example.com").allowed is False
    rate_limits.clear("3/minute", "login", "a@example.com")
    assert rate_limits.test("3/minute", "login", "a@example.com").allowed is True


def test_async_rate_limits_count_in_process_while_redis_is_down(redis_down) -> None:
    async def hits() -> list[bool]:
        return [
            (await rate_limits.hit_async("2/minute", "api", "user-1")).allowed for _ in range(3)
        ]

    assert asyncio.run(hits()) == [True, True, False]


def test_the_outage_is_logged_once(redis_down, monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    monkeypatch.setattr(redis_client.log, "warning", lambda event, **kw: logged.append(event))
    monkeypatch.setattr(redis_client, "RETRY_SECONDS", 0.0)  # try Redis on every call
    for _ in range(5):
        rate_limits.hit("100/minute", "login", "b@example.com")
        cache.get("some-key")
    assert logged == ["redis_unavailable"]


def test_cache_reads_miss_and_writes_are_skipped_while_redis_is_down(redis_down) -> None:
    assert cache.get("prompt:1") is None
    assert cache.generation() == cache.OUTAGE_GENERATION
    assert cache.put("prompt:1", "value", tags=["project:1"]) is False
    assert cache.put("prompt:1", "value", if_generation=cache.OUTAGE_GENERATION) is False
    cache.invalidate_tag("project:1")  # does not raise; kept for later
    assert cache.has_undelivered_invalidations()


def test_an_invalidation_made_during_the_outage_is_replayed_when_redis_returns(
    redis_client_fixture_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_url = redis_client_fixture_url
    _point_at(monkeypatch, live_url)
    assert cache.put("prompt:1", "old answer", tags=["project:1"]) is True

    _point_at(monkeypatch, _dead_redis_url())
    cache.invalidate_tag("project:1")  # a publish during the outage
    assert cache.has_undelivered_invalidations()

    _point_at(monkeypatch, live_url)
    monkeypatch.setattr(redis_client, "_retry_at", 0.0)
    # The first read after the outage delivers the invalidation before it trusts Redis.
    assert cache.get("prompt:1") is None
    assert not cache.has_undelivered_invalidations()


def test_a_reader_from_the_outage_cannot_store_after_it(
    redis_client_fixture_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_at(monkeypatch, _dead_redis_url())
    generation = cache.generation()
    _point_at(monkeypatch, redis_client_fixture_url)
    monkeypatch.setattr(redis_client, "_retry_at", 0.0)
    assert cache.put("prompt:2", "read during outage", if_generation=generation) is False
    assert cache.get("prompt:2") is None


def test_publish_does_not_fail_while_redis_is_down(redis_down) -> None:
    events.publish("project:1", {"kind": "changed"})  # dropped, not raised


def test_a_subscription_resumes_when_redis_returns(
    redis_client_fixture_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "RESUBSCRIBE_SECONDS", 0.1)
    _point_at(monkeypatch, _dead_redis_url())

    async def scenario() -> list[dict]:
        received: list[dict] = []
        subscription = events.subscribe(["project:9"])
        first = asyncio.ensure_future(subscription.__anext__())
        await asyncio.sleep(0.3)  # a few failed attempts against the dead port
        assert not first.done()
        _point_at(monkeypatch, redis_client_fixture_url)
        monkeypatch.setattr(redis_client, "_retry_at", 0.0)
        received.append(await asyncio.wait_for(first, 5))  # "resumed"
        await asyncio.sleep(0.1)
        await asyncio.to_thread(events.publish, "project:9", {"kind": "changed"})
        received.append(await asyncio.wait_for(subscription.__anext__(), 5))
        await subscription.aclose()
        return received

    resumed, message = asyncio.run(scenario())
    assert resumed == {"topic": "project:9", "resumed": True}
    assert message == {"topic": "project:9", "kind": "changed"}


def test_health_says_degraded_while_redis_is_down(redis_down, use_engine) -> None:
    result = check_health()
    assert result["status"] == "degraded"
    assert result["redis"]["status"] == "error"
    assert result["database"]["status"] == "ok"


@pytest.fixture
def redis_client_fixture_url(redis_client, monkeypatch: pytest.MonkeyPatch):
    """The real test Redis (flushed), with this process's clients reset around the test."""
    url = redis_client.connection_pool.connection_kwargs
    live = f"redis://{url['host']}:{url['port']}/{url.get('db', 0)}"
    _reset_clients()
    yield live
    _reset_clients()
