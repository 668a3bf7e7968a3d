"""Real-time fan-out: publish "something changed" on a topic; open views subscribe to topics.

Topics are strings such as `project:<id>` and `user:<id>`. With REDIS_URL the messages travel
through Redis pub/sub (so every worker sees them); otherwise through in-process queues.
`publish` is synchronous and safe to call from any thread.

Redis may go away for a while: a publish during the outage is dropped (logged once), and a
subscription reconnects by itself (every `RESUBSCRIBE_SECONDS`) and then yields one
`{"topic": …, "resumed": True}` message, so the view reloads whatever changed meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import suppress
from typing import Any

from promptrepo.observability import get_logger
from promptrepo.services import redis_client
from promptrepo.services.redis_client import REDIS_ERRORS, get_async_redis, get_redis

log = get_logger(__name__)

CHANNEL_PREFIX = "promptrepo:events:"
RESUBSCRIBE_SECONDS = 1.0

_subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue, frozenset[str]]] = []
_lock = threading.Lock()


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Tell every subscriber of `topic` about `payload` (a small JSON-able dict)."""
    message = {"topic": topic, **payload}
    client = get_redis()
    if client is not None:
        if not redis_client.usable():
            return  # subscribers catch up with a "resumed" message when Redis is back
        try:
            client.publish(CHANNEL_PREFIX + topic, json.dumps(message))
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "events.publish")
        else:
            redis_client.report_success()
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
        interrupted = False
        while True:
            pubsub = (get_async_redis() or client).pubsub()
            try:
                await pubsub.subscribe(*(CHANNEL_PREFIX + t for t in wanted))
                if interrupted:
                    redis_client.report_success()
                    log.info("live_subscription_resumed", topics=sorted(wanted))
                    for topic in sorted(wanted):
                        yield {"topic": topic, "resumed": True}
                    interrupted = False
                while True:
                    # A timeout turns a silently dead connection into an error within seconds.
                    raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if raw is not None and raw.get("type") == "message":
                        yield json.loads(raw["data"])
                    elif raw is None:
                        await pubsub.ping()
            except REDIS_ERRORS as exc:
                redis_client.report_failure(exc, "events.subscribe")
                interrupted = True
            finally:
                with suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RESUBSCRIBE_SECONDS)
    entry = (asyncio.get_running_loop(), asyncio.Queue(), wanted)
    with _lock:
        _subscribers.append(entry)
    try:
        while True:
            yield await entry[1].get()
    finally:
        with _lock:
            _subscribers.remove(entry)
