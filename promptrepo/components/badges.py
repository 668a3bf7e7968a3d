"""Small status badges shared by several pages."""

from __future__ import annotations

import reflex as rx


def visibility_badge(is_public) -> rx.Component:
    """Public (globe) or Private (lock), for a project."""
    return rx.cond(
        is_public,
        rx.badge(rx.icon("globe", size=12), "Public", color_scheme="green", variant="soft"),
        rx.badge(rx.icon("lock", size=12), "Private", color_scheme="gray", variant="soft"),
    )


def count_text(count, singular: str, plural: str | None = None) -> rx.Var:
    """`1 prompt` / `2 prompts` for a count held in the state (the page-side twin of
    formatting.count_of)."""
    return count.to_string() + rx.cond(count == 1, " " + singular, " " + (plural or singular + "s"))
