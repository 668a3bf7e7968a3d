"""The HTTP side of serving (services/serving.py is the path itself).

`admit_and_serve` is what every route that serves a prompt does: one `gate.admit` (auth, rate
limit and the cached entry in one Redis round trip), then `serving.serve`.

`ServingFastPath` answers the two hottest GETs before FastAPI's routing: REST
`GET /api/v1/prompts/{id}/resolve` and Langfuse's `GET /api/public/v2/prompts/{name}`. A hit
needs no routing through every API route, no dependency solving and no Response object:
parse the path, one `gate.admit`, send the cached bytes. Anything else (an error, an odd
query, missing credentials) goes on to the FastAPI route, which reuses the admission already
made (so the request is counted once) and words the answer.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from urllib.parse import parse_qsl, unquote

from promptrepo.api import gate
from promptrepo.api.gate import rate_limit_headers
from promptrepo.api.security_headers import NON_DOCUMENT_POLICY, common_headers
from promptrepo.observability import (
    REQUEST_ID_HEADER,
    bound_request_id,
    observe_request,
    request_id_of,
)
from promptrepo.services import serving, splits
from promptrepo.services.errors import NotAuthenticated, ServiceError, ValidationFailed
from promptrepo.services.serving import MAX_VERSION, Served, Wanted

ADMISSION_STATE = "gate_admission"
RESOLVE_PREFIX = "/api/v1/prompts/"
RESOLVE_SUFFIX = "/resolve"
LANGFUSE_PREFIX = "/api/public/v2/prompts/"
# Which version answered (a split label serves several): on every served answer.
VERSION_HEADER = b"x-prompt-version"


async def admit_and_serve(
    request, token: str, wanted: Wanted, *, public_key: str | None = None, key: str | None = None
):
    """Authenticate `token`, count the request, and serve `wanted` (NotFound & co. raise);
    `key` picks the version of a split label (services/splits.py).

    With `public_key` (HTTP Basic's user name), the key must be that key's secret.
    Returns (principal, served)."""
    # The fast path may have admitted this request already.
    admission = request.scope.get("state", {}).pop(ADMISSION_STATE, None)
    try:
        if isinstance(admission, Exception):
            raise admission
        if admission is None:
            admission = await gate.admit(token, wanted.key)
    except gate.ApiRateLimited as exc:
        request.state.ratelimit = exc.status
        raise
    request.state.ratelimit = admission.limit
    if public_key is not None and admission.principal.api_key_public_key != public_key:
        raise NotAuthenticated("The public key does not belong to this secret key.")
    served = await serving.serve(
        admission.principal, wanted, admission.entry, admission.generation, key
    )
    return admission.principal, served


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(public key, secret) of an `Authorization: Basic …` header, or None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 4096:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    public_key, colon, secret = decoded.partition(":")
    if not colon or not public_key or not secret:
        return None
    return public_key, secret


# --------------------------------------------------------------------------- the fast path
class _ResolveRoute:
    """What MetricsMiddleware reads from scope["route"] for requests served here."""

    path = "/api/v1/prompts/{prompt_id}/resolve"


class _LangfuseRoute:
    path = "/api/public/v2/prompts/{name}"


def _query(scope) -> dict[str, str] | None:
    """label/version/key of the query string, or None when it is odd (the route words it)."""
    if not scope["query_string"]:
        return {}
    try:
        params = parse_qsl(
            scope["query_string"].decode(), keep_blank_values=True, strict_parsing=True
        )
    except (UnicodeDecodeError, ValueError):
        return None
    if any(not value for _, value in params):  # `?key=`: the route says what is wrong
        return None
    names = [name for name, _ in params]
    if len(set(names)) != len(names) or not set(names) <= {"label", "version", "key"}:
        return None
    query = dict(params)
    if "version" in query and (
        not query["version"].isdigit() or not 1 <= int(query["version"]) <= MAX_VERSION
    ):
        return None
    if len(query.get("label", "")) > 36:
        return None
    if "key" in query and not 1 <= len(query["key"]) <= splits.MAX_KEY_LENGTH:
        return None
    return query


def _fast_path_candidate(scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    path = scope["path"]
    return (path.startswith(RESOLVE_PREFIX) and path.endswith(RESOLVE_SUFFIX)) or path.startswith(
        LANGFUSE_PREFIX
    )


class ServingFastPath:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        tried = scope.get("state", {}).get(FRONT_DOOR_TRIED)
        if not tried and _fast_path_candidate(scope) and await self.answer(scope, send):
            return
        await self.app(scope, receive, send)

    async def answer(self, scope, send) -> bool:
        """Answer a hit of the two GETs (nothing is sent otherwise); whether it did."""
        if scope["path"].startswith(LANGFUSE_PREFIX):
            return await self._langfuse(scope, send)
        return await self._resolve(scope, send)

    @staticmethod
    def _headers(scope) -> tuple[str | None, str | None]:
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        return authorization, if_none_match

    @staticmethod
    async def _admit(
        scope, token: str, wanted: Wanted, public_key: str | None, key: str | None
    ) -> Served | None:
        state = scope.setdefault("state", {})
        try:
            admission = await gate.admit(token, wanted.key)
        except Exception as exc:  # let the route answer it (401, 429...) without counting twice
            state[ADMISSION_STATE] = exc
            return None
        state[ADMISSION_STATE] = admission
        state["ratelimit"] = admission.limit
        if public_key is not None and admission.principal.api_key_public_key != public_key:
            return None
        try:
            served = await serving.serve(
                admission.principal, wanted, admission.entry, admission.generation, key
            )
        except ServiceError:  # not found, not yours...: the route words the answer
            return None
        # the route must not serve the entry to this request again: it is answered here
        state.pop(ADMISSION_STATE, None)
        return served

    async def _resolve(self, scope, send) -> bool:
        raw_id = scope["path"][len(RESOLVE_PREFIX) : -len(RESOLVE_SUFFIX)]
        if len(raw_id) != 36:
            return False
        try:
            prompt_id = uuid.UUID(raw_id)
        except ValueError:
            return False
        query = _query(scope)
        if query is None:
            return False
        authorization, if_none_match = self._headers(scope)
        token = gate.bearer_token(authorization)
        if token is None:
            return False
        version = int(query["version"]) if "version" in query else None
        try:
            wanted = serving.by_id(prompt_id, query.get("label"), version)
        except ValidationFailed:
            return False
        served = await self._admit(scope, token, wanted, None, query.get("key"))
        if served is None:
            return False
        scope["route"] = _ResolveRoute
        headers = [
            (b"etag", served.etag_bytes),
            (b"cache-control", b"private, no-cache"),
            (VERSION_HEADER, served.version_bytes),
        ]
        if if_none_match and serving.etag_matches(if_none_match, served.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        await _send_json(send, served.body_bytes, headers)
        return True

    async def _langfuse(self, scope, send) -> bool:
        raw_name = scope.get("raw_path") or scope["path"].encode()
        raw_name = raw_name.split(b"?", 1)[0][len(LANGFUSE_PREFIX) :]
        if not raw_name or b"/" in raw_name:  # folder names arrive URL-encoded
            return False
        name = unquote(raw_name.decode("latin-1"))
        query = _query(scope)
        if query is None:
            return False
        authorization, _ = self._headers(scope)
        credentials = basic_credentials(authorization)
        if credentials is None:
            return False
        public_key, secret = credentials
        version = int(query["version"]) if "version" in query else None
        try:
            wanted = serving.by_name(public_key, name, query.get("label"), version)
        except ServiceError:
            return False
        served = await self._admit(scope, secret, wanted, public_key, query.get("key"))
        if served is None:
            return False
        scope["route"] = _LangfuseRoute
        await _send_json(send, served.langfuse_bytes, [(VERSION_HEADER, served.version_bytes)])
        return True


async def _send_json(send, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------- the front door
FRONT_DOOR_TRIED = "serving_front_door_tried"


class ServingFrontDoor:
    """The outermost ASGI app (what promptrepo.serve gives granian): answers a hit of the
    fast path's two GETs before the ~15 layers around it (Reflex's Starlette app with its
    error handler, CORS, context and routing; the security and static headers; FastAPI's own
    stack; request ids, metrics, the body guard). Those layers cost more than the answer
    itself. What they add to such an answer is added here, by the same helpers: the request
    id (header and logs), the route's metrics, the RateLimit-* headers and the security
    headers of a non-document answer.

    Anything else goes to the app untouched: other requests, a cross-origin call (CORS words
    it), and a request the fast path does not answer (an error, an odd query), which goes on
    with the admission already made in its scope, so it is counted once."""

    def __init__(self, app) -> None:
        self.app = app
        self.fast = ServingFastPath(app)
        self.security = [
            (b"content-security-policy", NON_DOCUMENT_POLICY.encode()),
            *common_headers(),
        ]

    async def __call__(self, scope, receive, send) -> None:
        if not _fast_path_candidate(scope) or any(
            name == b"origin" for name, _ in scope["headers"]
        ):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        request_id = state["request_id"] = request_id_of(scope)
        status = 500

        async def send_answer(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message["headers"]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                limit = state.get("ratelimit")
                if limit is not None:
                    headers.extend(
                        (k.lower().encode(), v.encode())
                        for k, v in rate_limit_headers(limit).items()
                    )
                headers.extend(self.security)
            await send(message)

        with bound_request_id(request_id):
            answered = await self.fast.answer(scope, send_answer)
        if answered:
            observe_request(scope, status, start)
            return
        state[FRONT_DOOR_TRIED] = True
        await self.app(scope, receive, send)
