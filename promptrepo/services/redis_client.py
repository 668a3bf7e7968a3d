"""The one Redis connection pool (sync and async), when REDIS_URL is set, and its outage state.

Redis is a cache, a rate-limit store and a message bus here, never the only copy of anything,
so an outage degrades the app instead of failing it: callers catch `REDIS_ERRORS`, call
`report_failure()` and take their fallback (the database, in-process limits, no live
messages). After a failure this process leaves Redis alone for `RETRY_SECONDS` (a stopped
Redis must not cost every request a connection attempt), then tries again; the first success
calls `report_success()`, which runs the recovery hooks (e.g. the cache replays the
invalidations it could not deliver). The outage and the recovery are logged once each.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from promptrepo.observability import REDIS_FAILURES, get_logger
from promptrepo.settings import settings

log = get_logger(__name__)

# A healthy Redis answers in well under a millisecond here; one that takes longer than this is
# treated as down rather than let every request wait on it.
TIMEOUT_SECONDS = 0.5
# After a failure, how long this process goes without trying Redis again.
RETRY_SECONDS = 1.0


def client_options() -> dict:
    """Connection options for every Redis client we create (also `limits`' storage): short
    timeouts and no retries inside redis-py (its default retries 3 times with up to 10 s of
    back-off, which turns an outage into stalled requests)."""
    return {
        "socket_timeout": TIMEOUT_SECONDS,
        "socket_connect_timeout": TIMEOUT_SECONDS,
        "retry": Retry(NoBackoff(), 0),
    }


# redis-py's ConnectionError/TimeoutError are not the builtins; OSError covers refused and
# reset sockets (and asyncio's TimeoutError).
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis | None:
    if not settings.redis_url:
        return None
    return redis.Redis.from_url(settings.redis_url, decode_responses=True, **client_options())


def _new_async_redis() -> aioredis.Redis:
    options = client_options()
    options["retry"] = AsyncRetry(NoBackoff(), 0)  # the asyncio flavour of Retry
    return aioredis.Redis.from_url(settings.redis_url, decode_responses=True, **options)


_async_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_async_redis() -> aioredis.Redis | None:
    """The asyncio client of the running event loop (its connections belong to that loop;
    a process may run more than one, e.g. the MCP and test servers in threads)."""
    if not settings.redis_url:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _new_async_redis()
    client = _async_by_loop.get(loop)
    if client is None:
        client = _async_by_loop[loop] = _new_async_redis()
    return client


get_async_redis.cache_clear = _async_by_loop.clear  # type: ignore[attr-defined]


_state_lock = threading.Lock()
_down = False
_retry_at = 0.0
_recovery_hooks: list[Callable[[], None]] = []


def is_down() -> bool:
    """True while this process believes Redis is unreachable (set by `report_failure`)."""
    return _down


def usable() -> bool:
    """Whether to try Redis now: configured, and not inside the pause after a failure."""
    return bool(settings.redis_url) and (not _down or time.monotonic() >= _retry_at)


def report_failure(exc: BaseException, where: str) -> None:
    """Record that a Redis call failed; the first failure of an outage is logged."""
    global _down, _retry_at
    REDIS_FAILURES.labels(where).inc()
    with _state_lock:
        first = not _down
        _down = True
        _retry_at = time.monotonic() + RETRY_SECONDS
    if first:
        log.warning(
            "redis_unavailable",
            where=where,
            error=f"{type(exc).__name__}: {exc}",
            fallback="database reads, in-process rate limits, live updates paused",
        )


def report_success() -> None:
    """Record that Redis answered; ends an outage (logged) and runs the recovery hooks."""
    global _down
    if not _down:
        return
    with _state_lock:
        if not _down:
            return
        _down = False
    log.warning("redis_recovered")
    # In a thread: the hooks talk to Redis synchronously, and the success may have been
    # noticed on the event loop.
    threading.Thread(target=_run_recovery_hooks, name="redis-recovery", daemon=True).start()


def _run_recovery_hooks() -> None:
    for hook in list(_recovery_hooks):
        try:
            hook()
        except Exception:  # one failed hook must not stop the others
            log.exception("redis_recovery_hook_failed", hook=getattr(hook, "__name__", hook))


def on_recovery(hook: Callable[[], None]) -> Callable[[], None]:
    """Register `hook` to run (in a thread) when Redis answers again after an outage."""
    _recovery_hooks.append(hook)
    return hook


def reset_state() -> None:
    """Forget any outage (tests)."""
    global _down, _retry_at
    with _state_lock:
        _down = False
        _retry_at = 0.0
