"""Live views: follow a fan-out topic from a background task and refresh the view on each change.

A page's `on_load` gives the tab a new follower id and starts a background event marked
`supersedes=True` with it (or the follower records a fresh id in the state when it starts).
Three things end a follower, so a tab never keeps more than one:
- Reflex cancels the previous page-load chain (and so this task) when the same tab
  navigates, reloads or disconnects on the same worker;
- `still_wanted()` is checked on every message and every LOCKED_CHECK_BEATS heartbeats: it
  is false once a newer page load replaced the follower id, or the tab shows another page or
  project (this covers a reload that reconnected to another worker: the tab's new websocket
  makes the old follower check at its next heartbeat, and once more at the one after, when
  the new page load's follower has surely recorded its id);
- every heartbeat (HEARTBEAT_SECONDS) stops the task once the tab's websocket is gone from
  every worker; that check needs no state lock.
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
LOCKED_CHECK_BEATS = 6  # a quiet follower takes the state's lock every 30 s


# The running rx.App, handed over by the app module (`register_app`) so that this module
# does not import the app module: imports flow down, pages → state → services.
_app: Any = None


def register_app(app: Any) -> None:
    """Tell live views which app's websockets to consult (called once by the app module)."""
    global _app
    _app = app


def socket_of(token: str) -> str | None:
    """The session id of the tab's websocket, None when it has none, "" when unknown."""
    if _app is None:
        return ""
    try:
        namespace = _app.event_namespace
        if namespace is None:
            return ""
        record = namespace._token_manager.token_to_socket.get(token)
        return record.sid if record is not None else None
    except Exception:  # internals moved: fall back to the locked check
        return ""


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
    relevant: Callable[[list[dict]], bool] | None = None,
    probe: Callable[[list[dict], str], Any] | None = None,
) -> None:
    """Refresh `state` (under its lock) after messages on `topic`, while still wanted.
    `relevant(messages)`, asked under the lock, may decline a refresh the messages do not call
    for (e.g. the tab's own autosave coming back). `probe(messages, client_token)`, asked
    without the lock on every heartbeat and message (the token is the tab's client token;
    it may be a coroutine function, awaited, so its I/O never blocks the loop), says whether a refresh is needed at all; when it says no, no state round trip is
    made (presence: its heartbeat and the list of who is here need no lock, only a changed
    list does; the editor: a save of another prompt, or its own).

    A quiet heartbeat only checks, without the state's lock, that the tab is still on the
    websocket it had when the follower started or at the last locked check; the locked
    `still_wanted()` check runs when it is not (a reload, a reconnect), on every message, and
    every LOCKED_CHECK_BEATS beats, so an idle tab costs no state round trip most of the
    time, and a new follower none at all until then."""
    queue: asyncio.Queue[dict] = asyncio.Queue()

    async def pump() -> None:
        async for message in events.subscribe([topic]):
            queue.put_nowait(message)

    pump_task = asyncio.create_task(pump())
    pending: list[dict] = []  # changes seen while the state could not be locked
    token: str | None = None
    sid: str | None = None  # the tab's websocket at the last check
    recheck = False  # the websocket changed at the last locked check: check again
    with contextlib.suppress(Exception):  # the tab's token needs no lock (the router's)
        token = state.router.session.client_token
        sid = socket_of(token)
    quiet_beats = 0
    try:
        while True:
            messages: list[dict] = []
            with contextlib.suppress(TimeoutError):  # a heartbeat
                messages.append(await asyncio.wait_for(queue.get(), timeout=heartbeat))
            while not queue.empty():  # several changes at once: one refresh
                messages.append(queue.get_nowait())
            if pump_task.done():  # the subscription failed: the next page load retries
                log.warning("live_subscription_ended", topic=topic)
                return
            probed = False
            if probe is not None:
                try:
                    answer = probe(messages, token or "")
                    if inspect.isawaitable(answer):  # e.g. presence's Redis round trip
                        answer = await answer
                    probed = bool(answer)
                except REDIS_ERRORS:
                    probed = True  # cannot tell without Redis: take the locked way
                if not probed:
                    messages = []  # nothing in them calls for a refresh
            if not messages and not pending and not probed and token is not None:
                quiet_beats += 1
                now = socket_of(token)
                if now is None:  # the tab's websocket is gone from every worker
                    return
                if now and now == sid and not recheck and quiet_beats % LOCKED_CHECK_BEATS:
                    continue  # same websocket as at the last check: still the same page
            changes, pending = pending + messages, []
            try:
                async with state:
                    token = state.router.session.client_token
                    if not still_wanted() or not client_connected(token):
                        return
                    now = socket_of(token)
                    recheck, sid = sid is not None and now != sid, now
                    if (changes or probed) and (relevant is None or relevant(changes)):
                        try:
                            result = refresh()
                            if inspect.isawaitable(result):  # e.g. a refresh that renders
                                await result
                        except Exception:  # a failed refresh must not end live updates
                            log.exception("live_refresh_failed", topic=topic)
            except REDIS_ERRORS as exc:  # the state lives in Redis, which is away: retry later
                pending = changes
                log.warning("live_state_unavailable", topic=topic, error=type(exc).__name__)
    finally:
        pump_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump_task


def new_follower_id() -> str:
    """A fresh id for the follower a page load starts (older followers of the tab then stop)."""
    return uuid.uuid4().hex
