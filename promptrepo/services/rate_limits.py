"""The one rate limiter (the `limits` library): moving windows in Redis, or in process.

Domain code names its limits (`login`, `api`) and calls `hit`/`test` here; Reflex events arrive
over one websocket, so limits are enforced in services, not in HTTP middleware.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindowRateLimiter
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from promptrepo.settings import settings


@dataclass(frozen=True)
class LimitStatus:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the window frees a slot

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


@lru_cache(maxsize=1)
def _limiter() -> MovingWindowRateLimiter:
    uri = settings.redis_url or "memory://"
    return MovingWindowRateLimiter(storage_from_string(uri))


@lru_cache(maxsize=1)
def _async_limiter() -> AsyncMovingWindowRateLimiter:
    if settings.redis_url:
        # limits' async Redis storage defaults to coredis; we ship redis-py.
        storage = storage_from_string(f"async+{settings.redis_url}", implementation="redispy")
    else:
        storage = storage_from_string("async+memory://")
    return AsyncMovingWindowRateLimiter(storage)


@lru_cache(maxsize=64)
def rule(text: str) -> RateLimitItem:
    """Parse a rule such as "5/15 minutes" or "60/minute"."""
    return parse(text)


def _status(item: RateLimitItem, allowed: bool, stats) -> LimitStatus:
    return LimitStatus(allowed, item.amount, max(0, stats.remaining), stats.reset_time)


def hit(limit: str, *identifiers: str) -> LimitStatus:
    """Consume one unit of `limit` for `identifiers`; `allowed` is False when over the limit."""
    item = rule(limit)
    limiter = _limiter()
    allowed = limiter.hit(item, *identifiers)
    return _status(item, allowed, limiter.get_window_stats(item, *identifiers))


def test(limit: str, *identifiers: str) -> LimitStatus:
    """Whether one more unit would be allowed, without consuming it."""
    item = rule(limit)
    limiter = _limiter()
    allowed = limiter.test(item, *identifiers)
    return _status(item, allowed, limiter.get_window_stats(item, *identifiers))


def clear(limit: str, *identifiers: str) -> None:
    _limiter().clear(rule(limit), *identifiers)


async def hit_async(limit: str, *identifiers: str) -> LimitStatus:
    """`hit` for async code. In process it shares `hit`'s storage (no I/O, so no await needed),
    so sync and async callers of the same limit count in the same window."""
    if not settings.redis_url:
        return hit(limit, *identifiers)
    item = rule(limit)
    limiter = _async_limiter()
    allowed = await limiter.hit(item, *identifiers)
    return _status(item, allowed, await limiter.get_window_stats(item, *identifiers))
