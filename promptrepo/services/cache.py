"""The one cache: Redis when REDIS_URL is set, a bounded in-process dict otherwise.

Entries can carry tags (`project:<id>`, `user:<id>`); `invalidate_tag` drops every entry
carrying a tag at once (after a publish, a label move, a revocation, a suspension...).

Every invalidation also bumps a generation counter. A reader that fills the cache from the
database notes `generation()` before reading and stores with `put(..., if_generation=g)`:
the value is dropped if an invalidation ran meanwhile, so a slow reader never puts back an
answer that a concurrent publish has just made stale.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

import anyio

from promptrepo.db import after_commit
from promptrepo.services.redis_client import get_redis
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
_local_generation = 0

_local: OrderedDict[str, tuple[float, str]] = OrderedDict()
_local_tags: dict[str, set[str]] = {}
_lock = threading.Lock()


def get(key: str) -> str | None:
    client = get_redis()
    if client is not None:
        return client.get(KEY_PREFIX + key)
    with _lock:
        entry = _local.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at < time.monotonic():
            _local.pop(key, None)
            return None
        _local.move_to_end(key)
        return value


def generation() -> int:
    """How many invalidations have happened (read it before reading what you will cache)."""
    client = get_redis()
    if client is not None:
        return int(client.get(GENERATION_KEY) or 0)
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
    client = get_redis()
    if client is not None and if_generation is not None:
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
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.set(KEY_PREFIX + key, value, ex=ttl)
        for tag in tags:
            pipe.sadd(TAG_PREFIX + tag, KEY_PREFIX + key)
            pipe.expire(TAG_PREFIX + tag, ttl)
        pipe.execute()
        return True
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


_PUT_SHA = hashlib.sha1(PUT_IF_GENERATION_LUA.encode()).hexdigest()


async def put_async(key: str, value: str, *, tags: list[str], if_generation: int | None) -> None:
    """`put` from async code: over this event loop's pipelined Redis connection when REDIS_URL
    is set (no thread, one round trip), in process without Redis (no I/O), else in a thread."""
    if not settings.redis_url:
        put(key, value, tags=tags, if_generation=if_generation)
        return
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
    await fast.evalsha(
        _PUT_SHA,
        [GENERATION_KEY, KEY_PREFIX + key, *(TAG_PREFIX + t for t in tags)],
        [str(if_generation), settings.cache_ttl_seconds, value],
    )


async def generation_async() -> int:
    """`generation()` from async code (a thread only when Redis is set)."""
    if not settings.redis_url:
        return _local_generation
    return await anyio.to_thread.run_sync(generation)


def delete(key: str) -> None:
    """Drop one entry (an invalidation too: it bumps the generation)."""
    global _local_generation
    client = get_redis()
    if client is not None:
        client.incr(GENERATION_KEY)
        client.delete(KEY_PREFIX + key)
        return
    with _lock:
        _local_generation += 1
        _local.pop(key, None)


def invalidate_tag(tag: str) -> None:
    """Drop every cached entry stored with `tag`."""
    global _local_generation
    client = get_redis()
    if client is not None:
        # Bump first: a reader's put that lands after this is refused; one that landed before
        # added its key to the tag set before SMEMBERS reads it, so it is deleted below.
        client.incr(GENERATION_KEY)
        keys = client.smembers(TAG_PREFIX + tag)
        client.delete(TAG_PREFIX + tag, *keys)
        return
    with _lock:
        _local_generation += 1
        for key in _local_tags.pop(tag, ()):
            _local.pop(key, None)


def invalidate_project(project_id: str) -> None:
    invalidate_tag(f"project:{project_id}")


def invalidate_user(user_id: str) -> None:
    invalidate_tag(f"user:{user_id}")


def clear_local() -> None:
    with _lock:
        _local.clear()
        _local_tags.clear()


def invalidate_user_now_and_after_commit(session, user_id: str) -> None:
    """Drop a user's cached entries (principals, plan) now and again once `session` commits,
    so a request that read the old state meanwhile cannot leave it cached."""
    invalidate_user(user_id)
    after_commit(session, lambda: invalidate_user(user_id))
