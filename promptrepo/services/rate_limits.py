"""The one rate limiter (the `limits` library): moving windows in Redis, or in process.

Domain code names its limits (`login`, `api`) and calls `hit`/`test`/`refund` here; Reflex events arrive
over one websocket, so limits are enforced in services, not in HTTP middleware.

With Redis configured but unreachable, every limit falls back to this process's memory (the
outage is logged once, by `redis_client.report_failure`): limits then count per worker until
Redis answers again, which is looser than the configured figure but never refuses everyone
and never answers an error. Call the limiter through `_with_fallback` to get this.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from promptrepo.observability import get_logger
from promptrepo.services import redis_client
from promptrepo.services.redis_client import REDIS_ERRORS, client_options
from promptrepo.settings import settings

log = get_logger(__name__)
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


class SerializedMemoryStorage(MemoryStorage):
    """`limits`' in-process storage with one lock around every operation and its expiry timer.

    Its own per-key locks are dropped by the expiry timer (every 10 ms) while other threads
    may be about to take them, so concurrent callers can end up holding different locks for
    one key: measured, 31 of 40 concurrent hits were admitted under a limit of 20. With one
    lock around everything (each operation takes microseconds), 20 of 40.
    """

    def __init__(self, uri: str | None = None, **options: str) -> None:
        self.guard = threading.RLock()  # before the base class starts its expiry timer
        super().__init__(uri, **options)

    def _MemoryStorage__expire_events(self) -> None:  # the base class's private timer job
        with self.guard:
            super()._MemoryStorage__expire_events()


def _serialized(name: str):
    method = getattr(MemoryStorage, name)

    def locked(self, *args, **kwargs):
        with self.guard:
            return method(self, *args, **kwargs)

    locked.__name__ = name
    locked.__doc__ = method.__doc__
    return locked


for _name in (
    "incr",
    "decr",
    "get",
    "get_expiry",
    "clear",
    "reset",
    "acquire_entry",
    "get_moving_window",
    "acquire_sliding_window_entry",
    "get_sliding_window",
    "clear_sliding_window",
):
    setattr(SerializedMemoryStorage, _name, _serialized(_name))


class _BuiltOnce:
    """Like `lru_cache(maxsize=1)` on a factory without arguments, but concurrent first calls
    build one object, not one each (each in-process storage would admit the full limit:
    measured, 31 of 40 concurrent first hits under a limit of 20). `cache_clear` forgets it."""

    def __init__(self, factory):
        self._factory = factory
        self._lock = threading.Lock()
        self._value = None

    def __call__(self):
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
                value = self._value
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._value = None


@_BuiltOnce
def _limiter() -> MovingWindowRateLimiter:
    """The configured limiter: Redis when REDIS_URL is set, else this process's memory."""
    if not settings.redis_url:
        return _memory_limiter()
    storage = storage_from_string(settings.redis_url, wrap_exceptions=True, **client_options())
    return MovingWindowRateLimiter(storage)


@_BuiltOnce
def _memory_limiter() -> MovingWindowRateLimiter:
    """In process: the limiter without Redis, and the fallback while Redis is unreachable."""
    return MovingWindowRateLimiter(SerializedMemoryStorage())


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


def refund(limit: str, *identifiers: str) -> None:
    """Give back one unit consumed by `hit` (an attempt that turned out not to count).

    `hit` before the work keeps N concurrent callers within the limit (the check and the
    count are one atomic step); `refund` afterwards lets only what should count (a failed
    login, not a successful one) stay in the window. `limits` has no refund of its own, so
    this removes the newest entry of the moving window from the storage `limits` uses: a
    list of timestamps, newest first, in process and in Redis alike (the layout api/gate.py
    already relies on). The count is exact; the entry removed may be a moment newer than
    the caller's own, which frees its slot a moment sooner.
    """
    key = rule(limit).key_for(*identifiers)
    _with_fallback("rate_limits.refund", lambda limiter: _refund_newest(limiter.storage, key))


def _refund_newest(storage, key: str) -> None:
    if isinstance(storage, SerializedMemoryStorage):
        with storage.guard:
            events = storage.events.get(key)
            if events:
                events.pop(0)
    elif isinstance(storage, RedisStorage):
        storage.get_connection().lpop(storage.prefixed_key(key))
    else:  # another storage: keep the unit (stricter, never looser)
        log.warning("rate_limit_refund_unsupported", storage=type(storage).__name__)


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
