"""ASGI middleware: the body-size limit for every request, and /api/v1's RateLimit-* headers.

Pure ASGI (no BaseHTTPMiddleware) so it costs next to nothing on the hot path. The FastAPI
app wraps the whole Reflex backend (api_transformer), so every HTTP request passes here:
API routes, the Stripe webhook and Reflex's own `/_upload` alike. No body is read before its
size is known to fit: a Content-Length over the limit is refused at once, and a body without
one (chunked) is counted as it arrives and refused the moment it passes the limit, so a
200 MB body costs at most the limit in memory. Websockets are left alone.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptrepo.api.errors import problem
from promptrepo.api.gate import rate_limit_headers
from promptrepo.services.transfer import MAX_DOCUMENT_BYTES

API_PREFIX = "/api/v1"
UPLOAD_PREFIX = "/_upload"
# An import file (the one upload in the UI) plus room for the multipart envelope.
UPLOAD_MAX_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024


class ApiGuardMiddleware:
    """Refuses bodies over `max_body_bytes` (uploads: UPLOAD_MAX_BYTES) with 413, by
    Content-Length and while streaming, and adds RateLimit-Limit/Remaining/Reset to every
    response of a rate-limited request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def limit_for(self, path: str) -> int:
        return UPLOAD_MAX_BYTES if path.startswith(UPLOAD_PREFIX) else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_large = int(value) > limit
                except ValueError:
                    too_large = False
                if too_large:
                    await _too_large(limit)(scope, receive, send)
                    return
                break

        received = 0
        refused = False  # we answered 413; the app's own answer, if any, is dropped
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _too_large(limit)(scope, receive, send)
                    # To the app the client has gone: it stops reading and its answer,
                    # if it still sends one, goes nowhere.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
                status = scope.get("state", {}).get("ratelimit")
                if status is not None:
                    headers = list(message.get("headers", []))
                    headers.extend(
                        (k.lower().encode(), v.encode())
                        for k, v in rate_limit_headers(status).items()
                    )
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The app failed on the body we cut off (e.g. ClientDisconnect); 413 was sent.


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit:,} bytes, the most this endpoint accepts."


def _too_large(limit: int):
    return problem(413, "Content too large", _too_large_detail(limit))
