"""The one cache: Redis when REDIS_URL is set, a bounded in-process dict otherwise.

Entries can carry tags (`project:<id>`, `user:<id>`); `invalidate_tag` drops every entry
carrying a tag at once (after a publish, a label move, a revocation, a suspension...).

Every invalidation also bumps a generation counter. A reader that fills the cache from the
database notes `generation()` before reading and stores with `put(..., if_generation=g)`:
the value is dropped if an invalidation ran meanwhile, so a slow reader never puts back an
answer that a concurrent publish has just made stale.

When Redis is configured but unreachable, nothing is cached (every read goes to the database,
so no worker serves an answer another worker has invalidated), and the invalidations that
could not be delivered are kept and replayed as soon as Redis answers again, so no entry
cached before the outage outlives a change made during it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

import anyio

from promptrepo.db import after_commit
from promptrepo.observability import CACHE_LOOKUPS
from promptrepo.services import redis_client
from promptrepo.services.redis_client import REDIS_ERRORS, get_redis
from promptrepo.settings import settings

KEY_PREFIX = "promptrepo:cache:"
TAG_PREFIX = "promptrepo:tag:"
GENERATION_KEY = "promptrepo:cache-generation"
MAX_LOCAL_ENTRIES = 10_000

# SET the value and its tags only if no invalidation happened since the reader's generation.
PUT_IF_GENERATION_LUA = """
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ttl)
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  redis.call('EXPIRE', KEYS[i], ttl)
end
return 1
"""
# Bump the generation first, then drop a tag's keys and the tag: one round trip. A reader's
# put that lands after the bump is refused; one that landed before added its key to the tag
# set, so it is dropped here (a script runs whole, nothing interleaves).
INVALIDATE_TAG_LUA = """
redis.call('INCR', KEYS[1])
local keys = redis.call('SMEMBERS', KEYS[2])
for i = 1, #keys, 500 do
  redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('DEL', KEYS[2])
return #keys
"""
_local_generation = 0
# What generation() answers while Redis is unreachable: never equal to Redis's own counter, so
# a reader that started during the outage cannot store its answer after it.
OUTAGE_GENERATION = -1

_local: OrderedDict[str, tuple[float, str]] = OrderedDict()
_local_tags: dict[str, set[str]] = {}
_lock = threading.Lock()


def _shared():
    """(Redis configured?, the client to use now or None while it is unreachable)."""
    client = get_redis()
    if client is None:
        return False, None
    return True, client if redis_client.usable() else None


def get(key: str) -> str | None:
    configured, client = _shared()
    if configured:
        if client is None:
            CACHE_LOOKUPS.labels("unavailable").inc()
            return None
        try:
            if _undelivered:  # Redis is back but may still hold entries changed meanwhile
                replay_undelivered_invalidations()
                if _undelivered:
                    return None
            value = client.get(KEY_PREFIX + key)
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "cache.get")
            CACHE_LOOKUPS.labels("unavailable").inc()
            return None
        redis_client.report_success()
        CACHE_LOOKUPS.labels("miss" if value is None else "hit").inc()
        return value
    with _lock:
        entry = _local.get(key)
        if entry is not None and entry[0] < time.monotonic():
            _local.pop(key, None)
            entry = None
        if entry is not None:
            _local.move_to_end(key)
    CACHE_LOOKUPS.labels("miss" if entry is None else "hit").inc()
    return None if entry is None else entry[1]


def generation() -> int:
    """How many invalidations have happened (read it before reading what you will cache)."""
    configured, client = _shared()
    if configured:
        if client is None:
            return OUTAGE_GENERATION
        try:
            value = int(client.get(GENERATION_KEY) or 0)
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "cache.generation")
            return OUTAGE_GENERATION
        redis_client.report_success()
        return value
    return _local_generation


def put(
    key: str,
    value: str,
    *,
    ttl: int | None = None,
    tags: Iterable[str] = (),
    if_generation: int | None = None,
) -> bool:
    """Store `value` under `key` for `ttl` seconds (default CACHE_TTL_SECONDS), with tags.

    With `if_generation`, store only if no invalidation ran since that `generation()`;
    returns whether the value was stored.
    """
    ttl = ttl or settings.cache_ttl_seconds
    tags = list(tags)
    configured, client = _shared()
    if configured:
        if client is None or if_generation == OUTAGE_GENERATION:
            return False
        try:
            stored = _put_shared(client, key, value, ttl, tags, if_generation)
        except REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "cache.put")
            return False
        redis_client.report_success()
        return stored
    with _lock:
        if if_generation is not None and if_generation != _local_generation:
            return False
        _local[key] = (time.monotonic() + ttl, value)
        _local.move_to_end(key)
        for tag in tags:
            _local_tags.setdefault(tag, set()).add(key)
        while len(_local) > MAX_LOCAL_ENTRIES:
            _local.popitem(last=False)
    return True


def _put_shared(client, key: str, value: str, ttl: int, tags: list[str], if_generation) -> bool:
    if if_generation is not None:
        stored = client.eval(
            PUT_IF_GENERATION_LUA,
            2 + len(tags),
            GENERATION_KEY,
            KEY_PREFIX + key,
            *(TAG_PREFIX + tag for tag in tags),
            str(if_generation),
            ttl,
            value,
        )
        return bool(stored)
    pipe = client.pipeline(transaction=False)
    pipe.set(KEY_PREFIX + key, value, ex=ttl)
    for tag in tags:
        pipe.sadd(TAG_PREFIX + tag, KEY_PREFIX + key)
        pipe.expire(TAG_PREFIX + tag, ttl)
    pipe.execute()
    return True


# Invalidations Redis could not take (it was down): ("key"|"tag", name), replayed on recovery.
_undelivered: set[tuple[str, str]] = set()


def _invalidate_shared(kind: str, name: str) -> bool:
    """Bump the generation and drop a key or a tag's keys in Redis; False if Redis is down
    (the invalidation is then kept for replay)."""
    configured, client = _shared()
    if not configured:
        return False
    try:
        if client is None:
            raise ConnectionError("Redis is paused after a failure")
        if kind == "key":
            # Bump first: a reader's put that lands after this is refused.
            pipe = client.pipeline(transaction=False)
            pipe.incr(GENERATION_KEY)
            pipe.delete(KEY_PREFIX + name)
            pipe.execute()
        else:
            client.eval(INVALIDATE_TAG_LUA, 2, GENERATION_KEY, TAG_PREFIX + name)
    except REDIS_ERRORS as exc:
        with _lock:
            _undelivered.add((kind, name))
        if client is not None:
            redis_client.report_failure(exc, "cache.invalidate")
        return True
    redis_client.report_success()
    return True


def has_undelivered_invalidations() -> bool:
    """True while invalidations made during a Redis outage wait to be replayed: Redis may
    still hold entries they make stale, so readers should not trust it yet."""
    return bool(_undelivered)


@redis_client.on_recovery
def replay_undelivered_invalidations() -> None:
    """Deliver the invalidations made while Redis was down (runs when it answers again)."""
    with _lock:
        pending = list(_undelivered)
        _undelivered.clear()
    for kind, name in pending:
        _invalidate_shared(kind, name)


_PUT_SHA = hashlib.sha1(PUT_IF_GENERATION_LUA.encode()).hexdigest()


async def put_async(key: str, value: str, *, tags: list[str], if_generation: int | None) -> None:
    """`put` from async code: over this event loop's pipelined Redis connection when REDIS_URL
    is set (no thread, one round trip), in process without Redis (no I/O), else in a thread."""
    if not settings.redis_url:
        put(key, value, tags=tags, if_generation=if_generation)
        return
    if if_generation == OUTAGE_GENERATION or not redis_client.usable():
        return  # read during a Redis outage: not cached
    from promptrepo.services import fastredis

    fast = (
        fastredis.for_this_loop(settings.redis_url) if settings.api_gate_client == "fast" else None
    )
    if fast is None or if_generation is None:
        await anyio.to_thread.run_sync(
            lambda: put(key, value, tags=tags, if_generation=if_generation)
        )
        return
    fast.register(PUT_IF_GENERATION_LUA)
    try:
        await fast.evalsha(
            _PUT_SHA,
            [GENERATION_KEY, KEY_PREFIX + key, *(TAG_PREFIX + t for t in tags)],
            [str(if_generation), settings.cache_ttl_seconds, value],
        )
    except (*REDIS_ERRORS, fastredis.ReplyError) as exc:  # served anyway, just not cached
        redis_client.report_failure(exc, "cache.put_async")


async def generation_async() -> int:
    """`generation()` from async code (a thread only when Redis is set)."""
    if not settings.redis_url:
        return _local_generation
    return await anyio.to_thread.run_sync(generation)


def delete(key: str) -> None:
    """Drop one entry (an invalidation too: it bumps the generation)."""
    global _local_generation
    if _invalidate_shared("key", key):
        return
    with _lock:
        _local_generation += 1
        _local.pop(key, None)


def invalidate_tag(tag: str) -> None:
    """Drop every cached entry stored with `tag`."""
    global _local_generation
    if _invalidate_shared("tag", tag):
        return
    with _lock:
        _local_generation += 1
        for key in _local_tags.pop(tag, ()):
            _local.pop(key, None)


def invalidate_project(project_id: str) -> None:
    invalidate_tag(f"project:{project_id}")


def invalidate_user(user_id: str) -> None:
    invalidate_tag(f"user:{user_id}")


def forget_undelivered_invalidations() -> None:
    """Drop the invalidations kept for replay (tests)."""
    with _lock:
        _undelivered.clear()


def clear_local() -> None:
    with _lock:
        _local.clear()
        _local_tags.clear()


def invalidate_user_now_and_after_commit(session, user_id: str) -> None:
    """Drop a user's cached entries (principals, plan) now and again once `session` commits,
    so a request that read the old state meanwhile cannot leave it cached."""
    invalidate_user(user_id)
    after_commit(session, lambda: invalidate_user(user_id))
