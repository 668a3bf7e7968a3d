"""How often each version of a prompt was served, per minute, for the prompt page.

Counting must cost the serving path next to nothing (a Redis round trip per request would
halve cached `resolve`'s throughput, see TOOLCHAIN's baselines), so `record` only adds to an
in-process dict; every FLUSH_SECONDS each server process adds its counts to Redis in one
pipelined round trip (`HINCRBY promptrepo:served:<prompt>:<hour> <minute>:<version> n`, kept
KEEP_HOURS), where every process's counts meet. Without Redis (one process) they stay in
process. Counts are statistics, not records: a process killed between flushes loses at most
FLUSH_SECONDS of them, and a Redis outage keeps them pending until it answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlmodel import Session

from promptrepo.services import access, redis_client
from promptrepo.services.principal import Principal
from promptrepo.services.redis_client import REDIS_ERRORS, get_redis

log = structlog.get_logger(__name__)

KEY_PREFIX = "promptrepo:served:"
FLUSH_SECONDS = 5.0
KEEP_HOURS = 24
MAX_PENDING = 100_000  # distinct (prompt, minute, version) counters held while Redis is away

# (prompt id, minute since the epoch, version) -> requests served
_pending: dict[tuple[str, int, int], int] = {}
_local: dict[tuple[str, int, int], int] = {}  # without Redis: everything counted, pruned


def record(prompt_id: str, version: int) -> None:
    """Count one request served with `version` of the prompt (on the serving path: no I/O)."""
    if not prompt_id:
        return
    key = (prompt_id, int(time.time()) // 60, version)
    _pending[key] = _pending.get(key, 0) + 1


def _hash_key(prompt_id: str, hour: int) -> str:
    return f"{KEY_PREFIX}{prompt_id}:{hour}"


def flush() -> None:
    """Add the counts recorded since the last flush to Redis (or to this process's totals
    without Redis). Blocking: call it from a thread or a synchronous handler."""
    global _pending
    pending, _pending = _pending, {}
    if not pending:
        return
    client = get_redis()
    if client is None:
        for key, count in pending.items():
            _local[key] = _local.get(key, 0) + count
        oldest = int(time.time()) // 60 - KEEP_HOURS * 60
        for key in [k for k in _local if k[1] < oldest]:
            del _local[key]
        return
    if not redis_client.usable():
        _keep(pending)
        return
    pipe = client.pipeline(transaction=False)
    for (prompt_id, minute, version), count in pending.items():
        name = _hash_key(prompt_id, minute // 60)
        pipe.hincrby(name, f"{minute}:{version}", count)
        pipe.expire(name, (KEEP_HOURS + 1) * 3600)
    try:
        pipe.execute()
    except REDIS_ERRORS as exc:
        redis_client.report_failure(exc, "served_counts.flush")
        _keep(pending)


def _keep(pending: dict[tuple[str, int, int], int]) -> None:
    """Put counts that could not be flushed back for the next flush (bounded)."""
    for key, count in pending.items():
        if key in _pending or len(_pending) < MAX_PENDING:
            _pending[key] = _pending.get(key, 0) + count


def _read(prompt_id: str, first_minute: int, last_minute: int) -> dict[tuple[int, int], int]:
    """(minute, version) -> count for the prompt over [first_minute, last_minute]."""
    counts: dict[tuple[int, int], int] = {}
    client = get_redis()
    if client is None:
        for (pid, minute, version), count in _local.items():
            if pid == prompt_id and first_minute <= minute <= last_minute:
                counts[(minute, version)] = counts.get((minute, version), 0) + count
        return counts
    if not redis_client.usable():
        return counts
    pipe = client.pipeline(transaction=False)
    for hour in range(first_minute // 60, last_minute // 60 + 1):
        pipe.hgetall(_hash_key(prompt_id, hour))
    try:
        hashes = pipe.execute()
    except REDIS_ERRORS as exc:
        redis_client.report_failure(exc, "served_counts.read")
        return counts
    for fields in hashes:
        for name, value in fields.items():
            minute_text, _, version_text = name.partition(":")
            minute, version = int(minute_text), int(version_text)
            if first_minute <= minute <= last_minute:
                counts[(minute, version)] = counts.get((minute, version), 0) + int(value)
    return counts


@dataclass
class ServedBucket:
    start: datetime
    counts: dict[int, int]  # version -> requests

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ServedHistory:
    bucket_minutes: int
    buckets: list[ServedBucket]  # oldest first
    totals: dict[int, int] = field(default_factory=dict)  # version -> requests over all buckets

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def served_history(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    hours: int = 6,
    bucket_minutes: int = 60,
    now: float | None = None,
) -> ServedHistory:
    """Requests served per version of the prompt over the last `hours`, in buckets of
    `bucket_minutes` (oldest first; the newest bucket is the current, partial one). Anyone who
    may read the prompt may read its counts."""
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    hours = max(1, min(hours, KEEP_HOURS))
    bucket_minutes = max(1, min(bucket_minutes, 60 * hours))
    flush()  # this process's own recent counts
    last = int(now if now is not None else time.time()) // 60
    last_bucket = last // bucket_minutes
    first_bucket = last_bucket - (hours * 60) // bucket_minutes + 1
    counts = _read(str(prompt.id), first_bucket * bucket_minutes, last)
    buckets = [
        ServedBucket(datetime.fromtimestamp(b * bucket_minutes * 60, UTC), {})
        for b in range(first_bucket, last_bucket + 1)
    ]
    totals: dict[int, int] = {}
    for (minute, version), count in counts.items():
        bucket = buckets[minute // bucket_minutes - first_bucket]
        bucket.counts[version] = bucket.counts.get(version, 0) + count
        totals[version] = totals.get(version, 0) + count
    return ServedHistory(bucket_minutes, buckets, dict(sorted(totals.items())))


def reset() -> None:
    """Forget every count held in this process (tests)."""
    _pending.clear()
    _local.clear()


async def run_flusher() -> None:
    """Flush every FLUSH_SECONDS until cancelled, and once more on the way out."""
    import anyio

    try:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await anyio.to_thread.run_sync(flush)
            except Exception:
                log.exception("served_counts_flush_failed")
    finally:
        with contextlib.suppress(Exception):
            flush()
