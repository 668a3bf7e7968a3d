"""The editor's live preview: a websocket at /api/editor/live.

Per keystroke the editor page sends the text here and gets back the preview, its stats, the
validator badges, the variables the text uses and any syntax error — what the editor state
would compute, without a trip through Reflex's state (lock, load, delta, save): a few
milliseconds of server time instead of 20–50. The editor state still gets the text, a few
times a burst (components/code_editor.jsx: at once, at a pause, when the variables or the
syntax error change, before anything else the page does), and saves it as before; this
channel reads and writes nothing stored.

Frames are JSON text:
- client → `{"type": "context", "spec": {...}, "validators": [{id, type, config}],
  "dialect": "jinja2", "invalid": {name: error}}`: what the preview renders with (the
  editor state sends it to the page as `DraftState.live_context`); sent when it changes.
- client → `{"type": "render", "key": K, "seq": N, "text": "..."}`.
- server → `{"key": K, "seq": N, "ok": true, "text", "stats", "results", "unset",
  "unset", "note", "variables", "line": 0}` or `{"key", "seq", "ok": false, "message", "results",
  "variables", "line"}` (a syntax error, an invalid example, a render error), or
  `{"error": "..."}` for a frame it refuses (it stays open).

The handshake needs the session cookie of a signed-in user (who is checked again every
REVALIDATE_SECONDS, so a revoked session stops here too) and, since browsers send cookies
with any site's websocket, an Origin the app allows (settings.allowed_origins); otherwise it
is refused with 403 before it opens; so is an account's channel past
MAX_CHANNELS_PER_ACCOUNT in one process. Renders run in the render pool under the same time,
memory and per-account limits as every render. The client keeps one render in flight; the
server answers frames in order, one at a time.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from promptrepo.api.gate import identify
from promptrepo.services import render_pool, templates
from promptrepo.services.drafts import MAX_CONTENT_CHARS
from promptrepo.services.errors import NotAuthenticated, ServiceError
from promptrepo.services.principal import Principal
from promptrepo.services.render_worker import preview_refused
from promptrepo.services.sessions import token_from_cookie_header
from promptrepo.services.validator_rules import NOT_RUN_NO_TEXT
from promptrepo.settings import settings

router = APIRouter(tags=["editor"])

PATH = "/api/editor/live"
REVALIDATE_SECONDS = 2.0
# A frame carries at most one prompt's text (as JSON, escapes included) and its context.
MAX_FRAME_BYTES = 8 * MAX_CONTENT_CHARS
# Open channels of one account in this process: each renders one text at a time, so this
# bounds what one account's scripts can keep the render pool busy with.
MAX_CHANNELS_PER_ACCOUNT = 20
_open_channels: Counter[str] = Counter()
MAX_VARIABLES = 200
MAX_VALIDATORS = 50


class LiveValidator(BaseModel):
    id: str = Field(max_length=64)
    type: str = Field(max_length=64)
    config: dict[str, Any] = {}


class LiveContext(BaseModel):
    spec: dict[str, dict[str, Any]] = Field(default_factory=dict, max_length=MAX_VARIABLES)
    validators: list[LiveValidator] = Field(default_factory=list, max_length=MAX_VALIDATORS)
    dialect: Literal[templates.TEMPLATE_DIALECTS] = templates.PLAIN_DIALECT  # type: ignore[valid-type]
    invalid: dict[str, str] = Field(default_factory=dict, max_length=MAX_VARIABLES)


class LiveRender(BaseModel):
    key: str = Field(default="", max_length=64)
    seq: int = Field(ge=0)
    text: str = Field(max_length=MAX_CONTENT_CHARS)


async def _principal(token: str) -> Principal | None:
    if not token:
        return None
    try:
        return await identify(token)
    except NotAuthenticated:
        return None


@router.websocket(PATH)
async def editor_live(websocket: WebSocket) -> None:
    origin = websocket.headers.get("origin")
    if origin is None or not settings.origin_allowed(origin):
        await websocket.close(code=1008, reason="origin not allowed")  # 403 to the handshake
        return
    token = token_from_cookie_header(websocket.headers.get("cookie"))
    principal = await _principal(token)
    if principal is None:
        await websocket.close(code=1008, reason="sign in first")
        return
    account = str(principal.user_id)
    if _open_channels[account] >= MAX_CHANNELS_PER_ACCOUNT:
        await websocket.close(code=1008, reason="too many editor tabs open")
        return
    _open_channels[account] += 1
    try:
        await websocket.accept()
        await _serve(websocket, token, principal)
    finally:
        _open_channels[account] -= 1
        if not _open_channels[account]:
            del _open_channels[account]


async def _serve(websocket: WebSocket, token: str, principal: Principal) -> None:
    checked = time.monotonic()
    context = LiveContext()
    try:
        while True:
            raw = await websocket.receive_text()
            if len(raw) > MAX_FRAME_BYTES:
                await _refuse(websocket, f"A frame is at most {MAX_FRAME_BYTES:,} bytes.")
                continue
            if time.monotonic() - checked > REVALIDATE_SECONDS:
                principal = await _principal(token)
                if principal is None:
                    await websocket.close(code=1008, reason="signed out")
                    return
                checked = time.monotonic()
            try:
                frame = json.loads(raw)
                kind = frame.get("type") if isinstance(frame, dict) else None
                if kind == "context":
                    context = LiveContext.model_validate(frame)
                elif kind == "render":
                    request = LiveRender.model_validate(frame)
                    answer = await _preview(principal, context, request)
                    await websocket.send_text(json.dumps(answer))
                else:
                    await _refuse(websocket, 'A frame is {"type": "context" | "render", …}.')
            except (ValueError, ValidationError) as exc:
                await _refuse(websocket, _problem(exc))
    except WebSocketDisconnect:
        return


async def _preview(principal: Principal, context: LiveContext, request: LiveRender) -> dict:
    with render_pool.acting_for(principal.user_id):
        try:
            answer = await render_pool.preview_async(
                request.text,
                context.spec,
                [v.model_dump() for v in context.validators],
                context.dialect,
                context.invalid,
            )
        except ServiceError as exc:  # past the time budget, or every worker busy
            answer = preview_refused(
                exc.message,
                [v.model_dump() for v in context.validators],
                NOT_RUN_NO_TEXT,
            )
    return {"key": request.key, "seq": request.seq, **answer}


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"Invalid frame: {where}: {first['msg']}"
    return "Invalid frame: not JSON."


async def _refuse(websocket: WebSocket, message: str) -> None:
    await websocket.send_text(json.dumps({"error": message}))
