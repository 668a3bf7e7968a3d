"""The one cache: Redis when REDIS_URL is set, a bounded in-process dict otherwise.

Entries that depend on a project are registered under it, so `invalidate_project` drops all
of them at once (after a publish, a label move or any edit).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from promptrepo.services.redis_client import get_redis
from promptrepo.settings import settings

KEY_PREFIX = "promptrepo:cache:"
MAX_LOCAL_ENTRIES = 10_000

_local: OrderedDict[str, tuple[float, str]] = OrderedDict()
_local_by_project: dict[str, set[str]] = {}
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


def put(key: str, value: str, *, ttl: int | None = None, project_id: str | None = None) -> None:
    ttl = ttl or settings.cache_ttl_seconds
    client = get_redis()
    if client is not None:
        pipe = client.pipeline()
        pipe.set(KEY_PREFIX + key, value, ex=ttl)
        if project_id:
            members = f"{KEY_PREFIX}project:{project_id}"
            pipe.sadd(members, KEY_PREFIX + key)
            pipe.expire(members, ttl)
        pipe.execute()
        return
    with _lock:
        _local[key] = (time.monotonic() + ttl, value)
        _local.move_to_end(key)
        if project_id:
            _local_by_project.setdefault(project_id, set()).add(key)
        while len(_local) > MAX_LOCAL_ENTRIES:
            _local.popitem(last=False)


def delete(key: str) -> None:
    client = get_redis()
    if client is not None:
        client.delete(KEY_PREFIX + key)
        return
    with _lock:
        _local.pop(key, None)


def invalidate_project(project_id: str) -> None:
    """Drop every cached entry registered under `project_id`."""
    client = get_redis()
    if client is not None:
        members = f"{KEY_PREFIX}project:{project_id}"
        keys = client.smembers(members)
        client.delete(members, *keys)
        return
    with _lock:
        for key in _local_by_project.pop(project_id, ()):
            _local.pop(key, None)


def clear_local() -> None:
    with _lock:
        _local.clear()
        _local_by_project.clear()
