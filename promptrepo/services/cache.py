"""The one cache: Redis when REDIS_URL is set, a bounded in-process dict otherwise.

Entries can carry tags (`project:<id>`, `user:<id>`); `invalidate_tag` drops every entry
carrying a tag at once (after a publish, a label move, a revocation, a suspension...).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from promptrepo.services.redis_client import get_redis
from promptrepo.settings import settings

KEY_PREFIX = "promptrepo:cache:"
TAG_PREFIX = "promptrepo:tag:"
MAX_LOCAL_ENTRIES = 10_000

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


def put(key: str, value: str, *, ttl: int | None = None, tags: Iterable[str] = ()) -> None:
    """Store `value` under `key` for `ttl` seconds (default CACHE_TTL_SECONDS), with tags."""
    ttl = ttl or settings.cache_ttl_seconds
    client = get_redis()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.set(KEY_PREFIX + key, value, ex=ttl)
        for tag in tags:
            pipe.sadd(TAG_PREFIX + tag, KEY_PREFIX + key)
            pipe.expire(TAG_PREFIX + tag, ttl)
        pipe.execute()
        return
    with _lock:
        _local[key] = (time.monotonic() + ttl, value)
        _local.move_to_end(key)
        for tag in tags:
            _local_tags.setdefault(tag, set()).add(key)
        while len(_local) > MAX_LOCAL_ENTRIES:
            _local.popitem(last=False)


def delete(key: str) -> None:
    client = get_redis()
    if client is not None:
        client.delete(KEY_PREFIX + key)
        return
    with _lock:
        _local.pop(key, None)


def invalidate_tag(tag: str) -> None:
    """Drop every cached entry stored with `tag`."""
    client = get_redis()
    if client is not None:
        keys = client.smembers(TAG_PREFIX + tag)
        client.delete(TAG_PREFIX + tag, *keys)
        return
    with _lock:
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
