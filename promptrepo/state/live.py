"""Live views: follow a fan-out topic from a background task and refresh the view on each change.

A page starts `follow(...)` from a background event listed in its `on_load`, marked
`supersedes=True`: Reflex cancels the previous page-load chain (and so this task) when the
same tab navigates, reloads or disconnects, so a tab never holds more than one follower.
`still_wanted` is checked on every message as a second guard (e.g. the tab moved on to
another project), and the subscription is closed when the loop ends either way.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from promptrepo.observability import get_logger
from promptrepo.services import events

log = get_logger(__name__)


async def follow(
    state: rx.State,
    topic: str,
    *,
    refresh: Callable[[], None],
    still_wanted: Callable[[], bool],
) -> None:
    """Refresh `state` (under its lock) after every message on `topic`, until unwanted."""
    messages = events.subscribe([topic])
    try:
        async for _message in messages:
            async with state:
                if not still_wanted():
                    return
                try:
                    refresh()
                except Exception:  # a failed refresh must not end live updates
                    log.exception("live_refresh_failed", topic=topic)
    finally:
        await messages.aclose()
