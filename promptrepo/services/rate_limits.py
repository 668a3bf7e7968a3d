"""The one rate limiter (the `limits` library): moving windows in Redis, or in process.

Domain code names its limits (`login`, `api`) and calls `hit`/`test` here; Reflex events arrive
over one websocket, so limits are enforced in services, not in HTTP middleware.

With Redis configured but unreachable, every limit falls back to this process's memory (the
outage is logged once, by `redis_client.report_failure`): limits then count per worker until
Redis answers again, which is looser than the configured figure but never refuses everyone
and never answers an error. Call the limiter through `_with_fallback` to get this.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from promptrepo.services import redis_client
from promptrepo.services.redis_client import REDIS_ERRORS, client_options
from promptrepo.settings import settings

T = TypeVar("T")
LIMITER_ERRORS = (StorageError, *REDIS_ERRORS)


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
    """The configured limiter: Redis when REDIS_URL is set, else this process's memory."""
    if not settings.redis_url:
        return _memory_limiter()
    storage = storage_from_string(settings.redis_url, wrap_exceptions=True, **client_options())
    return MovingWindowRateLimiter(storage)


@lru_cache(maxsize=1)
def _memory_limiter() -> MovingWindowRateLimiter:
    """In process: the limiter without Redis, and the fallback while Redis is unreachable."""
    return MovingWindowRateLimiter(storage_from_string("memory://"))


@lru_cache(maxsize=1)
def _async_limiter() -> AsyncMovingWindowRateLimiter:
    # limits' async Redis storage defaults to coredis; we ship redis-py.
    options = client_options()
    options.pop("retry")  # the async storage builds its own client; timeouts are what matter
    storage = storage_from_string(
        f"async+{settings.redis_url}", implementation="redispy", wrap_exceptions=True, **options
    )
    return AsyncMovingWindowRateLimiter(storage)


def _with_fallback(where: str, operation: Callable[[MovingWindowRateLimiter], T]) -> T:
    """Run `operation` on the configured limiter, or in process while Redis is unreachable."""
    if settings.redis_url and redis_client.usable():
        try:
            result = operation(_limiter())
        except LIMITER_ERRORS as exc:
            redis_client.report_failure(exc, where)
        else:
            redis_client.report_success()
            return result
    return operation(_memory_limiter())


async def _with_fallback_async(
    where: str,
    operation: Callable[[AsyncMovingWindowRateLimiter], Awaitable[T]],
    fallback: Callable[[MovingWindowRateLimiter], T],
) -> T:
    """`_with_fallback` for async callers (the in-process fallback needs no await)."""
    if settings.redis_url and redis_client.usable():
        try:
            result = await operation(_async_limiter())
        except LIMITER_ERRORS as exc:
            redis_client.report_failure(exc, where)
        else:
            redis_client.report_success()
            return result
    return fallback(_memory_limiter())


@lru_cache(maxsize=64)
def rule(text: str) -> RateLimitItem:
    """Parse a rule such as "5/15 minutes" or "60/minute"."""
    return parse(text)


def _status(item: RateLimitItem, allowed: bool, stats) -> LimitStatus:
    return LimitStatus(allowed, item.amount, max(0, stats.remaining), stats.reset_time)


def hit(limit: str, *identifiers: str) -> LimitStatus:
    """Consume one unit of `limit` for `identifiers`; `allowed` is False when over the limit."""
    item = rule(limit)

    def run(limiter: MovingWindowRateLimiter) -> LimitStatus:
        allowed = limiter.hit(item, *identifiers)
        return _status(item, allowed, limiter.get_window_stats(item, *identifiers))

    return _with_fallback("rate_limits.hit", run)


def test(limit: str, *identifiers: str) -> LimitStatus:
    """Whether one more unit would be allowed, without consuming it."""
    item = rule(limit)

    def run(limiter: MovingWindowRateLimiter) -> LimitStatus:
        allowed = limiter.test(item, *identifiers)
        return _status(item, allowed, limiter.get_window_stats(item, *identifiers))

    return _with_fallback("rate_limits.test", run)


def clear(limit: str, *identifiers: str) -> None:
    _with_fallback("rate_limits.clear", lambda limiter: limiter.clear(rule(limit), *identifiers))


async def hit_async(limit: str, *identifiers: str) -> LimitStatus:
    """`hit` for async code. In process it shares `hit`'s storage (no I/O, so no await needed),
    so sync and async callers of the same limit count in the same window."""
    if not settings.redis_url:
        return hit(limit, *identifiers)
    item = rule(limit)

    async def run(limiter: AsyncMovingWindowRateLimiter) -> LimitStatus:
        allowed = await limiter.hit(item, *identifiers)
        return _status(item, allowed, await limiter.get_window_stats(item, *identifiers))

    def fallback(limiter: MovingWindowRateLimiter) -> LimitStatus:
        allowed = limiter.hit(item, *identifiers)
        return _status(item, allowed, limiter.get_window_stats(item, *identifiers))

    return await _with_fallback_async("rate_limits.hit_async", run, fallback)
