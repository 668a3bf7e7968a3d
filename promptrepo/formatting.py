"""Text formatting shared by several states (no Reflex, no database)."""

from __future__ import annotations

from datetime import datetime


def format_when(moment: datetime | None) -> str:
    """A date for lists and cards: `30 Nov 2026, 13:05 UTC` ("" for none)."""
    return moment.strftime("%d %b %Y, %H:%M UTC") if moment else ""


def format_timestamp(moment: datetime | None, empty: str = "") -> str:
    """A sortable timestamp for histories and keys: `2026-11-30 13:05 UTC` (`empty` for none)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else empty


def count_of(count: int, singular: str, plural: str | None = None) -> str:
    """`1 prompt`, `2 prompts`, `0 prompts` (`plural` for words that do not add an s)."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
