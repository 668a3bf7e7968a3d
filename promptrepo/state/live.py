"""Live views: follow a fan-out topic from a background task and refresh the view on each change.

A page's `on_load` gives the tab a new follower id and starts a background event marked
`supersedes=True` with it. Three things end a follower, so a tab never keeps more than one:
- Reflex cancels the previous page-load chain (and so this task) when the same tab
  navigates, reloads or disconnects on the same worker;
- `still_wanted()` is checked on every message and every HEARTBEAT_SECONDS: it is false once
  a newer page load replaced the follower id, or the tab shows another page or project
  (this covers a reload that reconnected to another worker);
- the heartbeat also stops the task once the tab's websocket is gone from every worker.
The subscription is closed when the loop ends, whichever way.

A Redis outage does not end a follower: the subscription reconnects by itself (and then sends
a "resumed" message, which refreshes the view), and while Reflex's state (kept in Redis too)
cannot be locked, the refresh waits for the next heartbeat instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import uuid
from collections.abc import Callable
from typing import Any

from promptrepo.observability import get_logger
from promptrepo.services import events
from promptrepo.services.redis_client import REDIS_ERRORS

log = get_logger(__name__)

HEARTBEAT_SECONDS = 5.0


# The running rx.App, handed over by the app module (`register_app`) so that this module
# does not import the app module: imports flow down, pages → state → services.
_app: Any = None


def register_app(app: Any) -> None:
    """Tell live views which app's websockets to consult (called once by the app module)."""
    global _app
    _app = app


def client_connected(token: str) -> bool:
    """Whether the tab with this client token still has a websocket (on any worker we know of).

    Reads the app's token manager (with Redis it learns about other workers' sockets through
    keyspace notifications); if that cannot be read, assume connected.
    """
    if _app is None:
        return True
    try:
        namespace = _app.event_namespace
        if namespace is None:
            return True
        return token in namespace._token_manager.token_to_socket
    except Exception:  # internals moved: never stop live updates because of this check
        return True


async def follow(
    state: Any,
    topic: str,
    *,
    refresh: Callable[[], Any],
    still_wanted: Callable[[], bool],
    heartbeat: float = HEARTBEAT_SECONDS,
    every_beat: bool = False,
) -> None:
    """Refresh `state` (under its lock) after messages on `topic`, while still wanted;
    with `every_beat` also on every heartbeat (presence: a heartbeat is also the moment to
    notice who dropped out)."""
    queue: asyncio.Queue[dict] = asyncio.Queue()

    async def pump() -> None:
        async for message in events.subscribe([topic]):
            queue.put_nowait(message)

    pump_task = asyncio.create_task(pump())
    pending = False  # a change seen while the state could not be locked
    try:
        while True:
            try:
                await asyncio.wait_for(queue.get(), timeout=heartbeat)
                changed = True
            except TimeoutError:
                changed = False
            while not queue.empty():  # several changes at once: one refresh
                queue.get_nowait()
            if pump_task.done():  # the subscription failed: the next page load retries
                log.warning("live_subscription_ended", topic=topic)
                return
            try:
                async with state:
                    token = state.router.session.client_token
                    if not still_wanted() or not client_connected(token):
                        return
                    if changed or pending or every_beat:
                        pending = False
                        try:
                            result = refresh()
                            if inspect.isawaitable(result):  # e.g. a refresh that renders
                                await result
                        except Exception:  # a failed refresh must not end live updates
                            log.exception("live_refresh_failed", topic=topic)
            except REDIS_ERRORS as exc:  # the state lives in Redis, which is away: retry later
                pending = pending or changed
                log.warning("live_state_unavailable", topic=topic, error=type(exc).__name__)
    finally:
        pump_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump_task


def new_follower_id() -> str:
    """A fresh id for the follower a page load starts (older followers of the tab then stop)."""
    return uuid.uuid4().hex
