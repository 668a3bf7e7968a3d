"""ASGI middleware for /api/v1 and /api/public: the body-size limit and the RateLimit-* headers.

Pure ASGI (no BaseHTTPMiddleware) so it costs next to nothing on the hot path, and it leaves
every other path (Reflex pages, the websocket) untouched.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptrepo.api.errors import problem
from promptrepo.api.gate import rate_limit_headers

API_PREFIXES = ("/api/v1", "/api/public")


class ApiGuardMiddleware:
    """Refuses bodies over `max_body_bytes` with 413 (by Content-Length and while streaming),
    and adds RateLimit-Limit/Remaining/Reset to every response of a rate-limited request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_large = int(value) > limit
                except ValueError:
                    too_large = False
                if too_large:
                    await _too_large()(scope, receive, send)
                    return
                break

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises an HTTPException met while reading the body.
                    raise HTTPException(413, _too_large_detail(limit))
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = scope.get("state", {}).get("ratelimit")
                if status is not None:
                    headers = list(message.get("headers", []))
                    headers.extend(
                        (k.lower().encode(), v.encode())
                        for k, v in rate_limit_headers(status).items()
                    )
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


def _too_large():
    from promptrepo.settings import settings

    return problem(413, "Content too large", _too_large_detail(settings.api_max_body_bytes))
