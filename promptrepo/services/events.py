"""Real-time fan-out: publish "something changed" on a topic; open views subscribe to topics.

Topics are strings such as `project:<id>` and `user:<id>`. With REDIS_URL the messages travel
through Redis pub/sub (so every worker sees them); otherwise through in-process queues.
`publish` is synchronous and safe to call from any thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import suppress
from typing import Any

from promptrepo.services.redis_client import get_async_redis, get_redis

CHANNEL_PREFIX = "promptrepo:events:"

_subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue, frozenset[str]]] = []
_lock = threading.Lock()


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Tell every subscriber of `topic` about `payload` (a small JSON-able dict)."""
    message = {"topic": topic, **payload}
    client = get_redis()
    if client is not None:
        client.publish(CHANNEL_PREFIX + topic, json.dumps(message))
        return
    with _lock:
        targets = [(loop, queue) for loop, queue, topics in _subscribers if topic in topics]
    for loop, queue in targets:
        with suppress(RuntimeError):  # the subscriber's loop has closed
            loop.call_soon_threadsafe(queue.put_nowait, message)


async def subscribe(topics: Iterable[str]) -> AsyncIterator[dict[str, Any]]:
    """Yield each message published on any of `topics` until the caller stops iterating."""
    wanted = frozenset(topics)
    client = get_async_redis()
    if client is not None:
        pubsub = client.pubsub()
        await pubsub.subscribe(*(CHANNEL_PREFIX + t for t in wanted))
        try:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    yield json.loads(raw["data"])
        finally:
            with suppress(Exception):
                await pubsub.unsubscribe()
                await pubsub.aclose()
        return
    entry = (asyncio.get_running_loop(), asyncio.Queue(), wanted)
    with _lock:
        _subscribers.append(entry)
    try:
        while True:
            yield await entry[1].get()
    finally:
        with _lock:
            _subscribers.remove(entry)
