"""The API's front door: who is calling, may they call now, and (optionally) a cached answer.

Every authenticated request passes through `admit(token, entry_key)`. On the hot path it costs
one Redis round trip: a Lua script that reads the cached principal, counts the request in the
principal's moving one-minute window, and reads the cache entry the route wants (e.g. a
published prompt), all at once. Only when the principal is not cached yet does it touch the
database (in the thread pool) and then run the script again.

Without Redis the same steps run in process (the cache and `limits`' memory storage). With
Redis configured but unreachable (or just back, with invalidations still to replay) the gate
degrades instead of failing: the principal comes from the database, the limit is counted in
process, and the route reads the database (nothing is cached until Redis answers again).

The rate-limit window is stored exactly as `limits`' moving window stores it (a list of
timestamps under `LIMITS:LIMITER/api/<user_id>/<n>/1/minute`), so `rate_limits.test/clear`
with the rule `f"{n}/minute"` and identifiers `("api", user_id)` see the same counts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import uuid
import weakref
from dataclasses import dataclass

import jwt
from fastapi.concurrency import run_in_threadpool

from promptrepo.observability import CACHE_LOOKUPS
from promptrepo.services import api_keys, cache, fastredis, plans, rate_limits, redis_client
from promptrepo.services import sessions as sessions_service
from promptrepo.services.errors import NotAuthenticated, RateLimited
from promptrepo.services.fastredis import FastRedis, ReplyError
from promptrepo.services.principal import Principal
from promptrepo.services.rate_limits import LimitStatus
from promptrepo.services.redis_client import REDIS_ERRORS, get_async_redis
from promptrepo.settings import settings

# A cached principal lives this long; a plan change or a Supabase token's expiry shows within it.
# Revocation, suspension and password changes do not wait: they delete the entry at once.
PRINCIPAL_TTL_SECONDS = 60
# Each entry lives a random 75-100% of that, so principals cached together (a warm-up, a
# restart) do not all expire in the same second and reload at once. Measured before this: 200
# keys expiring together stalled every request of a worker for ~2 s (p99 from 25 to 140 ms).
PRINCIPAL_TTL_JITTER = 0.25
WINDOW_SECONDS = 60
LIMIT_NAME = "api"
CACHE_FORMAT = 2
# An error reply (e.g. LOADING while a restarted Redis reads its data) degrades like an outage.
GATE_REDIS_ERRORS = (*REDIS_ERRORS, ReplyError)

_GATE_LUA = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {0} end
local ok, p = pcall(cjson.decode, raw)
if not ok or type(p) ~= 'table' or p.f ~= tonumber(ARGV[3]) then return {0} end
local limit = tonumber(p.rpm)
local now = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2])
local key = 'LIMITS:LIMITER/api/' .. p.uid .. '/' .. p.rpm .. '/1/minute'
local allowed = 0
local last = redis.call('LINDEX', key, limit - 1)
if not last or tonumber(last) < now - expiry then
  redis.call('LPUSH', key, ARGV[1])
  redis.call('LTRIM', key, 0, limit - 1)
  redis.call('EXPIRE', key, expiry)
  allowed = 1
end
local low, high, idx = 0, redis.call('LLEN', key) - 1, -1
while low <= high do
  local mid = math.floor((low + high) / 2)
  local v = tonumber(redis.call('LINDEX', key, mid))
  if v and v >= now - expiry then idx = mid; low = mid + 1 else high = mid - 1 end
end
local oldest = ARGV[1]
if idx >= 0 then oldest = redis.call('LINDEX', key, idx) end
local entry, gen = false, false
if allowed == 1 and KEYS[2] ~= '' then
  entry = redis.call('GET', KEYS[2])
  if not entry then gen = redis.call('GET', KEYS[3]) or '0' end
end
return {1, allowed, limit - (idx + 1), oldest, raw, entry, gen}
"""


@dataclass(frozen=True, slots=True)
class Admission:
    principal: Principal
    limit: LimitStatus
    entry: str | None = None
    # On a miss: the cache generation read before the database is, for cache.put(if_generation)
    generation: int | None = None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 4096:
        return None
    return token


def principal_cache_key(token: str) -> str:
    return sessions_service.principal_cache_key(token)


def _encode_principal(principal: Principal, rpm: int) -> str:
    return json.dumps(
        {
            "f": CACHE_FORMAT,
            "uid": str(principal.user_id),
            "email": principal.email,
            "name": principal.name,
            "role": principal.role,
            "scope": principal.api_key_scope,
            "pid": str(principal.api_key_project_id) if principal.api_key_project_id else None,
            "pk": principal.api_key_public_key,
            "rpm": rpm,
        },
        separators=(",", ":"),
    )


# Decoding the same cached JSON again and again is wasted work on the hot path.
_decoded: dict[str, tuple[Principal, int]] = {}


def _decode_principal(raw: str) -> tuple[Principal, int] | None:
    hit = _decoded.get(raw)
    if hit is not None:
        return hit
    try:
        data = json.loads(raw)
        if data.get("f") != CACHE_FORMAT:
            return None
        result = (
            Principal(
                user_id=uuid.UUID(data["uid"]),
                email=data["email"],
                name=data["name"],
                role=data["role"],
                api_key_scope=data["scope"],
                api_key_project_id=uuid.UUID(data["pid"]) if data["pid"] else None,
                api_key_public_key=data["pk"],
            ),
            int(data["rpm"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if len(_decoded) > 10_000:
        _decoded.clear()
    _decoded[raw] = result
    return result


def _load_principal(token: str) -> tuple[Principal, int] | None:
    """The database path: resolve the token, find the plan's limit, cache both."""
    from promptrepo.db import system_scope

    generation = cache.generation()
    with system_scope("token") as session:
        if token.startswith(api_keys.KEY_PREFIX):
            principal = api_keys.principal_from_api_key(session, token)
        else:
            principal = _principal_from_session_token(session, token)
        if principal is None:
            return None
        rpm = plans.plan_for_user(session, principal.user_id).api_requests_per_minute
    cache.put(
        principal_cache_key(token),
        _encode_principal(principal, rpm),
        ttl=_principal_ttl(token),
        tags=[f"user:{principal.user_id}"],
        if_generation=generation,
    )
    return principal, rpm


_loads_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _load_principal_once(token: str) -> tuple[Principal, int] | None:
    """`_load_principal` in the thread pool, once per token at a time in this event loop:
    requests arriving while a token is being loaded wait for that load instead of each
    running the same queries (a busy API key's entry expiring must not start a stampede)."""
    loads = _loads_by_loop.get(asyncio.get_running_loop())
    if loads is None:
        loads = _loads_by_loop[asyncio.get_running_loop()] = {}
    load = loads.get(token)
    if load is None:
        load = loads[token] = asyncio.ensure_future(run_in_threadpool(_load_principal, token))
        load.add_done_callback(lambda _: loads.pop(token, None))
    return await asyncio.shield(load)  # one caller going away does not cancel the others


def _principal_ttl(token: str) -> int:
    """How long a resolved principal may be cached: never past a JWT's own expiry."""
    ttl = round(PRINCIPAL_TTL_SECONDS * (1 - PRINCIPAL_TTL_JITTER * random.random()))
    if token.startswith((api_keys.KEY_PREFIX, sessions_service.TOKEN_PREFIX)):
        return ttl
    # An external provider's token (Supabase); its signature was verified on the way in.
    try:
        expires_at = jwt.decode(token, options={"verify_signature": False}).get("exp")
        return max(1, min(ttl, int(expires_at - time.time())))
    except (jwt.PyJWTError, TypeError):
        return 1


def _principal_from_session_token(session, token: str) -> Principal | None:
    from promptrepo.services.auth import principal_from_token

    return principal_from_token(session, token)


def _status(limit: int, remaining: int, oldest: float, allowed: bool) -> LimitStatus:
    return LimitStatus(allowed, limit, max(0, remaining), oldest + WINDOW_SECONDS)


_script = None
_GATE_SHA = hashlib.sha1(_GATE_LUA.encode()).hexdigest()


def _fast_client() -> FastRedis | None:
    """This event loop's pipelined connection (None for URLs it does not speak)."""
    client = fastredis.for_this_loop(settings.redis_url)
    if client is not None:
        client.register(_GATE_LUA)
    return client


async def cache_put(key: str, value: str, *, tags: list[str], if_generation: int | None) -> None:
    """`cache.put` from async code (see `cache.put_async`)."""
    await cache.put_async(key, value, tags=tags, if_generation=if_generation)


async def _run_gate_script(keys: list[str], args: list) -> list:
    fast = _fast_client()
    if fast is not None:
        return await fast.evalsha(_GATE_SHA, keys, args)
    global _script
    client = get_async_redis()
    if _script is None or _script.registered_client is not client:
        _script = client.register_script(_GATE_LUA)
    return await _script(keys=keys, args=args)


async def admit(token: str, entry_key: str | None = None) -> Admission:
    """Authenticate `token`, count one request against its plan's limit, fetch `entry_key`.

    Raises NotAuthenticated for an unknown, revoked or expired token (or a suspended user) and
    RateLimited (with the window's figures) when over the limit.
    """
    if get_async_redis() is None:
        return await _admit_in_process(token, entry_key)
    if not redis_client.usable() or cache.has_undelivered_invalidations():
        return await _admit_degraded(token, entry_key)
    try:
        admission = await _admit_through_redis(token, entry_key)
    except GATE_REDIS_ERRORS as exc:
        redis_client.report_failure(exc, "api.gate")
        return await _admit_degraded(token, entry_key)
    redis_client.report_success()
    return admission


async def _admit_through_redis(token: str, entry_key: str | None) -> Admission:
    if settings.api_gate_client == "redis-py":
        return await _admit_redis_py(token, entry_key)
    keys = [
        cache.KEY_PREFIX + principal_cache_key(token),
        cache.KEY_PREFIX + entry_key if entry_key else "",
        cache.GENERATION_KEY,
    ]
    admission = await _admit_cached(keys)
    if admission is not None:
        return admission
    loaded = await _known_principal(token, None)
    admission = await _admit_cached(keys)
    if admission is not None:
        return admission
    # The principal could not be cached (an invalidation ran meanwhile): admit it uncached.
    principal, rpm = loaded
    return await _count_and_fetch(principal, rpm, entry_key)


async def identify(token: str) -> Principal:
    """Authenticate `token` without counting it against the rate limit (for the few routes a
    signed-in owner must always reach, such as revoking an abused key)."""
    raw = await run_in_threadpool(cache.get, principal_cache_key(token))
    principal, _rpm = await _known_principal(token, _decode_principal(raw) if raw else None)
    return principal


async def _known_principal(
    token: str, cached: tuple[Principal, int] | None
) -> tuple[Principal, int]:
    """`cached` (the principal and its requests per minute, from the cache) or, when it is
    missing, the principal loaded once from the database; 401 when the token has none."""
    if cached is None:
        cached = await _load_principal_once(token)
        if cached is None:
            raise NotAuthenticated("Invalid or expired credentials.")
    return cached


async def _counted(principal: Principal, rpm: int) -> LimitStatus:
    """Count the request against the principal's limit; 429 when it is over."""
    status = await rate_limits.hit_async(f"{rpm}/minute", LIMIT_NAME, str(principal.user_id))
    if not status.allowed:
        raise _rate_limited(status)
    return status


async def _admit_cached(keys: list[str]) -> Admission | None:
    """The one-round-trip path; None when the principal is not cached."""
    result = await _run_gate_script(keys, [repr(time.time()), WINDOW_SECONDS, CACHE_FORMAT])
    if result[0] != 1:
        return None
    decoded = _decode_principal(result[4])
    if decoded is None:
        return None
    principal, rpm = decoded
    status = _status(rpm, int(result[2]), float(result[3]), result[1] == 1)
    if not status.allowed:
        raise _rate_limited(status)
    generation = int(result[6]) if result[6] is not None else None
    if keys[1]:
        CACHE_LOOKUPS.labels("hit" if result[5] is not None else "miss").inc()
    return Admission(principal, status, result[5], generation)


async def _count_and_fetch(principal: Principal, rpm: int, entry_key: str | None) -> Admission:
    status = await _counted(principal, rpm)
    if not entry_key:
        return Admission(principal, status)
    generation, entry = await run_in_threadpool(lambda: (cache.generation(), cache.get(entry_key)))
    return Admission(principal, status, entry, None if entry is not None else generation)


async def _admit_degraded(token: str, entry_key: str | None) -> Admission:
    """Redis is configured but unreachable: the database says who is calling, the limit is
    counted in process (rate_limits falls back by itself), and there is no cache entry."""
    principal, rpm = await _known_principal(token, None)
    status = await _counted(principal, rpm)
    if not entry_key:
        return Admission(principal, status)
    CACHE_LOOKUPS.labels("unavailable").inc()
    return Admission(principal, status, None, cache.OUTAGE_GENERATION)


async def _admit_in_process(token: str, entry_key: str | None) -> Admission:
    raw = cache.get(principal_cache_key(token))
    principal, rpm = await _known_principal(token, _decode_principal(raw) if raw else None)
    status = await _counted(principal, rpm)
    if not entry_key:
        return Admission(principal, status)
    generation = cache.generation()  # in process: no I/O
    entry = cache.get(entry_key)
    return Admission(principal, status, entry, None if entry is not None else generation)


async def _admit_redis_py(token: str, entry_key: str | None) -> Admission:
    """The same admission with the stock clients (benchmarks compare it with the one-script
    path): redis-py (hiredis parser) reads the principal, the entry and the generation in one
    pipeline, then `limits`' own async moving window counts the request."""
    client = get_async_redis()
    pipe = client.pipeline(transaction=False)
    pipe.get(cache.KEY_PREFIX + principal_cache_key(token))
    if entry_key:
        pipe.get(cache.KEY_PREFIX + entry_key)
        pipe.get(cache.GENERATION_KEY)
    found = await pipe.execute()
    cached = _decode_principal(found[0]) if found[0] else None
    principal, rpm = await _known_principal(token, cached)
    status = await _counted(principal, rpm)
    if not entry_key:
        return Admission(principal, status)
    entry = found[1]
    return Admission(principal, status, entry, None if entry else int(found[2] or 0))


class ApiRateLimited(RateLimited):
    """RateLimited carrying the window, so the 429 has the RateLimit-* headers too."""

    def __init__(self, status: LimitStatus) -> None:
        super().__init__(
            f"Rate limit of {status.limit} requests per minute exceeded; "
            f"retry in {status.retry_after} s.",
            retry_after=status.retry_after,
        )
        self.status = status


def _rate_limited(status: LimitStatus) -> ApiRateLimited:
    return ApiRateLimited(status)


def rate_limit_headers(status: LimitStatus) -> dict[str, str]:
    """The RateLimit-* headers (IETF draft): limit, what is left, seconds until a slot frees."""
    return {
        "RateLimit-Limit": str(status.limit),
        "RateLimit-Remaining": str(status.remaining),
        "RateLimit-Reset": str(max(0, int(status.reset_at - time.time() + 0.999))),
    }
