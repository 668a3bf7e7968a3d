"""Real-time fan-out: publish "something changed" on a topic; open views subscribe to topics.

Topics are strings such as `project:<id>` and `user:<id>`. With REDIS_URL the messages travel
through Redis pub/sub (so every worker sees them); otherwise through in-process queues.
`publish` is synchronous and safe to call from any thread; `publish_async` is its
non-blocking twin for code on an event loop.

Redis may go away for a while: a publish during the outage is dropped (logged once), and a
subscription reconnects by itself (every `RESUBSCRIBE_SECONDS`) and then yields one
`{"topic": …, "resumed": True}` message, so the view reloads whatever changed meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
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
    publish_many([topic], payload)


def publish_many(topics: Iterable[str], payload: dict[str, Any]) -> None:
    """`publish` of one payload on several topics, in one Redis round trip."""
    messages = [{"topic": topic, **payload} for topic in topics]
    client = get_redis()
    if client is not None:
        if not redis_client.usable():
            return  # subscribers catch up with a "resumed" message when Redis is back
        try:
            if len(messages) == 1:  # most publishes: no pipeline needed
                client.publish(CHANNEL_PREFIX + messages[0]["topic"], json.dumps(messages[0]))
            else:
                pipe = client.pipeline(transaction=False)
                for message in messages:
                    pipe.publish(CHANNEL_PREFIX + message["topic"], json.dumps(message))
                pipe.execute()
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "events.publish")
        else:
            redis_client.report_success()
        return
    for message in messages:
        with _lock:
            targets = [
                (lp, queue) for lp, queue, topics in _subscribers if message["topic"] in topics
            ]
        for loop, queue in targets:
            with suppress(RuntimeError):  # the subscriber's loop has closed
                loop.call_soon_threadsafe(queue.put_nowait, message)


async def publish_async(topic: str, payload: dict[str, Any]) -> None:
    """`publish` for code on an event loop: the Redis round trip does not block the loop."""
    client = get_async_redis()
    if client is None:
        publish(topic, payload)  # in-process queues: nothing to wait for
        return
    if not redis_client.usable():
        return
    try:
        await client.publish(CHANNEL_PREFIX + topic, json.dumps({"topic": topic, **payload}))
    except REDIS_ERRORS as exc:
        redis_client.report_failure(exc, "events.publish")
    else:
        redis_client.report_success()


async def subscribe(topics: Iterable[str]) -> AsyncIterator[dict[str, Any]]:
    """Yield each message published on any of `topics` until the caller stops iterating."""
    wanted = frozenset(topics)
    if get_async_redis() is not None:
        hub = _hub()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await hub.add(queue, wanted)
        try:
            while True:
                yield await queue.get()
        finally:
            await hub.remove(queue, wanted)
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


class _Hub:
    """The Redis side of `subscribe` for one event loop (one per worker): a single pub/sub
    connection carries the channels of every subscription in the loop, and one reader hands
    each message to the queues of its topic. (A connection per subscription cost every open
    editor tab three connections, each pinged every few seconds.)

    When the connection fails, the reader reconnects every RESUBSCRIBE_SECONDS, subscribes
    again to every topic in use and then gives each queue a `{"topic": …, "resumed": True}`
    message per topic, so the views reload whatever changed meanwhile."""

    def __init__(self) -> None:
        self.queues: dict[str, set[asyncio.Queue]] = {}
        self.pubsub: Any = None  # while connected
        self.reader: asyncio.Task | None = None

    async def add(self, queue: asyncio.Queue, topics: frozenset[str]) -> None:
        new = [t for t in topics if t not in self.queues]
        for topic in topics:
            self.queues.setdefault(topic, set()).add(queue)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.get_running_loop().create_task(self._read())
        elif new and self.pubsub is not None:
            with suppress(*REDIS_ERRORS):  # the reader subscribes again when it reconnects
                await self.pubsub.subscribe(*(CHANNEL_PREFIX + t for t in new))

    async def remove(self, queue: asyncio.Queue, topics: frozenset[str]) -> None:
        gone = []
        for topic in topics:
            queues = self.queues.get(topic)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self.queues[topic]
                    gone.append(topic)
        if gone and self.pubsub is not None:
            pubsub = self.pubsub
            with suppress(*REDIS_ERRORS, RuntimeError):
                await pubsub.unsubscribe(*(CHANNEL_PREFIX + t for t in gone))
                back = [t for t in gone if t in self.queues]  # wanted again meanwhile
                if back:
                    await pubsub.subscribe(*(CHANNEL_PREFIX + t for t in back))

    async def _read(self) -> None:
        # redis-py may swallow a cancellation (or turn it into a connection error) while it
        # waits for a message: the loops check for one after every wait, so the reader ends
        # when its event loop does (a worker stopping, a test's asyncio.run).
        task = asyncio.current_task()
        assert task is not None
        interrupted = False
        while not task.cancelling():
            client = get_async_redis()
            if client is None:  # Redis was switched off (tests): nothing to read any more
                return
            pubsub = client.pubsub()
            try:
                # PING keeps the connection in pub/sub mode while no topic is wanted.
                channels = {PING, *(CHANNEL_PREFIX + t for t in self.queues)}
                await pubsub.subscribe(*channels)
                self.pubsub = pubsub
                missed = {CHANNEL_PREFIX + t for t in self.queues} - channels
                if missed:  # wanted while the connection was being made
                    await pubsub.subscribe(*missed)
                if interrupted:
                    redis_client.report_success()
                    log.info("live_subscription_resumed", topics=sorted(self.queues))
                    for topic, queues in list(self.queues.items()):
                        for queue in queues:
                            queue.put_nowait({"topic": topic, "resumed": True})
                    interrupted = False
                while not task.cancelling():
                    # A timeout turns a silently dead connection into an error within seconds.
                    raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if raw is None:
                        await pubsub.ping()
                    elif raw.get("type") == "message":
                        self._deliver(raw)
            except REDIS_ERRORS as exc:
                if not task.cancelling():
                    redis_client.report_failure(exc, "events.subscribe")
                    interrupted = True
            finally:
                self.pubsub = None
                with suppress(Exception):
                    await asyncio.wait_for(pubsub.aclose(), 1.0)
            if not task.cancelling():
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    def _deliver(self, raw: dict) -> None:
        channel = raw["channel"]
        if isinstance(channel, bytes):
            channel = channel.decode()
        queues = self.queues.get(channel.removeprefix(CHANNEL_PREFIX))
        if not queues:
            return
        message = json.loads(raw["data"])
        for queue in queues:
            queue.put_nowait(dict(message))


PING = CHANNEL_PREFIX + "-"  # always subscribed (nothing is published on it)
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Hub] = weakref.WeakKeyDictionary()


def _hub() -> _Hub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = _Hub()
    return hub
