"""Presence (issue 16, item 6): who has a prompt open, in process and through Redis (what every
worker shares), with heartbeats that expire."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from promptrepo.services import events, presence


@pytest.fixture
def prompt_id() -> str:
    return str(uuid.uuid4())


def test_tabs_appear_once_per_person_and_leave(kv_backend: str, prompt_id: str) -> None:
    ana, bob = str(uuid.uuid4()), str(uuid.uuid4())

    async def scenario() -> None:
        assert await presence.heartbeat(prompt_id, tab="t1", user_id=ana, name="Ana Lopez")
        assert not await presence.heartbeat(prompt_id, tab="t1", user_id=ana, name="Ana Lopez")
        await presence.heartbeat(prompt_id, tab="t2", user_id=ana, name="Ana Lopez")  # 2nd tab
        people = await presence.beat(prompt_id, tab="t3", user_id=bob, name="bob")
        assert [(p.name, p.initials) for p in people] == [("Ana Lopez", "AL"), ("bob", "B")]
        assert await presence.present(prompt_id) == people
        await presence.leave(prompt_id, tab="t3")
        assert [p.user_id for p in await presence.present(prompt_id)] == [ana]
        await presence.leave(prompt_id, tab="t1")
        assert [p.user_id for p in await presence.present(prompt_id)] == [ana]  # t2 is open
        assert await presence.present(str(uuid.uuid4())) == []

    asyncio.run(scenario())


def test_a_tab_that_stops_beating_expires(
    kv_backend: str, prompt_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])

    async def scenario() -> None:
        await presence.heartbeat(prompt_id, tab="gone", user_id=str(uuid.uuid4()), name="Gone")
        now[0] += presence.TTL_SECONDS - 1
        assert len(await presence.present(prompt_id)) == 1
        now[0] += 2
        assert await presence.present(prompt_id) == []
        # the expired tab is cleared, not only hidden: a new beat of it is announced again
        assert await presence.heartbeat(prompt_id, tab="gone", user_id="x", name="Back")

    asyncio.run(scenario())
    assert presence.TTL_SECONDS + presence.HEARTBEAT_SECONDS <= 30  # a closed tab clears in 30 s


def test_joins_and_leaves_are_announced(kv_backend: str, prompt_id: str) -> None:
    async def scenario() -> list[dict]:
        heard: list[dict] = []

        async def listen() -> None:
            async for message in events.subscribe([presence.topic(prompt_id)]):
                heard.append(message)
                if len(heard) == 2:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.3)  # subscribed
        user = str(uuid.uuid4())
        await presence.heartbeat(prompt_id, tab="t", user_id=user, name="A")
        await presence.beat(prompt_id, tab="t", user_id=user, name="A")  # not new: no news
        await presence.leave(prompt_id, tab="t")
        await asyncio.wait_for(task, 5)
        return heard

    heard = asyncio.run(scenario())
    assert [("joined" in m, "left" in m) for m in heard] == [(True, False), (False, True)]


def test_the_event_loop_never_waits_on_redis_for_presence(
    redis_url: str, prompt_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Presence is awaited on the asyncio client: a beat's round trip lets other tasks run
    (a synchronous client there stalled every other tab of the worker under load)."""
    import redis.asyncio

    from promptrepo.services import redis_client
    from promptrepo.settings import settings

    monkeypatch.setattr(settings, "redis_url", redis_url)
    redis_client.get_async_redis.cache_clear()

    async def scenario() -> int:
        assert isinstance(presence._redis(), redis.asyncio.Redis)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        for i in range(20):
            await presence.beat(prompt_id, tab=f"t{i}", user_id="u", name="U")
        task.cancel()
        return ticks

    assert asyncio.run(scenario()) >= 20  # the other task ran while each beat waited
    redis_client.get_async_redis.cache_clear()
