"""Cache, rate limits and fan-out behave the same in process and on Redis."""

import asyncio
import uuid

from sqlmodel import Session

from promptrepo.models import Project
from promptrepo.services import cache, events, rate_limits
from promptrepo.services.changes import project_changed, project_topic
from tests.factories import make_user
from tests.support.run_async import run_async


def test_cache_put_get_and_project_invalidation(kv_backend: str) -> None:
    project_id = str(uuid.uuid4())
    cache.put("a", "1", tags=[f"project:{project_id}"])
    cache.put("b", "2")
    assert cache.get("a") == "1"
    cache.invalidate_project(project_id)
    assert cache.get("a") is None
    assert cache.get("b") == "2"


def test_rate_limit_allows_up_to_the_limit_then_refuses(kv_backend: str) -> None:
    key = uuid.uuid4().hex
    results = [rate_limits.hit("3/minute", "t", key) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[2].remaining == 0
    assert 1 <= results[3].retry_after <= 60
    assert rate_limits.test("3/minute", "t", "someone-else").allowed


def test_subscribers_receive_only_their_topics(kv_backend: str) -> None:
    async def scenario() -> list[dict]:
        received: list[dict] = []

        async def listen() -> None:
            async for message in events.subscribe(["project:a"]):
                received.append(message)
                if len(received) == 1:
                    return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.2)  # let the subscription start
        await asyncio.to_thread(events.publish, "project:b", {"n": 1})
        await asyncio.to_thread(events.publish, "project:a", {"n": 2})
        await asyncio.wait_for(task, 5)
        return received

    assert run_async(scenario()) == [{"topic": "project:a", "n": 2}]


def test_subscriptions_share_one_connection_and_each_gets_its_topics(
    kv_backend: str, monkeypatch
) -> None:
    """Many open views (three per editor tab) in one worker: one pub/sub connection carries
    every topic, a message reaches each subscriber of its topic, and a topic nobody follows
    any more is dropped from the connection."""
    import redis

    from promptrepo.settings import settings

    ping = f"{events.CHANNEL_PREFIX}test-ping-{uuid.uuid4().hex}"
    monkeypatch.setattr(events, "PING", ping)  # counts this test's connections only
    topics = [f"project:{uuid.uuid4().hex}" for _ in range(5)]

    async def scenario() -> tuple[list[list[dict]], int]:
        received: list[list[dict]] = [[] for _ in range(len(topics) + 1)]

        async def listen(i: int, topic: str) -> None:
            async for message in events.subscribe([topic]):
                received[i].append(message)

        # two subscribers of the first topic, one of each other
        followers = [asyncio.create_task(listen(i, t)) for i, t in enumerate(topics)]
        followers.append(asyncio.create_task(listen(len(topics), topics[0])))
        await asyncio.sleep(0.3)
        connections = 0
        if kv_backend == "redis":
            client = redis.Redis.from_url(settings.redis_url)
            connections = dict(client.pubsub_numsub(ping))[ping.encode()]
        for n, topic in enumerate(topics):
            await asyncio.to_thread(events.publish, topic, {"n": n})
        await asyncio.sleep(0.3)
        for follower in followers:
            follower.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        if kv_backend == "redis":
            await asyncio.sleep(0.2)
            counts = dict(client.pubsub_numsub(*(events.CHANNEL_PREFIX + t for t in topics)))
            assert set(counts.values()) == {0}, counts  # unsubscribed once nobody follows
            client.close()
        return received, connections

    received, connections = run_async(scenario())
    assert received[:-1] == [[{"topic": t, "n": n}] for n, t in enumerate(topics)]
    assert received[-1] == [{"topic": topics[0], "n": 0}]
    if kv_backend == "redis":
        assert connections == 1


def test_project_changed_notifies_after_commit_only(session: Session, kv_backend: str) -> None:
    user = make_user(session)
    project = Project(user_id=user.user_id, name="P")
    session.add(project)
    session.commit()

    async def scenario() -> list[dict]:
        received: list[dict] = []

        async def listen() -> None:
            async for message in events.subscribe([project_topic(project.id)]):
                received.append(message)
                return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.2)

        def change(commit: bool) -> None:
            project_changed(session, project)
            session.commit() if commit else session.rollback()

        await asyncio.to_thread(change, False)
        await asyncio.sleep(0.2)
        assert received == []
        await asyncio.to_thread(change, True)
        await asyncio.wait_for(task, 5)
        return received

    assert run_async(scenario())[0]["project_id"] == str(project.id)
