"""When a change to the published prompts a user can read last happened (a label moved, a
prompt deleted), remembered for RECENT_SECONDS in Redis (this process's memory without it).

A client that was not listening when it happened can be told on its return: an MCP session
whose notification stream opens late, or again after a proxy closed it, on whichever worker
or server (api/mcp_server.py). `changes` notes each such change after its commit.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from promptrepo.services import redis_client
from promptrepo.services.principal import Principal

RECENT_SECONDS = 30
_KEY = "prompt-change:"
_local: dict[str, tuple[float, float]] = {}  # without Redis: key → (changed at, expires at)
_lock = threading.Lock()


def _keys(user_id: str, project_id: str) -> tuple[str, str]:
    """The reader's key for any of their projects, and for this one (a project's API key)."""
    return f"{_KEY}{user_id}", f"{_KEY}{user_id}:{project_id}"


def note(event: dict[str, Any]) -> None:
    """Remember that everyone who reads the event's project saw a change now."""
    at = time.time()
    project_id = str(event.get("project_id", ""))
    readers = [event.get("owner_id"), *(event.get("member_ids") or [])]
    keys = [key for reader in readers if reader for key in _keys(str(reader), project_id)]
    client = redis_client.get_redis()
    if client is not None and redis_client.usable():
        try:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.set(key, repr(at), ex=RECENT_SECONDS)
            pipe.execute()
            return
        except redis_client.REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "recent_changes")
    with _lock:
        for stale in [k for k, (_, expires) in _local.items() if expires < at]:
            del _local[stale]
        for key in keys:
            _local[key] = (at, at + RECENT_SECONDS)


async def changed_since(principal: Principal, since: float) -> bool:
    """Whether a change the caller can read happened at or after `since` (epoch seconds),
    within the last RECENT_SECONDS."""
    anywhere, in_project = _keys(str(principal.user_id), str(principal.api_key_project_id))
    key = anywhere if principal.api_key_project_id is None else in_project
    value: Any = None
    client = redis_client.get_async_redis()
    if client is not None and redis_client.usable():
        try:
            value = await client.get(key)
        except redis_client.REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "recent_changes")
    if value is None:
        with _lock:
            entry = _local.get(key)
        if entry is not None and entry[1] >= time.time():
            value = entry[0]
    return value is not None and float(value) >= since


def clear_local() -> None:
    """Forget what this process remembers without Redis (tests)."""
    with _lock:
        _local.clear()
