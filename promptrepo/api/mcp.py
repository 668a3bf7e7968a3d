"""/mcp: authenticates each request, then hands it to the MCP server (api/mcp_server.py).

Every HTTP request to /mcp carries `Authorization: Bearer <API key>`, checked by
`gate.admit` (so the plan's rate limit counts it). The MCP SDK and the server are imported
with the first MCP request, not at start: importing them takes seconds, and most servers
start far more often than they are asked for MCP.
"""

from __future__ import annotations

import json

from promptrepo.api import gate
from promptrepo.services.errors import NotAuthenticated, RateLimited

MCP_PATH = "/mcp"
PRINCIPAL_STATE = "mcp_principal"


async def _json_error(send, status: int, message: str, headers=()) -> None:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": message}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class McpEndpoint:
    """ASGI middleware: /mcp goes to the MCP session manager (after authentication), anything
    else to the wrapped app."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != MCP_PATH:
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
        token = gate.bearer_token(authorization)
        try:
            if token is None:
                raise NotAuthenticated("Send 'Authorization: Bearer <API key>'.")
            admission = await gate.admit(token)
        except NotAuthenticated as exc:
            await _json_error(send, 401, exc.message, [(b"www-authenticate", b"Bearer")])
            return
        except RateLimited as exc:
            await _json_error(
                send, 429, exc.message, [(b"retry-after", str(exc.retry_after).encode())]
            )
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE] = admission.principal
        scope["state"]["ratelimit"] = admission.limit
        from promptrepo.api import mcp_server, mcp_sessions

        state = await mcp_server.loop_state()
        await state.manager.handle_shared(
            scope,
            receive,
            send,
            credential=mcp_sessions.credential_hash(token),
            caller=admission.principal,
        )
