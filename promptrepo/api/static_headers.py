"""ASGI middleware for the frontend's static files, placed in the app's `api_transformer` chain.

- Files under /assets/ carry a content hash in their name (vite), so they never change:
  they get `Cache-Control: public, max-age=31536000, immutable`.
- A page path without its trailing slash ("/pricing") is served as "/pricing/" directly
  instead of answering with a 307 redirect (one round trip less for every first visit).
- Prerendered pages and the rest of the static files are revalidated on each visit
  (`no-cache`: the ETag makes that cheap), so a new deploy shows up at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
# Paths that belong to the backend (API, websocket, Reflex's own endpoints).
BACKEND_PREFIXES = ("/api", "/_event", "/_upload", "/ping", "/_health", "/_all_routes")


def _static_dir() -> Path:
    from reflex.utils import prerequisites
    from reflex_base import constants

    return (prerequisites.get_web_dir() / constants.Dirs.STATIC).resolve()


class StaticHeadersMiddleware:
    def __init__(self, app, static_dir: Callable[[], Path] = _static_dir) -> None:
        self.app = app
        self._static_dir = static_dir
        self._dir: Path | None = None

    def _page_dir_exists(self, path: str) -> bool:
        if self._dir is None:
            self._dir = self._static_dir()
        candidate = (self._dir / path.strip("/") / "index.html").resolve()
        return candidate.is_relative_to(self._dir) and candidate.is_file()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(BACKEND_PREFIXES):
            await self.app(scope, receive, send)
            return
        last = path.rsplit("/", 1)[-1]
        if (
            path != "/"
            and not path.endswith("/")
            and "." not in last
            and self._page_dir_exists(path)
        ):
            scope = {**scope, "path": path + "/", "raw_path": (path + "/").encode()}
        immutable = path.startswith("/assets/")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers", []))
                has_policy = any(k.lower() == b"cache-control" for k, _ in headers)
                if immutable:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", IMMUTABLE))
                elif not has_policy:
                    headers.append((b"cache-control", REVALIDATE))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def static_headers(app) -> StaticHeadersMiddleware:
    """The `api_transformer` entry: wrap the whole ASGI app."""
    return StaticHeadersMiddleware(app)
