"""MCP sessions that every worker can serve.

The `mcp` SDK keeps a streamable-HTTP session in the memory of the process that answered its
`initialize`; with several workers (or servers) the next request of the same session often
reaches another one, which answered "Session not found". Here a session is also written to a
registry every worker reads (Redis when configured, this process's memory otherwise): its id,
a hash of the credential that opened it, and the protocol version. A worker that receives a
request for a session it has not seen, sent with the same credential, *adopts* it: it starts a
server loop for that id whose handshake is already done, and serves the request. Sessions hold
no other state here (every handler reads the database or the cache), so any copy answers
alike. `prompts/list_changed` reaches a client through whichever copy holds its GET stream:
every worker notifies its own copies (api/mcp.py). A copy is known to its worker by the
messages it serves, or, for a worker that only holds the stream (it answered `initialize`, and
every later call went elsewhere), by the stream itself: `on_stream_opened` hands the server a
`StreamNotifier` for it. A GET stream that opens late (a slow client, or one reconnecting after
a proxy closed it) may have missed a notification: `on_stream_opened` also lets the server
catch it up.

Adoption drives the SDK's own pieces (`StreamableHTTPServerTransport`, `JSONRPCDispatcher`,
`Connection`, `serve_connection`) the way its session manager does for a new session; the
`mcp` version is pinned in uv.lock and tests/api/test_mcp.py serves one session from two
workers, so an upgrade that changes these internals fails there first.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskStatus
from mcp.server.connection import Connection
from mcp.server.runner import serve_connection
from mcp.server.streamable_http import (
    GET_STREAM_KEY,
    MCP_SESSION_ID_HEADER,
    StreamableHTTPServerTransport,
)
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
from mcp.shared.message import SessionMessage
from mcp.types import JSONRPCNotification

from promptrepo.observability import get_logger
from promptrepo.services import redis_client

log = get_logger(__name__)
# As long as the SDK keeps an idle session (DEFAULT_SESSION_IDLE_TIMEOUT); refreshed on use.
SESSION_TTL_SECONDS = 30 * 60
STREAM_OPEN_WAIT_SECONDS = 5.0  # how long `on_stream_opened` waits for a GET stream to open
_KEY = "mcp-session:"
_local: dict[str, tuple[str, float]] = {}  # without Redis: session id → (record, expires at)


def credential_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def register(
    session_id: str, credential: str, protocol_version: str | None, opened_at: float = 0.0
) -> None:
    """Record (or refresh) a session so that every worker can serve it; `opened_at` is when
    it was opened (epoch seconds)."""
    record = json.dumps(
        {"credential": credential, "protocol_version": protocol_version, "opened_at": opened_at}
    )
    client = redis_client.get_async_redis()
    if client is not None and redis_client.usable():
        try:
            await client.set(_KEY + session_id, record, ex=SESSION_TTL_SECONDS)
            return
        except redis_client.REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "mcp_sessions")
    now = time.monotonic()
    for stale in [sid for sid, (_, expires) in _local.items() if expires < now]:
        del _local[stale]
    _local[session_id] = (record, now + SESSION_TTL_SECONDS)


async def lookup(session_id: str) -> dict[str, Any] | None:
    record = None
    client = redis_client.get_async_redis()
    if client is not None and redis_client.usable():
        try:
            record = await client.get(_KEY + session_id)
        except redis_client.REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "mcp_sessions")
    if record is None:
        entry = _local.get(session_id)
        record = entry[0] if entry and entry[1] >= time.monotonic() else None
    return json.loads(record) if record else None


async def forget(session_id: str) -> None:
    _local.pop(session_id, None)
    client = redis_client.get_async_redis()
    if client is not None and redis_client.usable():
        try:
            await client.delete(_KEY + session_id)
        except redis_client.REDIS_ERRORS as exc:
            redis_client.report_failure(exc, "mcp_sessions")


class StreamNotifier:
    """Sends `prompts/list_changed` to a session's GET stream on this worker, through its
    transport (the way the session's own server loop sends a notification that answers no
    request), for a session this worker holds the stream of but has served no message of."""

    def __init__(self, transport: StreamableHTTPServerTransport) -> None:
        self.transport = transport

    async def send_prompt_list_changed(self) -> None:
        stream = self.transport._write_stream
        if stream is None or self.transport.is_terminated:
            raise anyio.ClosedResourceError
        notification = JSONRPCNotification(
            jsonrpc="2.0", method="notifications/prompts/list_changed"
        )
        await stream.send(SessionMessage(notification))


def _header(scope, name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in scope["headers"]:
        if key == wanted:
            return value.decode("latin-1")
    return None


class SharedSessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, plus: sessions are registered for every worker, and a
    request for a session opened elsewhere (by the same credential) is served here too.

    `on_adopted(session_id, connection, caller)` is called for each adopted copy, so the
    caller can notify it (the SDK's own sessions are seen by the server's middleware).
    `on_stream_opened(session_id, caller, opened_at, notifier)` is awaited once a session's
    GET stream (where notifications go) is open on this worker; `opened_at` is when the
    session was opened, on whichever worker (epoch seconds); `notifier` sends to that stream
    (a `StreamNotifier`)."""

    def __init__(
        self,
        *args,
        on_adopted: Callable[[str, Connection, Any], None],
        on_stream_opened: Callable[[str, Any, float, StreamNotifier], Awaitable[None]]
        | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._on_adopted = on_adopted
        self._on_stream_opened = on_stream_opened
        self._opened: dict[str, float] = {}  # session id → opened at, for the sessions here

    def _note_opened(self, session_id: str, opened_at: float) -> float:
        if session_id not in self._opened:
            for gone in [sid for sid in self._opened if sid not in self._server_instances]:
                del self._opened[gone]
            self._opened[session_id] = opened_at
        return self._opened[session_id]

    async def handle_shared(
        self, scope, receive, send, *, credential: str, caller: Any = None
    ) -> None:
        """Serve one request to /mcp; `credential` is the hash of the caller's credential
        (a session is served only to the one that opened it), `caller` goes to
        `on_adopted`."""
        session_id = _header(scope, MCP_SESSION_ID_HEADER)
        if scope["method"] == "DELETE" and session_id:
            await forget(session_id)
        elif session_id and session_id not in self._server_instances:
            record = await lookup(session_id)
            if record is not None and record["credential"] == credential:
                protocol = _header(scope, MCP_PROTOCOL_VERSION_HEADER) or record.get(
                    "protocol_version"
                )
                self._note_opened(session_id, float(record.get("opened_at") or 0.0))
                await self._adopt(session_id, protocol, caller)

        async def register_then_send(message) -> None:
            # Registered before the client sees the id: its next request may go elsewhere.
            if message["type"] == "http.response.start" and message["status"] < 400:
                for key, value in message.get("headers", ()):
                    if key.decode("latin-1").lower() == MCP_SESSION_ID_HEADER:
                        protocol = _header(scope, MCP_PROTOCOL_VERSION_HEADER)
                        sid = value.decode("latin-1")
                        opened = self._note_opened(sid, time.time())
                        await register(sid, credential, protocol, opened)
            await send(message)

        watcher = None
        if scope["method"] == "GET" and session_id and self._on_stream_opened is not None:
            transport = self._server_instances.get(session_id)
            if transport is not None:
                watcher = asyncio.get_running_loop().create_task(
                    self._when_stream_opens(transport, session_id, caller)
                )
        try:
            await self.handle_request(
                scope, receive, send if scope["method"] == "DELETE" else register_then_send
            )
        finally:
            if watcher is not None:  # a refused GET ends at once: stop waiting for its stream
                watcher.cancel()

    async def _when_stream_opens(
        self, transport: StreamableHTTPServerTransport, session_id: str, caller: Any
    ) -> None:
        # The SDK opens the stream in a task of the GET's response; only then does a
        # notification reach the client (before, it is dropped).
        deadline = time.monotonic() + STREAM_OPEN_WAIT_SECONDS
        while GET_STREAM_KEY not in transport._request_streams:
            if time.monotonic() > deadline or transport.is_terminated:
                return
            await asyncio.sleep(0.01)
        assert self._on_stream_opened is not None
        try:
            await self._on_stream_opened(
                session_id, caller, self._opened.get(session_id, 0.0), StreamNotifier(transport)
            )
        except Exception:
            log.exception("mcp_stream_opened_failed", session=session_id[:12])

    async def _adopt(self, session_id: str, protocol_version: str | None, caller: Any) -> None:
        async with self._session_creation_lock:
            if session_id in self._server_instances or self._task_group is None:
                return
            transport = StreamableHTTPServerTransport(
                mcp_session_id=session_id,
                is_json_response_enabled=self.json_response,
                event_store=self.event_store,
                security_settings=self.security_settings,
                retry_interval=self.retry_interval,
                idle_timeout=self.session_idle_timeout,
            )
            self._server_instances[session_id] = transport

            async def run(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
                async with transport.connect() as (read_stream, write_stream):
                    task_status.started()
                    try:
                        idle_scope = transport.idle_scope or anyio.CancelScope()
                        with idle_scope:
                            dispatcher = JSONRPCDispatcher(
                                read_stream, write_stream, inline_methods=frozenset({"initialize"})
                            )
                            # The client finished the handshake with another worker.
                            connection = Connection.for_loop(
                                dispatcher,
                                session_id=session_id,
                                protocol_version_hint=protocol_version,
                            )
                            connection.initialized.set()
                            self._on_adopted(session_id, connection, caller)
                            await serve_connection(
                                self.app,
                                dispatcher,
                                connection=connection,
                                lifespan_state=self._lifespan_state,
                            )
                    except Exception:
                        log.exception("mcp_adopted_session_crashed", session=session_id[:12])
                    finally:
                        await self._discard_session(session_id, transport)

            await self._task_group.start(run)
        log.info("mcp_session_adopted", session=session_id[:12])
