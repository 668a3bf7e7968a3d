"""The MCP server behind /mcp (streamable HTTP, the official `mcp` SDK's low-level Server),
imported by api/mcp.py with the first MCP request (the SDK takes seconds to import).

Every HTTP request to /mcp is authenticated with `Authorization: Bearer <API key>` through
`gate.admit` (so the plan's rate limit counts it), and the handlers act as that key:
- `prompts/list`: the published prompts the key can read, with arguments from the typed
  variables (services/mcp_prompts.py), cursor-paged;
- `prompts/get`: the `production` version through the one serving path (services/serving.py,
  cached), rendered with the arguments; a missing or ill-typed argument is an MCP
  invalid-params error naming it;
- `completion/complete`: an enum argument's options;
- `notifications/prompts/list_changed` to the sessions that can read a prompt whose label
  moved (changes.prompt_event publishes on `prompt-events` after the commit). Each session is
  sent to on its own, with a time limit: a client that stops reading its stream delays no
  one else. A notification sent while a session has no GET stream open is lost (the SDK drops
  it), so a GET stream that opens after such a change, made since the session was opened and
  within recent_changes.RECENT_SECONDS (a client slow to open its stream, or reconnecting
  after a proxy closed it; on any worker or server), is sent one at once; one too many costs
  the client one list.

One session manager per event loop, started with the loop's first MCP request (Reflex does not
run a mounted app's lifespan). Sessions are shared by every worker and server
(api/mcp_sessions.py): a session opened on one is served by any other, and each worker
notifies the copies it holds.
"""

from __future__ import annotations

import asyncio
import base64
import json
import weakref
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.shared.exceptions import MCPError

from promptrepo.api.mcp import PRINCIPAL_STATE
from promptrepo.api.mcp_sessions import SharedSessionManager
from promptrepo.db import session_scope
from promptrepo.observability import get_logger
from promptrepo.services import events, mcp_prompts, recent_changes, serving
from promptrepo.services.changes import LIST_CHANGES, PROMPT_EVENTS_TOPIC
from promptrepo.services.errors import ServiceError
from promptrepo.services.principal import Principal

log = get_logger(__name__)
MAX_TRACKED_SESSIONS = 10_000
NOTIFY_TIMEOUT_SECONDS = 5.0


def _principal(ctx) -> Principal:
    request = ctx.request
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE) if request else None
    if principal is None:  # cannot happen behind McpEndpoint
        raise MCPError(types.INVALID_REQUEST, "Not authenticated.")
    return principal


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return max(0, int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"]))
    except (ValueError, KeyError, TypeError):
        raise MCPError(types.INVALID_PARAMS, "Invalid cursor.") from None


def _reads(principal: Principal, event: dict[str, Any]) -> bool:
    """Whether the caller can read the prompt an event is about."""
    readers = {event.get("owner_id"), *(event.get("member_ids") or [])}
    return str(principal.user_id) in readers and principal.reaches_project(
        event.get("project_id", "")
    )


class _Sessions:
    """This worker's copies of MCP sessions, by session id: something to notify (the
    connection, or a request's ServerSession on it) and the caller."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[Any, Principal]] = {}
        self._sending: set[asyncio.Task] = set()

    def remember(self, session_id: str | None, notifier, principal: Principal) -> None:
        if not session_id:
            return
        self.sessions.pop(session_id, None)
        self.sessions[session_id] = (notifier, principal)
        while len(self.sessions) > MAX_TRACKED_SESSIONS:  # the oldest-used first
            self.sessions.pop(next(iter(self.sessions)))

    async def notify(self, event: dict[str, Any]) -> None:
        """Start sending list_changed to every session that can read the changed prompt;
        returns at once (the listener goes on with the next event)."""
        if event.get("type") not in LIST_CHANGES:
            return
        targets = [
            session_id
            for session_id, (_, principal) in list(self.sessions.items())
            if _reads(principal, event)
        ]
        for session_id in targets:
            task = asyncio.get_running_loop().create_task(self._send(session_id))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        log.info("mcp_prompts_changed", sessions=len(targets), held=len(self.sessions))

    async def stream_opened(
        self, session_id: str, principal: Principal, opened_at: float, notifier
    ) -> None:
        """A GET stream just opened here: from now on, changes are sent to it (`notifier`,
        unless a message of the session made it known here already), and list_changed now if
        the caller may have missed one (a change it can read, since the session was opened,
        lately)."""
        if session_id not in self.sessions:
            self.remember(session_id, notifier, principal)
        if await recent_changes.changed_since(principal, opened_at):
            log.info("mcp_prompts_changed_caught_up", session=session_id[:12])
            await self._send(session_id)

    async def _send(self, session_id: str) -> None:
        entry = self.sessions.get(session_id)
        if entry is None:
            return
        try:
            async with asyncio.timeout(NOTIFY_TIMEOUT_SECONDS):
                await entry[0].send_prompt_list_changed()
        except Exception:  # the client went away, or does not read its stream
            if self.sessions.get(session_id) is entry:
                self.sessions.pop(session_id, None)


class _RememberSessions:
    """Server middleware: every message a session sends to this worker records the session
    here, so a label move notifies it from this worker (where its GET stream may be)."""

    def __init__(self, sessions: _Sessions) -> None:
        self.sessions = sessions

    async def __call__(self, ctx, call_next):
        request = ctx.request
        principal = request.scope.get("state", {}).get(PRINCIPAL_STATE) if request else None
        session_id = request.headers.get(MCP_SESSION_ID_HEADER) if request else None
        if principal is not None and session_id:
            self.sessions.remember(session_id, ctx.session, principal)
        return await call_next(ctx)


def build_server(sessions: _Sessions) -> Server:
    async def on_list_prompts(ctx, params: types.PaginatedRequestParams | None):
        principal = _principal(ctx)
        offset = _offset(params.cursor if params else None)

        def read():
            with session_scope(acting_as=principal.user_id) as session:
                return mcp_prompts.list_published(session, principal, offset=offset)

        items, total = await anyio.to_thread.run_sync(read)
        next_offset = offset + len(items)
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=item.name,
                    description=item.description,
                    arguments=[
                        types.PromptArgument(
                            name=a.name, description=a.description or None, required=a.required
                        )
                        for a in item.arguments
                    ],
                )
                for item in items
            ],
            next_cursor=_cursor(next_offset) if next_offset < total else None,
        )

    async def _served(principal: Principal, name: str, meta: Any = None) -> serving.Served:
        def find():
            with session_scope(acting_as=principal.user_id) as session:
                return mcp_prompts.wanted(session, principal, name)

        try:
            key = mcp_prompts.split_key(meta)
            wanted = await anyio.to_thread.run_sync(find)
            return await serving.fetch(principal, wanted, key)
        except ServiceError as exc:
            raise MCPError(types.INVALID_PARAMS, exc.message) from None

    async def on_get_prompt(ctx, params: types.GetPromptRequestParams):
        principal = _principal(ctx)
        served = await _served(principal, params.name, params.meta)
        try:
            rendered = await serving.render(served, dict(params.arguments or {}))
        except ServiceError as exc:
            names = [e["loc"][-1] for e in exc.errors if e.get("loc")]
            message = exc.message
            if names and not any(str(n) in message for n in names):
                message = f"{message} (argument: {', '.join(map(str, names))})"
            raise MCPError(types.INVALID_PARAMS, message, data={"errors": exc.errors}) from None
        failed = [r for r in rendered.validators if not r.passed]
        description = f"{params.name} v{rendered.version} (production)"
        if failed:
            description += "; validators failed: " + "; ".join(r.message for r in failed)
        return types.GetPromptResult(
            description=description,
            messages=[
                types.PromptMessage(
                    role="user", content=types.TextContent(type="text", text=rendered.text)
                )
            ],
        )

    async def on_completion(ctx, params: types.CompleteRequestParams):
        principal = _principal(ctx)
        values: list[str] = []
        if isinstance(params.ref, types.PromptReference):
            served = await _served(principal, params.ref.name)
            values = mcp_prompts.complete(
                mcp_prompts.spec_of(served), params.argument.name, params.argument.value
            )
        return types.CompleteResult(
            completion=types.Completion(values=values, total=len(values), has_more=False)
        )

    server = Server(
        "PromptRepo",
        version="1.0.0",
        instructions="Prompts published in PromptRepo; arguments fill their variables.",
        on_list_prompts=on_list_prompts,
        on_get_prompt=on_get_prompt,
        on_completion=on_completion,
    )
    server.middleware.append(_RememberSessions(sessions))
    return server


class _LoopState:
    def __init__(self) -> None:
        self.sessions = _Sessions()
        server = build_server(self.sessions)
        self.manager = SharedSessionManager(
            app=server,
            on_adopted=self.sessions.remember,
            on_stream_opened=self.sessions.stream_opened,
        )
        # list_changed is announced: the capability says the server sends it
        server.create_initialization_options = _with_list_changed(server)
        self.ready = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        async with self.manager.run():
            listener = asyncio.get_running_loop().create_task(self._listen())
            self.ready.set()
            try:
                await asyncio.Event().wait()
            finally:
                listener.cancel()

    async def _listen(self) -> None:
        while True:
            try:
                async for event in events.subscribe([PROMPT_EVENTS_TOPIC]):
                    await self.sessions.notify(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mcp_event_listener_failed")
                await asyncio.sleep(1)


def _with_list_changed(server: Server):
    original = server.create_initialization_options

    def create_initialization_options(notification_options=None, *args, **kwargs):
        return original(NotificationOptions(prompts_changed=True), *args, **kwargs)

    return create_initialization_options


_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def loop_state() -> _LoopState:
    loop = asyncio.get_running_loop()
    state = _by_loop.get(loop)
    if state is None:
        state = _by_loop[loop] = _LoopState()
    await state.ready.wait()
    return state
