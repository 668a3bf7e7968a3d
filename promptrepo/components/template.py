"""`@template(...)`: registers a page and wraps it in the shared shell."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from promptrepo.components.layout import shell
from promptrepo.settings import settings
from promptrepo.state.base import AppState

DEFAULT_DESCRIPTION = (
    "PromptRepo: write, test, version and serve the prompts your LLM applications use."
)
# The social preview picture (1200x630), in assets/.
OG_IMAGE = "/og-image.png"
SITE_NAME = "PromptRepo"


def absolute_url(path: str) -> str:
    """`path` on the public address (settings.public_url), as crawlers and social sites need."""
    return settings.public_url.rstrip("/") + path


def page_meta(
    route: str, title: str, description: str, image: str = OG_IMAGE
) -> list[dict[str, str]]:
    """Open Graph and Twitter card tags for a page (title/description tags come from Reflex)."""
    # Dynamic routes ("/projects/[project_id]") have no single canonical address.
    static = "[" not in route
    url_tags = [{"property": "og:url", "content": absolute_url(route)}] if static else []
    return [
        {"property": "og:title", "content": title},
        {"property": "og:description", "content": description},
        {"property": "og:type", "content": "website"},
        {"property": "og:site_name", "content": SITE_NAME},
        *url_tags,
        {"property": "og:image:width", "content": "1200"},
        {"property": "og:image:height", "content": "630"},
        {"property": "og:image:alt", "content": DEFAULT_DESCRIPTION},
        {"name": "twitter:card", "content": "summary_large_image"},
        {"name": "twitter:title", "content": title},
        {"name": "twitter:description", "content": description},
        {"name": "twitter:image", "content": absolute_url(image)},
    ]


def template(
    route: str,
    title: str,
    *,
    description: str = DEFAULT_DESCRIPTION,
    on_load: Any = None,
    meta: list[dict[str, str]] | None = None,
    image: str = OG_IMAGE,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register `route` with a title, description and Open Graph tags, inside the shell.

    `on_load` defaults to `AppState.load_user` so the navbar knows who is signed in.
    `image` is the social preview picture's path in assets/ (made absolute for og:image).
    """
    handlers = on_load if on_load is not None else AppState.load_user
    tags = [*page_meta(route, title, description, image), *(meta or [])]

    def decorator(page: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        @rx.page(
            route=route,
            title=title,
            description=description,
            image=absolute_url(image),
            meta=tags,
            on_load=handlers,
        )
        def wrapped() -> rx.Component:
            return shell(page())

        wrapped.__name__ = page.__name__
        wrapped.__qualname__ = page.__qualname__
        # Reflex writes a page's memoized components into a JS module mirroring the Python
        # module the page function comes from. Without this, every page's memos would land in
        # one shared `components/template` module, and every page would download what any
        # page needs (the admin's charts on the landing page).
        wrapped.__module__ = page.__module__
        return wrapped

    return decorator
