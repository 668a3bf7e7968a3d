"""`@template(...)`: registers a page and wraps it in the shared shell."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from promptrepo.components.layout import shell
from promptrepo.state.base import AppState

DEFAULT_DESCRIPTION = (
    "PromptRepo: write, test, version and serve the prompts your LLM applications use."
)


def template(
    route: str,
    title: str,
    *,
    description: str = DEFAULT_DESCRIPTION,
    on_load: Any = None,
    meta: list[dict[str, str]] | None = None,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register `route` with a title, description and Open Graph tags, inside the shell.

    `on_load` defaults to `AppState.load_user` so the navbar knows who is signed in.
    """
    handlers = on_load if on_load is not None else AppState.load_user
    page_meta = [
        {"name": "description", "content": description},
        {"property": "og:title", "content": title},
        {"property": "og:description", "content": description},
        {"property": "og:type", "content": "website"},
        *(meta or []),
    ]

    def decorator(page: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        @rx.page(
            route=route, title=title, description=description, meta=page_meta, on_load=handlers
        )
        def wrapped() -> rx.Component:
            return shell(page())

        wrapped.__name__ = page.__name__
        return wrapped

    return decorator
