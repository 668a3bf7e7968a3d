"""The one Redis connection pool (sync and async), when REDIS_URL is set."""

from __future__ import annotations

from functools import lru_cache

import redis
import redis.asyncio as aioredis

from promptrepo.settings import settings


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis | None:
    if not settings.redis_url:
        return None
    return redis.Redis.from_url(settings.redis_url, decode_responses=True)


@lru_cache(maxsize=1)
def get_async_redis() -> aioredis.Redis | None:
    if not settings.redis_url:
        return None
    return aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
